"""Learning-rate schedules selectable with ``--schedule``, all with an optional linear warm-up.

``cosine`` and the warm-up advance every optimiser step (smooth even for short runs); ``plateau`` halves the rate
when the validation MAE stops improving for a few epochs and so advances once per epoch.
"""

from __future__ import annotations

import math
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR, ReduceLROnPlateau

from equiview.core.training.config import SCHEDULES

PLATEAU_FACTOR = 0.5
PLATEAU_PATIENCE = 3


def warmup_cosine_factor(step: int, warmup_steps: int, total_steps: int, min_ratio: float, cosine: bool) -> float:
    """The multiplier of the base learning rate after ``step`` optimiser steps."""
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if not cosine:
        return 1.0
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


class LearningRateSchedule:
    """One object the training loop ticks after each batch and each epoch, whatever the schedule."""

    def __init__(
        self,
        optimizer: Optimizer,
        kind: str,
        *,
        epochs: int,
        steps_per_epoch: int,
        warmup_epochs: float = 0.0,
        min_lr_ratio: float = 0.0,
    ) -> None:
        if kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {kind!r}; choose one of {', '.join(SCHEDULES)}")
        self.kind = kind
        self.optimizer = optimizer
        warmup_steps = int(round(warmup_epochs * steps_per_epoch))
        total_steps = epochs * steps_per_epoch
        self._per_step: LambdaLR | None = None
        if kind == "cosine" or warmup_steps > 0:
            cosine = kind == "cosine"
            self._per_step = LambdaLR(
                optimizer,
                lambda step: warmup_cosine_factor(step, warmup_steps, total_steps, min_lr_ratio, cosine),
            )
        self._plateau = (
            ReduceLROnPlateau(optimizer, mode="min", factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE)
            if kind == "plateau"
            else None
        )

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def after_batch(self) -> None:
        if self._per_step is not None:
            self._per_step.step()

    def after_epoch(self, val_mae: float) -> None:
        if self._plateau is not None:
            self._plateau.step(val_mae)

    def state_dict(self) -> dict[str, Any]:
        """Plain numbers only (the warm-up/cosine lambda is rebuilt from the config, not pickled)."""
        state: dict[str, Any] = {}
        if self._per_step is not None:
            per_step = self._per_step.state_dict()
            state["per_step"] = {k: v for k, v in per_step.items() if k != "lr_lambdas"}
        if self._plateau is not None:
            state["plateau"] = self._plateau.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self._per_step is not None and "per_step" in state:
            self._per_step.load_state_dict({**state["per_step"], "lr_lambdas": [None]})
        if self._plateau is not None and "plateau" in state:
            self._plateau.load_state_dict(state["plateau"])
