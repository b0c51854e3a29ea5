"""Eq. (4) of Satorras et al. (2021): the equivariant coordinate update of the full EGNN layer."""

from __future__ import annotations

from torch import Tensor, nn

from equiview.core.models.aggregation import scatter_sum


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
