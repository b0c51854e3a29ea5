"""Issue 11: the dipole models. The EGNN's vectors turn with the molecule (mirror included), the naive ones do not;
the charges are neutral; the coordinate update of eq. (4) is equivariant on its own."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from equiview.core.embeddings import compare_poses, transformed
from equiview.core.equivariance import Poses, expected_vectors
from equiview.core.models import build_model, demo_model
from equiview.core.models.aggregation import scatter_sum
from equiview.core.models.coordinate_update import CoordinateUpdate
from equiview.core.models.vectors import DEBYE_PER_E_ANGSTROM
from equiview.core.transforms import E3Transform
from equiview.core.vector_equivariance import compare_vectors, model_vectors

EQUIVARIANCE_TOL = 1e-4  # Debye, float32 (issue 11's goal)
# float32 rounding of the moved positions (~1e-6 Å at 10 Å) reaches the vectors in proportion to their size: an
# untrained model's per-atom vectors reach 16 D on the largest molecule, a trained one's stay near 1 D (the shipped
# checkpoint is held to 1e-4 D in tests/test_shipped_checkpoints.py)
TYPICAL_VECTOR_DEBYE = 4.0


def tolerance(result) -> float:
    size = float(torch.linalg.vector_norm(result.original.per_atom, dim=1).max())
    return EQUIVARIANCE_TOL * max(1.0, size / TYPICAL_VECTOR_DEBYE)


NAIVE_MIN_ERROR = 1e-2  # the naive model's vectors must visibly fail to turn


@pytest.fixture(scope="module")
def molecules(dataset):
    """Methane (zero dipole by symmetry), the seed's demo molecule, the largest molecule and two others."""
    largest = int(torch.argmax(dataset.num_atoms))
    return [dataset[i] for i in (0, 800, largest, 1234, len(dataset) - 1)]


def e3_elements(seed: int, count: int = 40) -> list[E3Transform]:
    """Random elements, every other one a reflection, translated by up to ±10 Å per axis (the sliders' range),
    and the eight corners of the translation box with a reflection."""
    generator = torch.Generator().manual_seed(seed)
    elements = []
    for k in range(count):
        g = E3Transform.random(generator, reflect=bool(k % 2), translation_scale=0.0)
        shift = (torch.rand(3, generator=generator, dtype=torch.float64) * 2 - 1) * 10.0
        elements.append(E3Transform(g.rotation, shift))
    for corner in itertools.product((-10.0, 10.0), repeat=3):
        g = E3Transform.random(generator, reflect=True, translation_scale=0.0)
        elements.append(E3Transform(g.rotation, corner))
    return elements


def dipole_models() -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {
        "demo": demo_model("dipole"),
        "default": build_model("dipole").eval(),
        "charges only": build_model("dipole", hidden_channels=16, atomic_dipoles=False).eval(),
    }


def test_elements_cover_reflections_and_the_slider_range():
    elements = e3_elements(0)
    assert sum(g.is_reflection for g in elements) >= len(elements) // 2
    assert sum(not g.is_reflection for g in elements) >= 10
    assert max(float(g.translation.abs().max()) for g in elements) == 10.0


@pytest.mark.parametrize("name", ["demo", "default", "charges only"])
def test_dipole_vectors_turn_with_the_molecule_mirror_included(molecules, name):
    model = dipole_models()[name]
    for m, data in enumerate(molecules):
        for g in e3_elements(seed=m):
            result = compare_vectors(model, data, g)
            assert result.transformed.per_atom.shape == (data.num_nodes, 3)
            assert result.transformed.molecule.shape == (1, 3)
            assert result.max_error < tolerance(result), f"{data.name}: {result.max_error} under {g}"


def test_dipole_vectors_of_a_batch_turn_too(dataset):
    model = dipole_models()["default"]
    batch = dataset.collate([0, 800, 1234, 5000])
    for g in e3_elements(seed=9, count=6):
        result = compare_vectors(model, batch, g)
        assert result.original.molecule.shape == (4, 3)
        assert result.max_error < tolerance(result)


def test_dipole_features_and_length_are_invariant(molecules):
    model = dipole_models()["default"]
    for m, data in enumerate(molecules):
        for g in e3_elements(seed=20 + m, count=10):
            result = compare_poses(model, data, g)
            assert result.max_error < EQUIVARIANCE_TOL
            # |μ| is ~11 D: float32 round-off grows with it, so the bound is relative to the prediction's scale
            scale = max(1.0, float(result.prediction_original.abs().max()))
            assert result.prediction_error < EQUIVARIANCE_TOL * scale


def test_naive_dipole_vectors_do_not_turn(molecules):
    torch.manual_seed(0)
    for model in (demo_model("naive-dipole"), build_model("naive-dipole").eval()):
        for m, data in enumerate(molecules):
            errors = np.array([compare_vectors(model, data, g).max_error for g in e3_elements(seed=40 + m, count=12)])
            assert errors.min() > NAIVE_MIN_ERROR, f"{data.name}: {errors.min()}"


def test_charges_are_neutral_per_molecule(dataset):
    model = dipole_models()["default"]
    batch = dataset.collate([0, 800, 1234, 5000, 21000])
    vectors = model_vectors(model, batch)
    per_molecule = scatter_sum(vectors.charges.unsqueeze(1), batch.batch, batch.num_graphs)
    assert vectors.charges.abs().max() > 1e-3  # not trivially zero
    assert per_molecule.abs().max() < 1e-5


def test_charge_only_vectors_are_q_times_offset_from_the_centroid(dataset):
    model = dipole_models()["charges only"]
    data = dataset[1234]
    vectors = model_vectors(model, data)
    offset = data.pos - data.pos.mean(dim=0)
    expected = vectors.charges.unsqueeze(1) * offset * DEBYE_PER_E_ANGSTROM
    assert torch.allclose(vectors.per_atom, expected, atol=1e-6)


@pytest.mark.parametrize("kind", ["dipole", "naive-dipole"])
def test_molecule_vector_is_the_sum_and_forward_is_its_length(dataset, kind):
    torch.manual_seed(1)
    model = build_model(kind).eval()
    batch = dataset.collate([0, 800, 1234])
    vectors = model_vectors(model, batch)
    assert torch.allclose(scatter_sum(vectors.per_atom, batch.batch, 3), vectors.molecule, atol=1e-5)
    with torch.no_grad():
        length = model(batch)
    assert length.shape == (3, 1)
    assert torch.allclose(length.squeeze(1), torch.linalg.vector_norm(vectors.molecule, dim=1), atol=1e-5)
    assert model.encode(batch).shape == (batch.num_nodes, 64)  # encode keeps returning the features h


def test_gradient_of_the_length_is_finite_for_a_zero_dipole(dataset):
    model = build_model("dipole", hidden_channels=8, atomic_dipoles=False)
    methane = dataset[0]  # one carbon, four hydrogens: the per-type charges give exactly zero dipole
    model(methane).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_coordinate_update_is_equivariant_and_ignores_translation():
    torch.manual_seed(0)
    update = CoordinateUpdate(8)
    torch.nn.init.normal_(update.phi_x.weight)  # undo the tiny start so the test has something to measure
    pos = torch.randn(6, 3, dtype=torch.float64)
    edge_index = torch.tensor([(i, j) for i in range(6) for j in range(6) if i != j]).T
    messages = torch.randn(edge_index.size(1), 8)
    inverse = torch.full((6, 1), 1 / 5, dtype=torch.float64)
    update = update.double()
    displacement = update(pos, messages.double(), edge_index, inverse)
    g = E3Transform.random(torch.Generator().manual_seed(3), reflect=True, translation_scale=5.0)
    moved = update(g.apply(pos), messages.double(), edge_index, inverse)
    assert displacement.abs().max() > 1e-2
    assert torch.allclose(moved, expected_vectors(displacement, Poses.of([g]))[0], atol=1e-10)


def test_identity_and_pure_translation_leave_the_dipole_unchanged(molecules):
    model = dipole_models()["default"]
    data = molecules[1]
    assert compare_vectors(model, data, E3Transform.identity()).max_error == 0.0
    shifted = compare_vectors(model, data, E3Transform.translation((10.0, -10.0, 10.0)))
    assert torch.allclose(shifted.transformed.molecule, shifted.original.molecule, atol=EQUIVARIANCE_TOL)


def test_vectors_of_a_non_vector_model_are_refused(molecules):
    with pytest.raises(TypeError, match="predicts no vectors"):
        model_vectors(demo_model("egnn"), molecules[0])


def test_transformed_pose_of_the_vectors_is_the_one_compared(molecules):
    model = dipole_models()["default"]
    data = molecules[3]
    g = E3Transform.from_view(0, 0, 45, translation=(1, 2, 3), reflect=False)
    direct = model_vectors(model, transformed(data, g))
    assert torch.equal(compare_vectors(model, data, g).transformed.molecule, direct.molecule)


def test_check_invariance_reports_the_vectors_of_both_dipole_kinds(capsys):
    import json

    from equiview.core.cli import main

    assert main(["check-invariance", "--molecules", "2", "--trials", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for kind in ("naive", "egnn", "naive-dipole", "dipole"):
        assert "max_error" in result[kind]
    assert "vector_max_error" not in result["egnn"]
    assert result["dipole"]["vector_max_error"] < EQUIVARIANCE_TOL
    assert result["naive-dipole"]["vector_max_error"] > NAIVE_MIN_ERROR
    assert result["dipole"]["max_error"] < EQUIVARIANCE_TOL
