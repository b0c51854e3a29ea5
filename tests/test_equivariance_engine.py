"""The engine (equiview.core.equivariance) on outputs built by hand: every comparison, case, parity and threshold.

These tests feed the engine exact numbers, so a wrong sign, a wrong case, a looser tolerance or a lost NaN shows.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from equiview.core import equivariance as eq
from equiview.core.rotations import axis_angle_matrices, euler_matrix, view_matrix
from equiview.core.transforms import E3Transform

GEN = torch.Generator().manual_seed(7)
ROTATION = E3Transform.from_axis_angle((1.0, 2.0, 3.0), 70.0)
REFLECTION = E3Transform.reflection((0.0, 1.0, 0.0)) @ E3Transform.from_axis_angle((0.0, 0.0, 1.0), 30.0)
TRANSLATION = E3Transform.translation((1.0, -2.0, 0.5))
POSES = eq.Poses.of([ROTATION, REFLECTION, TRANSLATION, E3Transform.identity()])
POS = torch.randn(6, 3, generator=GEN, dtype=torch.float64) * 1.5


def distances(pos: torch.Tensor) -> torch.Tensor:
    return torch.cdist(pos, pos)


def centred(pos: torch.Tensor) -> torch.Tensor:
    return pos - pos.mean(dim=0)


def outputs(fn, poses=POSES, pos=POS):
    return fn(pos), torch.stack([fn(moved) for moved in poses.apply(pos)])


# --------------------------------------------------------------------------------------------- poses
def test_cases_come_from_the_matrices():
    assert POSES.cases == ("rotation", "reflection", "translation", "identity")
    assert POSES.determinants.tolist() == [1.0, -1.0, 1.0, 1.0]
    general = E3Transform.random(GEN, reflect=True, translation_scale=3.0)
    assert eq.Poses.of([general, E3Transform.random(GEN, reflect=False)]).cases == ("reflection", "rotation")


def test_poses_move_positions_like_e3transform():
    for b, g in enumerate([ROTATION, REFLECTION, TRANSLATION]):
        assert torch.allclose(POSES.apply(POS)[b], g.apply(POS), atol=1e-14)
        assert POSES[b].allclose(g)
    assert POSES.apply(POS.float()).dtype == torch.float32


def test_shapes_are_checked():
    with pytest.raises(ValueError):
        eq.Poses(torch.zeros(2, 3, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError):
        eq.feature_errors(torch.zeros(4, 2), torch.zeros(3, 5, 2))
    with pytest.raises(ValueError):
        eq.vector_errors(torch.zeros(4, 3), torch.zeros(2, 4, 3), POSES)
    with pytest.raises(ValueError):
        eq.check_parity("axial")
    with pytest.raises(ValueError):
        eq.dtype_name("float16")


# --------------------------------------------------------------------------------------------- features
def test_invariant_features_are_zero_up_to_rounding_in_every_case():
    m = eq.measure_features(*outputs(distances), POSES, "float64")
    assert set(m.by_case()) == {"rotation", "reflection", "translation"}
    assert m.max_error < 1e-13 and m.passes and eq.verdict_kind(m) == "invariant"


def test_feature_error_is_the_largest_absolute_difference():
    h0 = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    h1 = torch.stack([h0 + torch.tensor([[0.0, -0.5], [0.25, 0.0]], dtype=torch.float64), h0 - 0.125, h0])
    assert eq.feature_errors(h0, h1).tolist() == [0.5, 0.125, 0.0]  # |−0.5|: absolute, not signed
    assert eq.feature_errors(h0[:, 0], h1[:, :, 0]).tolist() == [0.25, 0.125, 0.0]  # one channel, [n] and [B, n]


def test_positions_change_per_case():
    m = eq.measure_features(*outputs(lambda p: p), POSES)
    cases = m.by_case()
    assert cases["translation"] == pytest.approx(2.0)  # max |t| component
    assert cases["rotation"] > 0.1 and cases["reflection"] > 0.1
    assert m.failing_cases() == ("rotation", "reflection", "translation") and eq.verdict_kind(m) == "changed"
    assert m.worst_pose in (0, 1, 2)
    assert m.max_error == max(cases.values())


def test_centred_positions_fail_rotations_and_reflections_only():
    m = eq.measure_features(*outputs(centred), POSES)
    assert m.failing_cases() == ("rotation", "reflection")
    assert m.by_case()["translation"] < 1e-12
    assert eq.too_large_for(m) == ("rotation", "reflection")


def test_identity_poses_are_not_judged():
    only_identity = eq.Poses.of([E3Transform.identity()])
    m = eq.measure_features(torch.ones(3, 2), torch.full((1, 3, 2), 5.0), only_identity)
    assert m.by_case() == {} and m.max_error == 0.0 and m.worst_pose is None
    assert eq.verdict_kind(m) == "identity"
    # a huge error at an identity pose does not hide in the max of the other poses either
    h1 = torch.stack([torch.zeros(3, 1), torch.full((3, 1), 9.0)])
    mixed = eq.measure_features(torch.zeros(3, 1), h1, eq.Poses.of([ROTATION, E3Transform.identity()]))
    assert mixed.max_error == 0.0 and mixed.worst_pose == 0


def test_nan_never_passes_and_is_reported():
    h0 = torch.zeros(3, 2)
    h1 = torch.zeros(3, 3, 2)
    h1[1, 2, 0] = math.nan
    m = eq.measure_features(h0, h1, eq.Poses.of([ROTATION, REFLECTION, TRANSLATION]))
    assert math.isnan(m.max_error) and math.isnan(m.by_case()["reflection"]) and m.by_case()["rotation"] == 0.0
    assert m.worst_pose == 1 and m.failing_cases() == ("reflection",) and eq.verdict_kind(m) == "changed"
    assert not eq.passes(math.nan, 0.0)


# --------------------------------------------------------------------------------------------- tolerance
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale", [0.0, 1.0, 1e3, 1e6])
def test_both_sides_of_the_threshold(dtype, scale):
    tolerance = eq.TOLERANCES[dtype]
    bound = tolerance.absolute + tolerance.relative * scale
    assert tolerance.bound(scale) == pytest.approx(bound, rel=1e-15)
    assert eq.passes(bound, scale, dtype) and eq.passes(bound * (1 - 1e-9), scale, dtype)
    assert not eq.passes(bound * (1 + 1e-9), scale, dtype)
    h0 = torch.full((2, 1), scale, dtype=torch.float64)
    for error, expected in ((bound * 0.999, "invariant"), (bound * 1.001, "changed")):
        m = eq.measure_features(h0, (h0 + error)[None], eq.Poses.of([ROTATION]), dtype)
        assert m.scale == scale and eq.verdict_kind(m) == expected


def test_the_policy_is_the_documented_one():
    assert eq.TOLERANCES["float32"] == eq.Tolerance(1e-4, 1e-5)
    assert eq.TOLERANCES["float64"] == eq.Tolerance(1e-9, 1e-12)
    assert eq.tolerance_for(torch.float64) is eq.TOLERANCES["float64"]
    assert eq.tolerance_for() is eq.TOLERANCES["float32"]
    for number in ("1e-4", "1e-5", "1e-9", "1e-12"):
        assert number in eq.TOLERANCE_TEXT


def test_float64_reaches_float64_rounding_where_float32_cannot():
    pos32, pos64 = POS.float(), POS
    f32 = eq.measure_features(*outputs(distances, pos=pos32), POSES, "float32")
    f64 = eq.measure_features(*outputs(distances, pos=pos64), POSES, "float64")
    assert 1e-8 < f32.max_error < 1e-4 and f64.max_error < 1e-13
    # float32 rounding judged by the float64 policy is too large: the dtype picks the tolerance
    strict = eq.Measurement(f32.errors, f32.cases, f32.scale, "float64")
    assert f32.passes and not strict.passes


# --------------------------------------------------------------------------------------------- vectors
def polar(pos):  # a dipole-like vector per atom: centred positions, scaled by the distance sum
    return centred(pos) * distances(pos).sum(1, keepdim=True)


def pseudo(pos):  # a cross product of two polar vectors: an angular-momentum-like pseudo-vector
    c = centred(pos)
    return torch.cross(c, torch.roll(c, 1, dims=0), dim=-1)


def test_polar_vectors_turn_with_r_in_every_case():
    m = eq.measure_vectors(*outputs(polar), POSES, "polar", "float64")
    assert m.max_error < 1e-12 and eq.verdict_kind(eq.measure_features(*outputs(distances), POSES), m) == "equivariant"
    wrong = eq.measure_vectors(*outputs(polar), POSES, "pseudo", "float64")
    assert wrong.failing_cases() == ("reflection",)
    v0 = polar(POS)
    assert wrong.by_case()["reflection"] == pytest.approx(2 * float(torch.linalg.vector_norm(v0, dim=-1).max()))


def test_pseudo_vectors_gain_det_r():
    m = eq.measure_vectors(*outputs(pseudo), POSES, "pseudo", "float64")
    assert m.max_error < 1e-12 and m.passes
    as_polar = eq.measure_vectors(*outputs(pseudo), POSES, "polar", "float64")
    assert as_polar.failing_cases() == ("reflection",)
    assert as_polar.by_case()["rotation"] < 1e-12 and as_polar.by_case()["translation"] < 1e-12
    assert eq.too_large_for(None, as_polar) == ("vector_reflection",)


def test_expected_vectors_are_r_v_or_det_r_v():
    v0 = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    ghost = eq.expected_vectors(v0, POSES, "polar")
    assert torch.allclose(ghost[0, 0], ROTATION.rotation @ v0[0], atol=1e-15)
    assert torch.allclose(ghost[1, 0], REFLECTION.rotation @ v0[0], atol=1e-15)
    assert torch.equal(ghost[2, 0], v0[0])  # a translation does not act on a vector
    pseudo_ghost = eq.expected_vectors(v0, POSES, "pseudo")
    assert torch.allclose(pseudo_ghost[1, 0], -(REFLECTION.rotation @ v0[0]), atol=1e-15)
    assert torch.allclose(pseudo_ghost[0, 0], ghost[0, 0], atol=1e-15)


def test_vector_error_is_a_euclidean_length():
    v0 = torch.zeros(2, 3, dtype=torch.float64)
    v1 = torch.tensor([[[3.0, 4.0, 0.0], [0.0, 0.0, 1.0]]], dtype=torch.float64)
    assert eq.vector_errors(v0, v1, eq.Poses.of([ROTATION])).tolist() == [5.0]
    assert eq.vector_scale(torch.tensor([[3.0, 4.0, 0.0]])) == 5.0


def test_outputs_are_copied_so_a_reused_buffer_cannot_hide_a_change():
    buffer = torch.ones(2, 1, dtype=torch.float64)
    h0 = buffer
    errors_before = eq.feature_errors(h0, torch.full((1, 2, 1), 3.0, dtype=torch.float64))
    assert errors_before.tolist() == [2.0]
    m = eq.measure_features(buffer, torch.full((1, 2, 1), 3.0, dtype=torch.float64), eq.Poses.of([ROTATION]))
    buffer.fill_(3.0)  # the model writes its next output into the same buffer
    assert m.errors.tolist() == [2.0]


# --------------------------------------------------------------------------------------------- several molecules
def test_summary_judges_each_molecule_on_its_own_scale():
    poses = eq.Poses.of([ROTATION])
    big = eq.measure_features(torch.full((2, 1), 1e6), torch.full((1, 2, 1), 1e6 + 5.0), poses)  # bound 10.0001
    small = eq.measure_features(torch.zeros(2, 1), torch.full((1, 2, 1), 5e-4), poses)  # bound 1e-4
    assert big.passes and not small.passes
    summary = eq.Summary((big, small))
    assert summary.max_error == 5.0 and summary.failing_cases() == ("rotation",)
    assert summary.worst == (1, 0)  # the small molecule: 5x its bound, against 0.5x
    assert eq.summary_verdict(summary) == "changed" and eq.summary_verdict(eq.Summary((big,))) == "invariant"
    assert eq.summary_verdict(eq.Summary((big,)), eq.Summary((big,))) == "equivariant"


# --------------------------------------------------------------------------------------------- one builder
def test_one_matrix_builder_for_euler_view_and_rodrigues():
    assert np.allclose(euler_matrix(0.0, 0.0, math.pi / 2), [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-15)
    assert np.allclose(axis_angle_matrices((0, 0, 2), [90.0])[0], euler_matrix(0.0, 0.0, math.pi / 2), atol=1e-15)
    r, t = view_matrix(10.0, 20.0, 30.0, (1.0, 2.0, 3.0), True, (0.5, -0.5, 1.0))
    g = E3Transform.from_view(10.0, 20.0, 30.0, (1.0, 2.0, 3.0), True, center=(0.5, -0.5, 1.0))
    assert np.array_equal(r, g.rotation.numpy()) and np.array_equal(t, g.translation.numpy())
    # the mirror acts first: R = E M, not M E
    e = euler_matrix(*np.radians([10.0, 20.0, 30.0]))
    assert np.allclose(r, e @ np.diag([-1.0, 1.0, 1.0]), atol=1e-15)
    assert not np.allclose(r, np.diag([-1.0, 1.0, 1.0]) @ e, atol=1e-3)


# --------------------------------------------------------------------------------------------- exact messages and edges
def test_shape_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=r"^h\(g·x\) has shape \[3, 5, 2\]; expected \[B, 4, 2\]$"):
        eq.feature_errors(torch.zeros(4, 2), torch.zeros(3, 5, 2))
    with pytest.raises(ValueError, match=r"^v\(g·x\) has shape \[2, 4, 3\]; expected \[B, 5, 3\] of 3-vectors$"):
        eq.vector_errors(torch.zeros(5, 3), torch.zeros(2, 4, 3), POSES)
    with pytest.raises(ValueError, match=r"^v\(g·x\) has shape \[2, 4, 2\]; expected \[B, 4, 2\] of 3-vectors$"):
        eq.vector_errors(torch.zeros(4, 2), torch.zeros(2, 4, 2), eq.Poses.of([ROTATION, REFLECTION]))
    with pytest.raises(ValueError, match=r"of 3-vectors$"):
        eq.vector_errors(torch.zeros(3), torch.zeros(1, 3), eq.Poses.of([ROTATION]))  # one row is not [m, 3]
    with pytest.raises(ValueError, match=r"^2 outputs for 4 poses$"):
        eq.vector_errors(torch.zeros(4, 3), torch.zeros(2, 4, 3), POSES)
    with pytest.raises(ValueError, match=r"^2 outputs for 4 poses$"):
        eq.measure_features(torch.zeros(5, 3), torch.zeros(2, 5, 3), POSES)
    with pytest.raises(ValueError, match=r"^vector parity must be 'polar' or 'pseudo', got 'axial'$"):
        eq.check_parity("axial")
    with pytest.raises(ValueError, match=r"^dtype must be one of float32, float64, got 'float16'$"):
        eq.dtype_name("float16")
    with pytest.raises(ValueError, match=r"^rotations must have shape \[B, 3, 3\], got \[2, 3\]$"):
        eq.Poses(torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"^translations must have shape \[B, 3\], got \[3, 3\]$"):
        eq.Poses(torch.zeros(2, 3, 3), torch.zeros(3, 3))


def test_outputs_without_entries_and_with_one_entry():
    empty = eq.feature_errors(torch.zeros(0, 2), torch.zeros(3, 0, 2))
    assert empty.dtype == torch.float64 and empty.shape == (3,) and not empty.any()
    assert eq.feature_errors(torch.ones(1, 1), torch.full((2, 1, 1), 3.0)).tolist() == [2.0, 2.0]
    no_vectors = eq.vector_errors(torch.zeros(0, 3), torch.zeros(2, 0, 3), eq.Poses.of([ROTATION, REFLECTION]))
    assert no_vectors.dtype == torch.float64 and no_vectors.shape == (2,) and not no_vectors.any()
    one = eq.vector_errors(torch.zeros(1, 3), torch.ones(2, 1, 3), eq.Poses.of([ROTATION, REFLECTION]))
    assert one.tolist() == pytest.approx([math.sqrt(3)] * 2)
    assert eq.output_scale(torch.zeros(0, 4)) == 0.0 and eq.vector_scale(torch.zeros(0, 3)) == 0.0
    assert eq.output_scale(torch.tensor([[-3.0, 2.0]])) == 3.0
    nan_row = torch.zeros(2, 2, 3)
    nan_row[1, 0, 2] = math.nan
    errors = eq.vector_errors(torch.zeros(2, 3), nan_row, eq.Poses.of([ROTATION, REFLECTION]))
    assert errors[0] == 0.0 and math.isnan(errors[1])


def test_defaults_are_polar_and_float32():
    v0, v1 = outputs(polar)
    m = eq.measure_vectors(v0, v1, POSES)
    assert m.dtype == "float32" and m.passes
    assert torch.equal(eq.expected_vectors(v0, POSES), eq.expected_vectors(v0, POSES, "polar"))
    assert eq.measure_features(*outputs(distances), POSES).dtype == "float32"
    assert eq.vector_errors(v0, v1, POSES).max() < 1e-12


def test_verdicts_of_nothing_and_of_both_outputs_failing():
    only_identity = eq.measure_features(torch.ones(2, 1), torch.ones(1, 2, 1), eq.Poses.of([E3Transform.identity()]))
    assert eq.summary_verdict(eq.Summary((only_identity,))) == "identity" and eq.summary_verdict(None) == "identity"
    assert eq.verdict_kind(None) == "identity"
    features = eq.measure_features(*outputs(centred), POSES)
    vectors = eq.measure_vectors(*outputs(pseudo), POSES, "polar")
    assert eq.too_large_for(features, vectors) == ("rotation", "reflection", "vector_reflection")
    assert eq.summary_verdict(eq.Summary((features,)), eq.Summary((vectors,))) == "changed"
    assert eq.verdict_kind(eq.measure_features(*outputs(distances), POSES), vectors) == "changed"


def test_repr_and_allclose_of_an_element():
    g = E3Transform.from_view(0.0, 0.0, 90.0, (1.0, 2.0, 3.0))
    assert repr(g) == (
        "E3Transform(rotation=[[ 0., -1.,  0.], [ 1.,  0.,  0.], [ 0.,  0.,  1.]], translation=[1., 2., 3.])"
    )
    assert repr(E3Transform.identity()) == (
        "E3Transform(rotation=[[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]], translation=[0., 0., 0.])"
    )
    far = E3Transform.translation((1000.0, 0.0, 0.0))
    near = E3Transform.translation((1000.0 + 1e-3, 0.0, 0.0))
    assert not far.allclose(near, atol=1e-6)  # absolute only: no relative slack for large shifts
    assert far.allclose(near, atol=2e-3)
    turned = E3Transform.from_axis_angle((0, 0, 1), 1e-3)
    assert not turned.allclose(E3Transform.identity(), atol=1e-6) and turned.allclose(turned)
    assert not E3Transform.translation((0, 0, 1)).allclose(E3Transform.identity())  # the rotation alone is not enough


def test_rodrigues_refuses_bad_axes_and_angles():
    for axis in ((0.0, 0.0, 0.0), (0.0, math.nan, 1.0), (1.0, 0.0)):
        with pytest.raises(ValueError, match=r"^rotation axis must be a finite non-zero 3-vector$"):
            axis_angle_matrices(axis, [10.0])
    with pytest.raises(ValueError, match=r"^rotation angles must be finite$"):
        axis_angle_matrices((0, 0, 1), [math.inf])
    assert axis_angle_matrices((0, 0, 1), 90.0).shape == (1, 3, 3)  # one angle, not a list
    assert axis_angle_matrices((0, 0, 1), [[0.0, 90.0]]).shape == (2, 3, 3)
    with pytest.raises(ValueError, match=r"^rotation axis must be a non-zero 3-vector$"):
        E3Transform.from_axis_angle((0.0, 0.0, 0.0), 10.0)
