"""PyG's SchNet as an equiview model: its per-atom features, taken before the readout.

Try it (this runs this file's code):

    equiview check-invariance --model schnet=examples/schnet_model.py:make_model --smiles "CCO" --json
    equiview gui --model schnet=examples/schnet_model.py:make_model

equiview calls ``make_model()`` once and then ``forward(z, pos, batch)`` for every pose: ``z`` LongTensor [n]
(atomic numbers), ``pos`` FloatTensor [n, 3] (Å), ``batch`` LongTensor [n] (zeros: one molecule). ``forward``
returns per-atom features [n, d] (here d = 64), or a tuple (features [n, d], vectors [n, 3]).

SchNet (Schütt et al., 2017) sees the atoms only through their distances, so its features are invariant under
rotations, reflections and translations. The weights here are SchNet's random initialisation (seeded); load your
trained ``state_dict`` in ``make_model`` to look at your own model.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn.models import SchNet

CUTOFF = 5.0  # Å


def pairs_within_cutoff(pos: Tensor, batch: Tensor) -> tuple[Tensor, Tensor]:
    """Every ordered pair of atoms of one molecule closer than CUTOFF, with its distance.

    SchNet's default neighbour search needs pyg-lib or torch-cluster; for molecules of a few hundred atoms all
    pairwise distances are cheap, in plain PyTorch.
    """
    distance = torch.cdist(pos, pos)
    close = (batch[:, None] == batch[None, :]) & (distance < CUTOFF)
    close.fill_diagonal_(False)
    edge_index = close.nonzero().t()
    return edge_index, distance[edge_index[0], edge_index[1]]


class SchNetFeatures(nn.Module):
    """SchNet up to (not including) its readout MLP and sum over atoms."""

    # Optional: the elements this model was trained on. equiview shows a molecule with any other element as
    # "not available" instead of colouring it with untrained embeddings. Omit it to accept every element.
    known_elements = ("H", "C", "N", "O", "F", "S", "Cl")

    def __init__(self) -> None:
        super().__init__()
        self.schnet = SchNet(
            hidden_channels=64,
            num_filters=64,
            num_interactions=3,
            num_gaussians=50,
            cutoff=CUTOFF,
            interaction_graph=pairs_within_cutoff,
        )

    def forward(self, z: Tensor, pos: Tensor, batch: Tensor) -> Tensor:
        net = self.schnet
        h = net.embedding(z)
        edge_index, edge_weight = net.interaction_graph(pos, batch)
        edge_attr = net.distance_expansion(edge_weight)
        for interaction in net.interactions:
            h = h + interaction(h, edge_index, edge_weight, edge_attr)
        return h  # [n, 64]; SchNet.forward would continue with lin1, act, lin2 and a sum over the atoms


def make_model() -> nn.Module:
    """The factory equiview calls: a SchNet with seeded random weights, in eval mode."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = SchNetFeatures()
    # model.load_state_dict(torch.load("my_schnet.pt", weights_only=True))  # your trained weights
    return model.eval()
