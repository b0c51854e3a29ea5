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

This file holds the model and all its layers, in the order of the equations (like PyG's
``nn/models/schnet.py``):

* tutorial (1)                 ``f_initial_embed``   :class:`~equiview.core.models.blocks.AtomTypeEmbedding`
* tutorial (2), inside (3)     ``distance``          :class:`SquaredDistance`
* paper (3), tutorial (3)      ``message_mlp``       :class:`MessageMLP`
* paper (4)                    ``coordinate_update`` :class:`CoordinateUpdate`
* paper (5), (6), tutorial (4) ``residual_proj`` + ``node_update_mlp``: :class:`ResidualProjection`,
  :class:`NodeUpdateMLP`
* one layer                    :class:`EquivariantMPLayer` (invariant), :class:`EquivariantCoordinateLayer` (with (4))
* the model                    :class:`EquivariantGNN`; the messages run along :func:`complete_edges_for`
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from equiview.core.data.graph import batch_complete_edge_index, complete_edge_index
from equiview.core.models.aggregation import scatter_sum
from equiview.core.models.blocks import (
    AtomTypeEmbedding,
    SumReadoutModel,
    check_positions,
    final_embedding_width,
    require_attributes,
)

if TYPE_CHECKING:
    from torch_geometric.data import Data


# ------------------------------------------------------------------------ the edges: complete graphs
@lru_cache(maxsize=64)
def _complete_edge_index_cached(num_atoms: int) -> Tensor:
    # QM9 molecules have at most 29 atoms, so a handful of cached sizes serve every single-molecule
    # call (the viewer encodes one molecule per slider step); callers only read the tensor.
    return complete_edge_index(num_atoms)


def complete_edges_for(data: object) -> Tensor:
    """The complete-graph edge index of ``data`` (global atom numbering), LongTensor [2, E].

    Order of preference: ``data.complete_edge_index`` if the graph carries one; the complete graph
    of every molecule in ``data.batch`` (using ``data.ptr`` when present); otherwise ``data`` is one
    molecule and a cached complete graph of its atom count is used.
    """
    given = getattr(data, "complete_edge_index", None)
    if given is not None:
        return given
    batch = getattr(data, "batch", None)
    if batch is not None:
        return batch_complete_edge_index(batch, ptr=getattr(data, "ptr", None))
    z = data.z
    return _complete_edge_index_cached(int(z.size(0))).to(z.device)  # no copy on the CPU


# ----------------------------------------------------------------- tutorial eq. (2): squared distances
class SquaredDistance(nn.Module):
    r"""The tutorial's eq. (2), the distance term of the paper's eq. (3), for every edge (row, col):

    .. math::

        d_{ij} = \|x_i - x_j\|^2

    The only place the EGNN looks at coordinates. A squared distance is unchanged by any
    rotation, reflection or translation of all positions, which is what makes every
    downstream embedding E(3)-invariant. Returns a column ``[num_edges, 1]``.
    """

    def forward(self, pos: Tensor, edge_index: Tensor) -> Tensor:
        row, col = edge_index
        # index_select rather than pos[row]: same values, a much cheaper backward pass
        difference = pos.index_select(0, row) - pos.index_select(0, col)
        return difference.pow(2).sum(dim=1, keepdim=True)


# ------------------------------------------------------------------------------ eq. (3): the message
class MessageMLP(nn.Sequential):
    r"""Eq. (3) (the paper's and the tutorial's), one linear layer and an activation:

    .. math::

        m_{ij} = \phi_e(h_i, h_j, \|x_i - x_j\|^2) \qquad (3)

    Subclasses ``nn.Sequential`` so the tutorial's state_dict keys (``message_mlp.0.weight``,
    ``message_mlp.0.bias``) load unchanged. The input is concatenated in the tutorial's order
    (sender embedding, receiver embedding, squared distance); the weight matrix is therefore
    ``[out_channels, 2 * in_channels + 1]``.
    """

    def __init__(self, in_channels: int, out_channels: int, act: nn.Module) -> None:
        super().__init__(nn.Linear(2 * in_channels + 1, out_channels), act)

    def forward(self, h_source: Tensor, h_target: Tensor, squared_distance: Tensor) -> Tensor:  # type: ignore[override]
        """Eq. (3) as written: one row ``[h_source, h_target, d]`` per edge."""
        return super().forward(torch.cat((h_source, h_target, squared_distance), dim=-1))

    def forward_per_atom(self, node_embed: Tensor, edge_index: Tensor, squared_distance: Tensor) -> Tensor:
        """Eq. (3) for every edge of ``edge_index``, with the linear layer split by its inputs.

        W·[h_i ‖ h_j ‖ d] + b = (W_s·h)_i + (W_t·h)_j + w_d·d + b. The two matrix products then run once per
        atom (n rows) instead of once per edge (n(n−1) rows on the complete graph), and only the cheap sum is
        formed per edge. Same parameters, same result up to float rounding; it is what makes training on the
        complete graph twice as fast as concatenating the inputs edge by edge.
        """
        linear, activation = self[0], self[1]
        channels = node_embed.size(1)
        source_part = node_embed @ linear.weight[:, :channels].T
        target_part = torch.addmm(linear.bias, node_embed, linear.weight[:, channels : 2 * channels].T)
        row, col = edge_index
        # index_select has a much cheaper backward pass than advanced indexing (h[row])
        pre_activation = source_part.index_select(0, row) + target_part.index_select(0, col)
        pre_activation = torch.addcmul(pre_activation, squared_distance, linear.weight[:, 2 * channels])
        return activation(pre_activation)

    def aggregate_complete_graph(self, node_embed: Tensor, node_pos: Tensor, block_rows: int = 16) -> Tensor:
        """The sum over j != i of eq. (4), sum_j m_ji, for every atom of ONE molecule's complete graph, without
        an edge list: ``[num_atoms, out_channels]``.

        The same messages as :meth:`forward_per_atom` (eq. (2) inlined: m_ji = act((W_s·h)_j + (W_t·h)_i +
        w_d·||x_j − x_i||² + b)), laid out densely as [receivers, senders, channels] for a block of receivers at a
        time (16 receivers x 300 senders x 64 channels is 1.2 MB: it stays in the CPU's cache between the passes
        over it), activated in place when nothing needs the pre-activation (no gradient); the diagonal j = i is
        masked out. For a 300-atom molecule (89,700 edges) this is several times faster than gathering and
        scattering per edge, which is what keeps the viewer's slider interactive. Equal to the edge-list path up
        to float rounding.
        """
        linear, activation = self[0], self[1]
        channels = node_embed.size(1)
        source_part = node_embed @ linear.weight[:, :channels].T
        target_part = torch.addmm(linear.bias, node_embed, linear.weight[:, channels : 2 * channels].T)
        distance_weight = linear.weight[:, 2 * channels]
        num_atoms = node_embed.size(0)
        aggregated = node_embed.new_empty(num_atoms, linear.out_features)
        for start in range(0, num_atoms, block_rows):
            stop = min(start + block_rows, num_atoms)
            receivers = torch.arange(start, stop, device=node_embed.device)
            squared_distance = (node_pos[start:stop, None, :] - node_pos[None, :, :]).pow(2).sum(-1)  # eq. (2)
            messages = (source_part.unsqueeze(0) + target_part[start:stop].unsqueeze(1)).addcmul_(
                squared_distance.unsqueeze(-1), distance_weight
            )
            messages = _activate(activation, messages)  # [receivers, senders, channels]
            others = torch.ones(stop - start, num_atoms, dtype=messages.dtype, device=messages.device)
            others[receivers - start, receivers] = 0.0  # no message from an atom to itself
            aggregated[start:stop] = torch.bmm(others.unsqueeze(1), messages).squeeze(1)
        return aggregated


def _activate(activation: nn.Module, pre_activation: Tensor) -> Tensor:
    """``activation(pre_activation)``, in place for ReLU and SiLU when no gradient is recorded (one pass less
    over a block of messages, no new block allocated)."""
    if not torch.is_grad_enabled():
        if isinstance(activation, nn.ReLU):
            return pre_activation.relu_()
        if isinstance(activation, nn.SiLU):
            return nn.functional.silu(pre_activation, inplace=True)
    return activation(pre_activation)


# --------------------------------------------------------------------- eqs. (5), (6): the feature update
class NodeUpdateMLP(nn.Sequential):
    """Eq. (6), the learned part: phi_h(h_i, m_i) with m_i of eq. (5) (the tutorial's psi_h, eq. (4)).

    Subclasses ``nn.Sequential`` so the state_dict keys stay ``node_update_mlp.0.weight``/``.bias``;
    the weight is ``[out_channels, in_channels + message_channels]``.
    """

    def __init__(self, in_channels: int, message_channels: int, out_channels: int, act: nn.Module) -> None:
        super().__init__(nn.Linear(in_channels + message_channels, out_channels), act)

    def forward(self, h: Tensor, aggregated_messages: Tensor) -> Tensor:  # type: ignore[override]
        return super().forward(torch.cat((h, aggregated_messages), dim=-1))


class ResidualProjection(nn.Linear):
    """The tutorial's residual term W h_i of its eq. (4), added to eq. (6): a bias-free linear map, needed because a layer may
    change the width (e.g. the demo's last layer maps 32 channels to a 1-D embedding)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, bias=False)


# ------------------------------------------------------------------ eq. (4): the coordinate update
class CoordinateUpdate(nn.Module):
    r"""Eq. (4): the displacement of every atom, a sum of relative positions weighted by the messages.

    .. math::

        x_i^{l+1} = x_i^l + C \sum_{j \neq i} (x_i^l - x_j^l)\, \phi_x(m_{ij}) \qquad (4)

    with :math:`C = 1/(n-1)` for a molecule of :math:`n` atoms (the paper's mean over the neighbours) and
    :math:`\phi_x` one linear map of the message :math:`m_{ij}` of eq. (3) to a scalar (the message has already
    passed an activation, so :math:`\phi_x` is a learned function of :math:`h_i, h_j, \|x_i - x_j\|^2`; one
    linear layer keeps the per-edge cost at one dot product). Each term is a scalar times a difference of
    positions, so a rotation or reflection of all positions turns the displacement with them and a
    translation leaves it unchanged: the update is E(3)-equivariant. The tutorial's eqs. (1)-(4) have no
    counterpart (its EGNN stops at the invariant features).

    Returns the displacement :math:`\Delta x_i = x_i^{l+1} - x_i^l`, ``[num_atoms, 3]``.
    """

    def __init__(self, message_channels: int) -> None:
        super().__init__()
        self.phi_x = nn.Linear(message_channels, 1)
        # a small start: the first updates barely move the atoms, so the distances of the next layer start
        # out as the true ones (the reference implementation uses a gain of 0.001 for the same reason)
        nn.init.xavier_uniform_(self.phi_x.weight, gain=0.001)
        nn.init.zeros_(self.phi_x.bias)

    def forward(self, pos: Tensor, messages: Tensor, edge_index: Tensor, inverse_neighbours: Tensor) -> Tensor:
        """``inverse_neighbours`` is C of eq. (4) per atom, ``[num_atoms, 1]`` (1/(n-1) of its molecule)."""
        row, col = edge_index
        # the message m_ij lands on the receiving atom `col`, as in the feature update, so the term for atom
        # i = col is (x_i - x_j) phi_x(m_ji)
        relative = pos.index_select(0, col) - pos.index_select(0, row)
        weighted = relative * self.phi_x(messages)
        return scatter_sum(weighted, col, dim_size=pos.size(0)) * inverse_neighbours


# ------------------------------------------------------------------------------- the layers and the model
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
