"""The engine's many-molecules-at-once functions (the batched audit's) give what the one-molecule functions give
for each molecule, NaN stays in its own molecule, and irreps blocks are judged by their Wigner-D matrices."""

from __future__ import annotations

import pytest
import torch

from equiview.core.equivariance import (
    Poses,
    _segment_max,
    feature_errors,
    irreps_blocks,
    irreps_dim,
    molecule_feature_errors,
    molecule_irreps_errors,
    molecule_output_scales,
    molecule_vector_errors,
    molecule_vector_scales,
    output_scale,
    vector_errors,
    vector_scale,
)
from equiview.core.transforms import E3Transform

# three molecules of 2, 3 and 1 atoms; atoms of one molecule need not be contiguous
MOLECULE = torch.tensor([0, 1, 0, 1, 2, 1])
SIZES = 3


def poses() -> Poses:
    return Poses.of(
        [
            E3Transform.from_euler(30.0, -50.0, 110.0),
            E3Transform.reflection((0.3, -0.8, 0.5)).compose(E3Transform.from_euler(10.0, 20.0, 30.0)),
            E3Transform.translation((1.5, -2.0, 0.25)),
        ]
    )


def rows_of(m: int) -> torch.Tensor:
    return (MOLECULE == m).nonzero().flatten()


def test_segment_max_is_the_largest_value_of_each_molecule_nan_stays_in_its_own():
    values = torch.tensor([[-3.0, -1.0, -2.0, 4.0, -7.0, 0.5], [1.0, float("nan"), 2.0, 0.0, 3.0, 0.0]])
    got = _segment_max(values, MOLECULE, 4)  # molecule 3 has no atoms
    assert got.shape == (2, 4)
    assert got[0].tolist() == [-2.0, 4.0, -7.0, 0.0]  # negative maxima are kept: the empty slot is not a value
    assert torch.isnan(got[1, 1]) and got[1, 0] == 2.0 and got[1, 2] == 3.0 and got[1, 3] == 0.0


def test_feature_errors_per_molecule_match_the_one_molecule_function():
    generator = torch.Generator().manual_seed(3)
    h_x = torch.randn(6, 4, generator=generator)
    h_gx = h_x[None] + 1e-3 * torch.randn(3, 6, 4, generator=generator) * torch.arange(1, 4)[:, None, None]
    got = molecule_feature_errors(h_x, h_gx, MOLECULE, SIZES)
    assert got.shape == (SIZES, 3) and got.dtype == torch.float64
    for m in range(SIZES):
        rows = rows_of(m)
        assert torch.allclose(got[m], feature_errors(h_x[rows], h_gx[:, rows]), rtol=0, atol=0)
        assert molecule_output_scales(h_x, MOLECULE, SIZES)[m] == output_scale(h_x[rows])


def test_one_channel_features_and_nan_per_molecule():
    h_x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    h_gx = torch.stack([h_x + 0.5, h_x - torch.tensor([0.0, 0.0, 0.0, 0.0, 2.0, 0.0])])
    h_gx[1, 1] = float("nan")
    got = molecule_feature_errors(h_x, h_gx, MOLECULE, SIZES)
    assert got[:, 0].tolist() == [0.5, 0.5, 0.5]
    assert got[0, 1] == 0.0 and torch.isnan(got[1, 1]) and got[2, 1] == 2.0  # the NaN is molecule 1's alone
    assert molecule_output_scales(h_x, MOLECULE, SIZES).tolist() == [3.0, 6.0, 5.0]


def test_features_with_no_channels_and_wrong_shapes():
    assert (
        molecule_feature_errors(torch.zeros(6, 0), torch.zeros(2, 6, 0), MOLECULE, SIZES).tolist()
        == [[0.0, 0.0]] * SIZES
    )
    with pytest.raises(ValueError, match=r"h\(g·x\) has shape \[2, 5, 4\]; expected \[B, 6, 4\]"):
        molecule_feature_errors(torch.zeros(6, 4), torch.zeros(2, 5, 4), MOLECULE, SIZES)


@pytest.mark.parametrize("parity", ["polar", "pseudo"])
def test_vector_errors_per_molecule_match_the_one_molecule_function(parity):
    generator = torch.Generator().manual_seed(5)
    g = poses()
    v_x = torch.randn(6, 3, generator=generator)
    v_gx = torch.randn(len(g), 6, 3, generator=generator)
    got = molecule_vector_errors(v_x, v_gx, g, MOLECULE, SIZES, parity)
    assert got.shape == (SIZES, len(g))
    scales = molecule_vector_scales(v_x, MOLECULE, SIZES)
    for m in range(SIZES):
        rows = rows_of(m)
        assert torch.allclose(got[m], vector_errors(v_x[rows], v_gx[:, rows], g, parity), rtol=1e-15, atol=0)
        assert scales[m] == vector_scale(v_x[rows])


def test_vectors_that_turn_with_the_molecule_have_no_error_per_molecule():
    g = poses()
    v_x = torch.randn(6, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    turned = torch.einsum("mj,bij->bmi", v_x, g.rotations)  # polar: R v
    assert molecule_vector_errors(v_x, turned, g, MOLECULE, SIZES, "polar").abs().max() < 1e-14
    pseudo = molecule_vector_errors(v_x, turned, g, MOLECULE, SIZES, "pseudo")
    assert pseudo[:, 1].min() > 0.1 and pseudo[:, [0, 2]].abs().max() < 1e-14  # only the mirror tells them apart
    with pytest.raises(ValueError, match=r"v\(g·x\) has shape"):
        molecule_vector_errors(v_x, turned[:, :, :2], g, MOLECULE, SIZES)


IRREPS = "2x0e+1x1o+1x2e"


def test_irreps_blocks_and_dimension():
    assert irreps_blocks(IRREPS) == [("0e", 0, 2, 1), ("1o", 2, 1, 3), ("2e", 5, 1, 5)]
    assert irreps_dim(IRREPS) == 10
    with pytest.raises(ValueError, match="irreps 'not irreps'"):
        irreps_blocks("not irreps")


def equivariant_irreps_output(h_x: torch.Tensor, g: Poses, irreps: str) -> torch.Tensor:
    """h(g·x) = D(g) h(x) block by block, built independently of the engine (e3nn's own D_from_matrix)."""
    from equiview.core.equivariance import import_o3

    o3 = import_o3()
    return torch.einsum("bij,nj->bni", o3.Irreps(irreps).D_from_matrix(g.rotations), h_x)


def test_irreps_that_transform_by_wigner_d_have_no_error_and_a_broken_block_is_named():
    g = poses()
    h_x = torch.randn(6, 10, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    h_gx = equivariant_irreps_output(h_x, g, IRREPS)
    errors = molecule_irreps_errors(h_x, h_gx, g, IRREPS, MOLECULE, SIZES)
    assert set(errors) == {"0e", "1o", "2e"}
    for label, (error, scale) in errors.items():
        assert error.shape == (SIZES, len(g)) and error.abs().max() < 1e-12, label
        start, width = {"0e": (0, 2), "1o": (2, 3), "2e": (5, 5)}[label]
        for m in range(SIZES):
            assert scale[m] == h_x[rows_of(m), start : start + width].abs().max()
    broken = h_gx.clone()
    broken[2, 4, 3] += 0.25  # the 1o block of molecule 2 (atom 4) in the third pose
    errors = molecule_irreps_errors(h_x, broken, g, IRREPS, MOLECULE, SIZES)
    error_1o = errors["1o"][0]
    assert abs(float(error_1o[2, 2]) - 0.25) < 1e-12
    assert error_1o[[0, 1]].abs().max() < 1e-12 and error_1o[2, :2].abs().max() < 1e-12
    assert errors["0e"][0].abs().max() < 1e-12 and errors["2e"][0].abs().max() < 1e-12


def test_a_block_of_the_wrong_parity_changes_only_under_a_mirror():
    g = poses()
    h_x = torch.randn(6, 10, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    h_gx = equivariant_irreps_output(h_x, g, "2x0e+1x1e+1x2e")  # the 1-block turns as a pseudo-vector
    errors = molecule_irreps_errors(h_x, h_gx, g, IRREPS, MOLECULE, SIZES)
    assert errors["1o"][0][:, 1].min() > 1e-3  # the mirror pose, every molecule
    assert errors["1o"][0][:, [0, 2]].abs().max() < 1e-12
    assert errors["0e"][0].abs().max() < 1e-12


def test_irreps_of_the_wrong_width_are_refused():
    g = poses()
    with pytest.raises(ValueError, match=r"needs \[n, 10\]"):
        molecule_irreps_errors(torch.zeros(6, 9), torch.zeros(3, 6, 9), g, IRREPS, MOLECULE, SIZES)
