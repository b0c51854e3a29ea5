r"""The EGNN of Satorras et al. (2021), "E(n) Equivariant Graph Neural Networks", as the tutorial builds it.

The paper's layer (its eqs. (3)-(6)) and the tutorial's (TeachOpenCADD T036, eqs. (1)-(4)):

.. math::

    m_{ij} = \phi_e(h_i^l, h_j^l, \|x_i^l - x_j^l\|^2) \qquad
        \text{paper (3); tutorial (2) distance, (3) message} \\
    x_i^{l+1} = x_i^l + C \sum_{j \neq i} (x_i^l - x_j^l)\, \phi_x(m_{ij}) \qquad
        \text{paper (4); not in the tutorial} \\
    m_i = \sum_{j \neq i} m_{ij} \qquad \text{paper (5); the sum inside tutorial (4)} \\
    h_i^{l+1} = \phi_h(h_i^l, m_i) \qquad \text{paper (6); tutorial (4) adds a residual } W h_i^l

with :math:`h_i^0 = \psi_0(z_i)` (tutorial (1), an embedding of the atom type). :class:`EquivariantGNN` is the
tutorial's invariant model, without eq. (4), and loads the tutorial's state_dicts with ``strict=True``;
:class:`EquivariantCoordinateLayer` is the full layer with eq. (4), used by the dipole model.

Each equation is a small module of its own:

* tutorial (1)                ``f_initial_embed``   :class:`~equiview.core.models.embedding.AtomTypeEmbedding`
* tutorial (2), inside (3)    ``distance``          :class:`~equiview.core.models.distance.SquaredDistance`
* paper (3), tutorial (3)     ``message_mlp``       :class:`~equiview.core.models.message.MessageMLP`
* paper (4)                   ``coordinate_update`` :class:`~equiview.core.models.coordinate_update.CoordinateUpdate`
* paper (5), (6), tutorial (4) ``residual_proj`` + ``node_update_mlp``
  :class:`~equiview.core.models.update.ResidualProjection`, :class:`~equiview.core.models.update.NodeUpdateMLP`
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from equiview.core.models.aggregation import scatter_sum
from equiview.core.models.base import SumReadoutModel
from equiview.core.models.coordinate_update import CoordinateUpdate
from equiview.core.models.distance import SquaredDistance
from equiview.core.models.edges import complete_edges_for
from equiview.core.models.embedding import AtomTypeEmbedding
from equiview.core.models.inputs import check_positions, require_attributes
from equiview.core.models.message import MessageMLP
from equiview.core.models.readout import final_embedding_width
from equiview.core.models.update import NodeUpdateMLP, ResidualProjection

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
    r"""One invariant EGNN layer: the paper's eqs. (3), (5), (6) (the tutorial's (2)-(4)).

    .. math::

        m_{ij} = \phi_e(h_i, h_j, \|x_i - x_j\|^2) \qquad (3) \\
        m_i = \sum_{j \neq i} m_{ij} \qquad (5) \\
        h_i' = W h_i + \phi_h(h_i, m_i) \qquad (6)

    Messages run along every directed edge (row -> col) of the complete graph and are summed at the receiving
    atom ``col``. The residual :math:`W h_i` is the tutorial's addition to eq. (6).
    """

    def __init__(self, in_channels: int, hidden_channels: int, act: nn.Module) -> None:
        super().__init__()
        self.act = act
        self.distance = SquaredDistance()  # tutorial (2), no parameters
        self.residual_proj = ResidualProjection(in_channels, hidden_channels)  # W of tutorial (4)
        self.message_mlp = MessageMLP(in_channels, hidden_channels, act)  # phi_e, eq. (3)
        self.node_update_mlp = NodeUpdateMLP(in_channels, hidden_channels, hidden_channels, act)  # phi_h, eq. (6)

    def compute_distances(self, node_pos: Tensor, edge_index: Tensor) -> Tensor:
        """Squared distances ``[num_edges, 1]`` (tutorial eq. (2))."""
        return self.distance(node_pos, edge_index)

    def messages_and_features(self, node_embed: Tensor, node_pos: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
        """Eqs. (3), (5), (6): the message of every edge and the updated atom features."""
        col = edge_index[1]
        squared_distance = self.compute_distances(node_pos, edge_index)
        # eq. (3) for all edges at once, with the linear layer split per atom (see MessageMLP.forward_per_atom)
        messages = self.message_mlp.forward_per_atom(node_embed, edge_index, squared_distance)
        aggregated = scatter_sum(messages, col, dim_size=node_embed.size(0))  # eq. (5)
        return messages, self.residual_proj(node_embed) + self.node_update_mlp(node_embed, aggregated)  # eq. (6)

    def forward(self, node_embed: Tensor, node_pos: Tensor, edge_index: Tensor) -> Tensor:
        return self.messages_and_features(node_embed, node_pos, edge_index)[1]

    def forward_complete_graph(self, node_embed: Tensor, node_pos: Tensor) -> Tensor:
        """:meth:`forward` on one molecule's complete graph, computed densely (no edge list); same result."""
        aggregated = self.message_mlp.aggregate_complete_graph(node_embed, node_pos)
        return self.residual_proj(node_embed) + self.node_update_mlp(node_embed, aggregated)


class EquivariantCoordinateLayer(EquivariantMPLayer):
    r"""The full EGNN layer: :class:`EquivariantMPLayer` plus the coordinate update, the paper's eq. (4).

    .. math::

        x_i^{l+1} = x_i^l + C \sum_{j \neq i} (x_i^l - x_j^l)\, \phi_x(m_{ij}) \qquad (4)

    Returns the new features (invariant) and the displacement :math:`x_i^{l+1} - x_i^l` of every atom
    (equivariant, ``[n, 3]``); the caller adds it to the positions the next layer measures distances on.
    """

    def __init__(self, in_channels: int, hidden_channels: int, act: nn.Module) -> None:
        super().__init__(in_channels, hidden_channels, act)
        self.coordinate_update = CoordinateUpdate(hidden_channels)

    def forward(  # type: ignore[override]
        self, node_embed: Tensor, node_pos: Tensor, edge_index: Tensor, inverse_neighbours: Tensor
    ) -> tuple[Tensor, Tensor]:
        """``inverse_neighbours`` is C of eq. (4) per atom, ``[num_atoms, 1]``."""
        messages, features = self.messages_and_features(node_embed, node_pos, edge_index)
        return features, self.coordinate_update(node_pos, messages, edge_index, inverse_neighbours)


class EquivariantGNN(SumReadoutModel):
    r"""The tutorial's E(3)-invariant EGNN on the complete graph of each molecule.

    .. math::

        h_i^0 = \psi_0(z_i) \quad \text{(tutorial (1))}, \qquad
        h^{l+1} = \text{layer}_l(h^l, x) \quad \text{(paper (3), (5), (6))}, \qquad
        \hat y = f_{\mathrm{predict}}\Big(\sum_i h_i^L\Big)

    The positions are never updated (no eq. (4)), so they enter only through squared distances.
    ``encode(data)`` returns per-atom embeddings ``[num_atoms, final_embedding_size]`` that do not change when all
    positions are rotated, reflected or translated; ``forward(data)`` sums them per molecule and maps the sum to
    ``target_size`` predictions.

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
        self.f_initial_embed = AtomTypeEmbedding(hidden_channels)  # tutorial (1)

        # all layers are hidden -> hidden except the last, which maps to the final embedding size
        channels = [hidden_channels] * num_mp_layers + [final_embedding_size]
        self.message_passing_layers = nn.ModuleList(
            EquivariantMPLayer(d_in, d_out, self.act) for d_in, d_out in zip(channels[:-1], channels[1:])
        )
        self._add_readout(final_embedding_size, target_size, self.act)

    def encode(self, data: Data) -> Tensor:
        """Per-atom embeddings ``[num_atoms, final_embedding_size]``.

        Uses ``data.complete_edge_index`` when present; otherwise builds the complete graph of
        every molecule in ``data.batch`` (a graph without ``batch`` is one molecule).
        """
        require_attributes(data, type(self).__name__, "z", "pos")
        node_embed = self.f_initial_embed(data.z)
        pos = data.pos.to(node_embed.dtype)
        check_positions(pos, node_embed.size(0))
        if _one_molecule_without_gradients(data):  # the viewer's and the invariance check's case
            for layer in self.message_passing_layers:
                node_embed = layer.forward_complete_graph(node_embed, pos)
            return node_embed
        edge_index = complete_edges_for(data)
        for layer in self.message_passing_layers:
            node_embed = layer(node_embed, pos, edge_index)
        return node_embed

    def extra_repr(self) -> str:
        return (
            f"hidden_channels={self.hidden_channels}, final_embedding_size={self.final_embedding_size}, "
            f"target_size={self.target_size}, num_mp_layers={self.num_mp_layers}"
        )
