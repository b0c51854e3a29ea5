"""Target standardisation: the model learns ``(y - mean) / std`` and predictions are mapped back.

⟨R²⟩ spans roughly 200-1,700 a0² with a mean near 900, so an unstandardised model must first learn a large
offset through its output bias; standardising removes that warm-up and puts the loss on a unit scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from equiview.core.errors import CommandError


@dataclass(frozen=True)
class TargetScaling:
    """An affine map between target units and the units the model is trained in."""

    mean: float = 0.0
    std: float = 1.0

    @classmethod
    def identity(cls) -> TargetScaling:
        return cls()

    @classmethod
    def fit(cls, values: np.ndarray | Tensor) -> TargetScaling:
        """Mean and (population) standard deviation of the training targets."""
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if values.size == 0:
            raise CommandError("cannot standardise an empty training split")
        std = float(values.std())
        if not np.isfinite(std) or std == 0.0:
            raise CommandError("cannot standardise a target whose training values are all equal")
        return cls(float(values.mean()), std)

    @property
    def is_identity(self) -> bool:
        return self.mean == 0.0 and self.std == 1.0

    def normalise(self, y: Tensor) -> Tensor:
        return y if self.is_identity else (y - self.mean) / self.std

    def denormalise(self, y: Tensor) -> Tensor:
        return y if self.is_identity else y * self.std + self.mean

    def as_checkpoint_field(self) -> tuple[float, float] | None:
        """The ``normalisation`` argument of :func:`equiview.core.checkpoints.save_checkpoint` (``None`` = raw target)."""
        return None if self.is_identity else (self.mean, self.std)


def target_column(y: Tensor, target_idx: int) -> Tensor:
    """The ``[B, 1]`` float column of one QM9 target out of ``y [B, 19]``."""
    return y[:, target_idx : target_idx + 1].to(torch.float32)
