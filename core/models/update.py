"""Eq. (4) of Satorras et al. (2021), with the tutorial's residual projection:
h_i^{l+1} = W h_i^l + psi_h(h_i^l, sum_{j != i} m_ij).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class NodeUpdateMLP(nn.Sequential):
    """Eq. (4), the learned part: psi_h(h_i, m_i) with m_i = sum_{j != i} m_ij.

    Subclasses ``nn.Sequential`` so the state_dict keys stay ``node_update_mlp.0.weight``/``.bias``;
    the weight is ``[out_channels, in_channels + message_channels]``.
    """

    def __init__(self, in_channels: int, message_channels: int, out_channels: int, act: nn.Module) -> None:
        super().__init__(nn.Linear(in_channels + message_channels, out_channels), act)

    def forward(self, h: Tensor, aggregated_messages: Tensor) -> Tensor:  # type: ignore[override]
        return super().forward(torch.cat((h, aggregated_messages), dim=-1))


class ResidualProjection(nn.Linear):
    """Eq. (4), the residual term W h_i: a bias-free linear map, needed because a layer may
    change the width (e.g. the demo's last layer maps 32 channels to a 1-D embedding)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, bias=False)
