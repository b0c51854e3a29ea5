"""Eq. (3) of Satorras et al. (2021): the edge message m_ij = phi_e(h_i, h_j, ||x_i - x_j||^2)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MessageMLP(nn.Sequential):
    """Eq. (3): m_ij = phi_e(h_source, h_target, d_ij), one linear layer and an activation.

    Subclasses ``nn.Sequential`` so the tutorial's state_dict keys (``message_mlp.0.weight``,
    ``message_mlp.0.bias``) load unchanged. The input is concatenated in the tutorial's order
    (sender embedding, receiver embedding, squared distance); the weight matrix is therefore
    ``[out_channels, 2 * in_channels + 1]``.
    """

    def __init__(self, in_channels: int, out_channels: int, act: nn.Module) -> None:
        super().__init__(nn.Linear(2 * in_channels + 1, out_channels), act)

    def forward(self, h_source: Tensor, h_target: Tensor, squared_distance: Tensor) -> Tensor:  # type: ignore[override]
        return super().forward(torch.cat((h_source, h_target, squared_distance), dim=-1))
