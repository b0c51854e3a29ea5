"""The EGNN's dense complete-graph path (one molecule, no gradients) equals its edge-list path."""

from __future__ import annotations

import torch

from equiview.core.assets import checkpoint_path
from equiview.core.checkpoints import load_checkpoint
from equiview.core.data.graph import complete_edge_index
from equiview.core.smiles import molecule_from_smiles
from equiview.core.transforms import E3Transform


def both_paths(model, data):
    with torch.no_grad():
        dense = model.encode(data)  # one molecule, no gradients: the dense path
        listed = data.clone()
        listed.complete_edge_index = complete_edge_index(data.num_nodes)  # explicit edges: the edge-list path
        edges = model.encode(listed)
    return dense, edges


def test_dense_path_equals_edge_list_path_on_qm9_and_on_a_large_molecule(sample_molecule):
    model = load_checkpoint(checkpoint_path("egnn")).model.eval()
    large = molecule_from_smiles("C" * 33).to_data()  # 101 atoms, several blocks of receivers
    for data in (sample_molecule, large):
        dense, edges = both_paths(model, data)
        assert dense.shape == edges.shape
        scale = float(edges.abs().max())
        assert float((dense - edges).abs().max()) <= 1e-5 * max(scale, 1.0)


def test_dense_path_is_invariant():
    model = load_checkpoint(checkpoint_path("egnn")).model.eval()
    data = molecule_from_smiles("c1ccccc1CC(=O)N").to_data()
    moved = data.clone()
    moved.pos = E3Transform.random(torch.Generator().manual_seed(3), reflect=True, translation_scale=5.0).apply(
        data.pos
    )
    with torch.no_grad():
        assert float((model.encode(moved) - model.encode(data)).abs().max()) < 1e-4
