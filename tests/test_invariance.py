"""The point of equiview: the EGNN's atom embeddings ignore E(3) moves of a real molecule, the naive GNN's do not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiview.core.embeddings import compare_poses, encode, transformed
from equiview.core.models import build_model, demo_model
from equiview.core.transforms import E3Transform
from equiview.viewer.model.colouring import ColourScale, Projection

NUM_TRANSFORMS = 120  # random E(3) elements per model and molecule
INVARIANCE_TOL = 1e-4  # float32


@pytest.fixture(scope="module")
def molecules(dataset):
    """Methane, the seed's demo molecule, a 26-atom molecule (the largest) and two others."""
    largest = int(torch.argmax(dataset.num_atoms))
    indices = [0, 800, largest, 1234, len(dataset) - 1]
    chosen = [dataset[i] for i in indices]
    assert max(d.num_nodes for d in chosen) == 26
    return chosen


def random_elements(seed: int, count: int = NUM_TRANSFORMS) -> list[E3Transform]:
    """``count`` random elements: half with a forced reflection, all with a random translation."""
    generator = torch.Generator().manual_seed(seed)
    return [E3Transform.random(generator, reflect=True if k % 2 else None, translation_scale=3.0) for k in range(count)]


def egnn_models():
    torch.manual_seed(0)
    return {"demo": demo_model("egnn"), "default": build_model("egnn").eval()}


def test_random_elements_cover_reflections_and_translations():
    elements = random_elements(0)
    assert len(elements) >= 100
    assert sum(g.is_reflection for g in elements) >= NUM_TRANSFORMS // 2
    assert sum(not g.is_reflection for g in elements) >= 10
    assert min(float(g.translation.norm()) for g in elements) > 0


@pytest.mark.parametrize("size", ["demo", "default"])
def test_egnn_embeddings_and_predictions_are_e3_invariant(molecules, size):
    model = egnn_models()[size]
    for m, data in enumerate(molecules):
        for g in random_elements(seed=m):
            result = compare_poses(model, data, g)
            assert result.h_transformed.shape == (data.num_nodes, result.h_original.shape[1])
            assert result.max_error < INVARIANCE_TOL, f"{data.name}: {result.max_error} under {g}"
            scale = max(1.0, float(result.prediction_original.abs().max()))
            assert result.prediction_error < INVARIANCE_TOL * scale


@pytest.mark.parametrize("size", ["demo", "default"])
def test_naive_embeddings_change_under_e3(molecules, size):
    torch.manual_seed(0)
    model = demo_model("naive") if size == "demo" else build_model("naive").eval()
    for m, data in enumerate(molecules):
        errors = np.array([compare_poses(model, data, g).max_error for g in random_elements(seed=100 + m, count=30)])
        # a clear margin: every move changes some embedding by 10x the EGNN tolerance, typically by 1000x
        assert errors.min() > 10 * INVARIANCE_TOL, f"{data.name}: {errors.min()}"
        assert np.median(errors) > 1e-2


def test_naive_model_is_not_even_translation_invariant(molecules):
    data = molecules[1]
    shift = E3Transform.translation((0.5, 0.0, 0.0))
    assert compare_poses(demo_model("naive"), data, shift).max_error > 1e-3
    assert compare_poses(demo_model("egnn"), data, shift).max_error < INVARIANCE_TOL


def test_identity_changes_nothing(molecules):
    for model in (demo_model("naive"), demo_model("egnn")):
        result = compare_poses(model, molecules[2], E3Transform.identity())
        assert result.max_error == 0.0 and result.prediction_error == 0.0


def test_egnn_embeddings_follow_an_atom_permutation(molecules):
    data = molecules[2]
    model = demo_model("egnn")
    perm = torch.randperm(data.num_nodes, generator=torch.Generator().manual_seed(0))
    permuted = data.clone()
    permuted.z, permuted.pos = data.z[perm], data.pos[perm]
    assert torch.allclose(encode(model, permuted), encode(model, data)[perm], atol=1e-5)


def test_transformed_copy_moves_only_positions(molecules):
    data = molecules[1]
    g = E3Transform.from_view(30, 60, 90, translation=(1, 2, 3), reflect=True)
    moved = transformed(data, g)
    assert torch.allclose(moved.pos, g.apply(data.pos))
    assert torch.equal(moved.z, data.z) and torch.equal(moved.edge_index, data.edge_index)
    assert torch.equal(data.pos, molecules[1].pos)  # the original is untouched
    assert not torch.allclose(moved.pos, data.pos)


def test_encode_restores_training_mode(molecules):
    model = build_model("egnn", hidden_channels=8)
    model.train()
    h = encode(model, molecules[0])
    assert model.training and not h.requires_grad


def test_viewer_colours_stay_for_egnn_and_change_for_naive(molecules):
    """What the user sees: colours fitted on the original pose, applied to a moved pose."""
    data = molecules[2]
    g = E3Transform.from_view(40, -70, 15, translation=(2, 0, 1), reflect=True)
    for kind, should_match in (("egnn", True), ("naive", False)):
        model = demo_model(kind)
        h0, h1 = encode(model, data), encode(model, transformed(data, g))
        projection = Projection("pca").fit(h0)
        scale = ColourScale.fit(projection(h0), cmap="coolwarm")
        same_colours = (
            np.abs(scale.rgba(projection(h1)).astype(int) - scale.rgba(projection(h0)).astype(int)).max() <= 1
        )
        assert same_colours == should_match


def test_compare_poses_on_a_batch(dataset):
    batch = dataset.collate([0, 800, 1234])
    g = E3Transform.random(torch.Generator().manual_seed(4), reflect=True)
    egnn = compare_poses(demo_model("egnn"), batch, g)
    assert egnn.prediction_original.shape == (3, 1) and egnn.max_error < INVARIANCE_TOL
    assert compare_poses(demo_model("naive"), batch, g).max_error > 10 * INVARIANCE_TOL
    assert type(transformed(batch, g)) is type(batch)


@pytest.mark.parametrize("kind", ["naive", "egnn"])
def test_predict_from_embedding_is_the_forward_pass_without_encoding_again(dataset, kind):
    from dataclasses import replace

    from equiview.core.checkpoints import Checkpoint
    from equiview.core.embeddings import predict

    demo = Checkpoint.untrained(kind, seed=3)
    assert not demo.trained and demo.normalisation is None and demo.embedding_dim == 1
    one = dataset[800]
    assert torch.allclose(demo.predict_from_embedding(demo.encode(one)), predict(demo.model, one), atol=1e-5)
    batch = dataset.collate([0, 800, 1234])
    h = demo.encode(batch)
    assert torch.allclose(demo.predict_from_embedding(h, batch.batch), predict(demo.model, batch), atol=1e-4)
    with pytest.raises(TypeError, match="Linear has no readout"):
        replace(demo, model=torch.nn.Linear(1, 1)).predict_from_embedding(h)
    with pytest.raises(TypeError, match="Linear has no encode"):
        encode(torch.nn.Linear(1, 1), one)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        Checkpoint.untrained(kind, seed=-1)
