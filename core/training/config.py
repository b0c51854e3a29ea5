"""What one training run is: every option, with the tutorial's set-up as the default.

A :class:`TrainConfig` is plain data (numbers, strings, booleans) so it can be stored verbatim in the metrics
JSON and in the resumable training state, which ``torch.load(weights_only=True)`` must be able to read back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

LOSSES = ("mse", "l1", "huber")
SCHEDULES = ("none", "cosine", "plateau")

# TeachOpenCADD T036 trains the EGNN for 25 epochs at lr 2e-4 and the naive GNN for 100 epochs at lr 3e-4, both
# with hidden width 64, batch 32, Adam (weight decay 1e-8) and an MSE loss on the raw target.
TUTORIAL_DEFAULTS: dict[str, dict[str, Any]] = {
    "egnn": {"hidden": 64, "layers": 2, "epochs": 25, "lr": 2e-4},
    "naive": {"hidden": 64, "layers": 4, "epochs": 100, "lr": 3e-4},
}
TUTORIAL_BATCH_SIZE = 32
TUTORIAL_WEIGHT_DECAY = 1e-8
TUTORIAL_SEED = 420
QM9_TARGET_COUNT = 19


@dataclass
class TrainConfig:
    """All settings of a training run; :meth:`validate` turns nonsense into one-line ``ValueError``s."""

    model: str
    out: str
    epochs: int
    lr: float
    hidden: int
    layers: int
    batch_size: int = TUTORIAL_BATCH_SIZE
    seed: int = TUTORIAL_SEED  # model initialisation and the per-epoch shuffles
    split_seed: int = TUTORIAL_SEED  # the tutorial's train/val/test split
    source: str = "bundled"
    data_root: str | None = None
    target: int = 5
    standardise: bool = False
    augment_rotations: bool = False  # rotate each training molecule at random every step
    loss: str = "mse"
    huber_delta: float = 1.0
    schedule: str = "none"
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.0  # cosine decays to lr * min_lr_ratio
    weight_decay: float = TUTORIAL_WEIGHT_DECAY
    clip_grad: float = 0.0  # max gradient norm; 0 disables clipping
    eval_batch_size: int = 256
    limit_train: int | None = None
    limit_val: int | None = None
    limit_test: int | None = None

    @classmethod
    def for_model(cls, model: str, out: str, **overrides: Any) -> TrainConfig:
        """The tutorial's set-up for ``model``; ``overrides`` whose value is ``None`` keep the default."""
        if model not in TUTORIAL_DEFAULTS:
            raise ValueError(f"unknown model kind {model!r}; choose one of {', '.join(TUTORIAL_DEFAULTS)}")
        values = dict(TUTORIAL_DEFAULTS[model])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(model=model, out=str(out), **values).validate()

    def validate(self) -> TrainConfig:
        """Check every field; returns ``self`` so it can be chained."""

        def positive(name: str) -> None:
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}")

        def non_negative(name: str) -> None:
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must not be negative, got {getattr(self, name)}")

        if self.model not in TUTORIAL_DEFAULTS:
            raise ValueError(f"unknown model kind {self.model!r}; choose one of {', '.join(TUTORIAL_DEFAULTS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        for name in ("epochs", "lr", "hidden", "layers", "batch_size", "eval_batch_size", "huber_delta"):
            positive(name)
        for name in ("warmup_epochs", "weight_decay", "clip_grad", "min_lr_ratio"):
            non_negative(name)
        if self.min_lr_ratio > 1:
            raise ValueError(f"--min-lr-ratio must be at most 1, got {self.min_lr_ratio}")
        if not 0 <= self.target < QM9_TARGET_COUNT:
            raise ValueError(f"--target must be a QM9 target index 0..{QM9_TARGET_COUNT - 1}, got {self.target}")
        for name in ("limit_train", "limit_val", "limit_test"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        if not self.out:
            raise ValueError("--out must name the checkpoint file to write")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Rebuild from :meth:`to_dict` output, ignoring keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known}).validate()
