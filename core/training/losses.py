"""Loss functions selectable with ``--loss``.

The tutorial trains with MSE. L1 optimises the reported metric (MAE) directly, and Huber is MSE near zero and L1
for large errors, which keeps the few very large ⟨R²⟩ values from dominating the gradient.
"""

from __future__ import annotations

from torch import nn

from equiview.core.training.config import LOSSES


def make_loss(name: str, huber_delta: float = 1.0) -> nn.Module:
    """A mean-reduced loss module for ``name`` in :data:`~equiview.core.training.config.LOSSES`."""
    if name == "mse":
        return nn.MSELoss()
    if name == "l1":
        return nn.L1Loss()
    if name == "huber":
        return nn.HuberLoss(delta=huber_delta)
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
