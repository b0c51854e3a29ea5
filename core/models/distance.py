"""The squared distance ||x_i - x_j||^2 along each edge: the tutorial's eq. (2), the third input of the message in
eq. (3) of Satorras et al. (2021)."""

from __future__ import annotations

from torch import Tensor, nn


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
