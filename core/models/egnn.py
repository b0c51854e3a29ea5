"""The E(3)-invariant EGNN of the tutorial (Satorras et al. 2021, eqs. (1)-(4) without the
coordinate update), written so that a state_dict saved by the tutorial loads with ``strict=True``.

Equation map (each one is a small module of its own):

* eq. (1) ``f_initial_embed``            :class:`~core.models.embedding.AtomTypeEmbedding`
* eq. (2) ``distance``                   :class:`~core.models.distance.SquaredDistance`
* eq. (3) ``message_mlp``                :class:`~core.models.message.MessageMLP`
* eq. (4) ``residual_proj`` + ``node_update_mlp``
                                         :class:`~core.models.update.ResidualProjection`,
                                         :class:`~core.models.update.NodeUpdateMLP`
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from core.models.aggregation import scatter_sum
from core.models.distance import SquaredDistance
from core.models.edges import complete_edges_for
from core.models.embedding import AtomTypeEmbedding
from core.models.gin import SumPool
from core.models.inputs import check_positions, require_attributes
from core.models.message import MessageMLP
from core.models.readout import PredictionHead, final_embedding_width
from core.models.update import NodeUpdateMLP, ResidualProjection

if TYPE_CHECKING:
    from torch_geometric.data import Data


def _one_molecule_without_gradients(data: Data) -> bool:
    """One molecule (no ``batch``, no explicit edges) under ``torch.no_grad``: the dense complete-graph path applies.

    Training and batched evaluation keep the edge-list path, so their numbers do not change by a single bit.
    """
    return (
        not torch.is_grad_enabled()
        and getattr(data, "batch", None) is None
        and getattr(data, "complete_edge_index", None) is None
    )


class EquivariantMPLayer(nn.Module):
    """One EGNN message-passing layer: eqs. (2)-(4).

    For every directed edge (row -> col) of the complete graph the layer computes the
    squared distance (eq. 2) and the message m = phi_e(h_row, h_col, d) (eq. 3); the messages
    are summed at the receiving atom ``col`` and combined with a residual projection (eq. 4):
    h_i' = W h_i + psi_h(h_i, sum_{j != i} m_ji).
    """

    def __init__(self, in_channels: int, hidden_channels: int, act: nn.Module) -> None:
        super().__init__()
        self.act = act
        self.distance = SquaredDistance()  # eq. (2), no parameters
        self.residual_proj = ResidualProjection(in_channels, hidden_channels)  # eq. (4), W
        self.message_mlp = MessageMLP(in_channels, hidden_channels, act)  # eq. (3), phi_e
        self.node_update_mlp = NodeUpdateMLP(in_channels, hidden_channels, hidden_channels, act)  # eq. (4), psi_h

    def compute_distances(self, node_pos: Tensor, edge_index: Tensor) -> Tensor:
        """Eq. (2): squared distances ``[num_edges, 1]``."""
        return self.distance(node_pos, edge_index)

    def node_message_function(self, source_node_embed: Tensor, target_node_embed: Tensor, node_dist: Tensor) -> Tensor:
        """Eq. (3): messages ``[num_edges, hidden_channels]``."""
        return self.message_mlp(source_node_embed, target_node_embed, node_dist)

    def forward(self, node_embed: Tensor, node_pos: Tensor, edge_index: Tensor) -> Tensor:
        col = edge_index[1]
        squared_distance = self.compute_distances(node_pos, edge_index)
        # eq. (3) for all edges at once; equal to node_message_function(h[row], h[col], d), computed per atom
        messages = self.message_mlp.forward_per_atom(node_embed, edge_index, squared_distance)
        # sum over j != i in eq. (4): every message lands on its receiving atom `col`
        aggregated = scatter_sum(messages, col, dim_size=node_embed.size(0))
        return self.residual_proj(node_embed) + self.node_update_mlp(node_embed, aggregated)

    def forward_complete_graph(self, node_embed: Tensor, node_pos: Tensor) -> Tensor:
        """:meth:`forward` on one molecule's complete graph, computed densely (no edge list); same result."""
        aggregated = self.message_mlp.aggregate_complete_graph(node_embed, node_pos)
        return self.residual_proj(node_embed) + self.node_update_mlp(node_embed, aggregated)


class EquivariantGNN(nn.Module):
    """E(3)-invariant graph network on the complete graph of each molecule.

    ``encode(data)`` returns per-atom embeddings ``[num_atoms, final_embedding_size]`` that do
    not change when all positions are rotated, reflected or translated; ``forward(data)``
    sums them per molecule and maps the sum to ``target_size`` predictions.

    Args:
        hidden_channels: width of the atom-type embedding and of every hidden layer.
        final_embedding_size: width of the last layer's output (default: ``hidden_channels``).
        target_size: number of predicted graph-level targets.
        num_mp_layers: number of :class:`EquivariantMPLayer` layers.
    """

    def __init__(
        self,
        hidden_channels: int,
        final_embedding_size: int | None = None,
        target_size: int = 1,
        num_mp_layers: int = 2,
    ) -> None:
        super().__init__()
        if hidden_channels < 1 or num_mp_layers < 1 or target_size < 1:
            raise ValueError(
                f"EquivariantGNN needs hidden_channels, num_mp_layers and target_size >= 1, "
                f"got {hidden_channels}, {num_mp_layers}, {target_size}"
            )
        final_embedding_size = final_embedding_width(final_embedding_size, hidden_channels)
        self.hidden_channels = hidden_channels
        self.final_embedding_size = final_embedding_size
        self.target_size = target_size
        self.num_mp_layers = num_mp_layers

        self.act = nn.ReLU()
        self.f_initial_embed = AtomTypeEmbedding(hidden_channels)  # eq. (1)

        # all layers are hidden -> hidden except the last, which maps to the final embedding size
        channels = [hidden_channels] * num_mp_layers + [final_embedding_size]
        self.message_passing_layers = nn.ModuleList(
            EquivariantMPLayer(d_in, d_out, self.act) for d_in, d_out in zip(channels[:-1], channels[1:])
        )

        self.aggregation = SumPool()  # what PyG's SumAggregation computed, without importing PyG
        self.f_predict = PredictionHead(final_embedding_size, target_size, self.act)

    def encode(self, data: Data) -> Tensor:
        """Per-atom embeddings ``[num_atoms, final_embedding_size]``.

        Uses ``data.complete_edge_index`` when present; otherwise builds the complete graph of
        every molecule in ``data.batch`` (a graph without ``batch`` is one molecule).
        """
        require_attributes(data, type(self).__name__, "z", "pos")
        node_embed = self.f_initial_embed(data.z)  # eq. (1)
        pos = data.pos.to(node_embed.dtype)
        check_positions(pos, node_embed.size(0))
        if _one_molecule_without_gradients(data):  # the viewer's and the invariance check's case
            for layer in self.message_passing_layers:
                node_embed = layer.forward_complete_graph(node_embed, pos)
            return node_embed
        edge_index = complete_edges_for(data)
        for layer in self.message_passing_layers:  # eqs. (2)-(4)
            node_embed = layer(node_embed, pos, edge_index)
        return node_embed

    def readout(self, node_embed: Tensor, batch_index: Tensor | None = None) -> Tensor:
        """Sum the atom embeddings of each molecule (all atoms when ``batch_index`` is None), then f_predict."""
        return self.f_predict(self.aggregation(node_embed, batch_index))

    # the tutorial's name for the readout
    _predict = readout

    def forward(self, data: Data) -> Tensor:
        """Graph-level predictions ``[num_graphs, target_size]`` (normalised units if trained so)."""
        return self.readout(self.encode(data), getattr(data, "batch", None))

    def extra_repr(self) -> str:
        return (
            f"hidden_channels={self.hidden_channels}, final_embedding_size={self.final_embedding_size}, "
            f"target_size={self.target_size}, num_mp_layers={self.num_mp_layers}"
        )
