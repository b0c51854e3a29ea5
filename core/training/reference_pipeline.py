"""The tutorial's way of training the EGNN, re-implemented faithfully as a yardstick for equiview's own.

Input: T036 stores one ``Data`` object per molecule, each carrying a ``complete_edge_index`` built by filtering
``itertools.product(range(n), range(n))`` (done once, as its ``pre_transform``), narrows ``y`` to the one target
column, and feeds the list to PyG's ``DataLoader``, which collates 32 objects per batch (offsetting every
``*_index`` attribute). The tutorial's ``Data`` objects also carry ``x`` [n, 11] and ``edge_attr`` [E, 4], which
neither model reads; leaving them out here only makes the reference faster.

Compute: :class:`TutorialEGNN` evaluates the tutorial's EGNN forward pass (concatenate ``[h_i, h_j, d_ij]`` for
every edge, one linear layer, scatter-sum at the receiving atom) on the *parameters of an equiview*
:class:`~equiview.core.models.egnn.EquivariantGNN`, addressed by the tutorial's state_dict names. So both paths train the
very same tensors, and the benchmark and the tests can check that one state_dict gives the same predictions on
both, while the project's model is free to compute the same function faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader
from torch_geometric.utils import scatter


def itertools_complete_edge_index(num_atoms: int) -> torch.Tensor:
    """Every ordered pair of distinct atoms, enumerated the tutorial's way (LongTensor [2, n(n-1)])."""
    pairs = [pair for pair in product(range(num_atoms), repeat=2) if pair[0] != pair[1]]
    if not pairs:
        return torch.zeros(2, 0, dtype=torch.long)
    return torch.tensor(pairs, dtype=torch.long).t()


def tutorial_graphs(dataset, indices: Sequence[int], target_idx: int) -> list[Data]:
    """One ``Data`` per molecule with its stored complete graph and ``y`` narrowed to ``[1, 1]``."""
    graphs = []
    for index in indices:
        graph = dataset[int(index)]
        graph.complete_edge_index = itertools_complete_edge_index(graph.num_nodes)
        graph.y = graph.y[:, target_idx].view(-1, 1)
        graphs.append(graph)
    return graphs


def tutorial_loader(graphs: list[Data], batch_size: int, shuffle: bool, seed: int | None = None) -> DataLoader:
    """PyG's ``DataLoader`` over ``graphs`` (seeded when shuffling, so runs can be compared)."""
    generator = None
    if shuffle and seed is not None:
        generator = torch.Generator().manual_seed(seed)
    return DataLoader(graphs, batch_size=batch_size, shuffle=shuffle, generator=generator)


class TutorialEGNN(nn.Module):
    """The tutorial's EGNN forward pass over the parameters of ``model`` (shared, not copied).

    Training this module trains ``model``; it reads ``data.complete_edge_index`` and ``data.batch`` as the
    tutorial does.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.num_layers = len(model.message_passing_layers)

    def forward(self, data: Data) -> Tensor:
        p = dict(self.model.named_parameters())
        h = F.embedding(data.z, p["f_initial_embed.weight"])  # eq. (1)
        row, col = data.complete_edge_index
        for layer in range(self.num_layers):
            name = f"message_passing_layers.{layer}."
            squared_distance = (data.pos[row] - data.pos[col]).pow(2).sum(1, keepdim=True)  # eq. (2)
            message_input = torch.cat((h[row], h[col], squared_distance), dim=-1)
            messages = F.relu(
                F.linear(message_input, p[name + "message_mlp.0.weight"], p[name + "message_mlp.0.bias"])
            )  # eq. (3)
            aggregated = scatter(messages, col, dim=0, dim_size=h.size(0), reduce="sum")
            update = F.relu(
                F.linear(
                    torch.cat((h, aggregated), dim=-1),
                    p[name + "node_update_mlp.0.weight"],
                    p[name + "node_update_mlp.0.bias"],
                )
            )
            h = F.linear(h, p[name + "residual_proj.weight"]) + update  # eq. (4)
        pooled = scatter(h, data.batch, dim=0, dim_size=int(data.num_graphs), reduce="sum")
        hidden = F.relu(F.linear(pooled, p["f_predict.0.weight"], p["f_predict.0.bias"]))
        return F.linear(hidden, p["f_predict.2.weight"], p["f_predict.2.bias"])
