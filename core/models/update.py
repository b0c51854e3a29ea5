r"""The feature update: eqs. (5) and (6) of Satorras et al. (2021), the tutorial's eq. (4) with its residual W:

.. math::

    m_i = \sum_{j \neq i} m_{ij} \qquad (5) \\
    h_i^{l+1} = W h_i^l + \phi_h(h_i^l, m_i) \qquad (6)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


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
