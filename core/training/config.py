"""What one training run is: every option, with the tutorial's set-up as the default.

A :class:`TrainConfig` is plain data (numbers, strings, booleans) so it can be stored verbatim in the metrics
JSON and in the resumable training state, which ``torch.load(weights_only=True)`` must be able to read back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from equiview.core.bounds import check_count, check_rate
from equiview.core.errors import CommandError

LOSSES = ("mse", "l1", "huber")
SCHEDULES = ("none", "cosine", "plateau")

# TeachOpenCADD T036 trains the EGNN for 25 epochs at lr 2e-4 and the naive GNN for 100 epochs at lr 3e-4, both
# with hidden width 64, batch 32, Adam (weight decay 1e-8) and an MSE loss on the raw target.
TUTORIAL_DEFAULTS: dict[str, dict[str, Any]] = {
    "egnn": {"hidden": 64, "layers": 2, "epochs": 25, "lr": 2e-4},
    "naive": {"hidden": 64, "layers": 4, "epochs": 100, "lr": 3e-4},
    # not in the tutorial: the dipole models predict QM9's dipole moment (target 0, Debye)
    "naive-dipole": {"hidden": 64, "layers": 4, "epochs": 100, "lr": 3e-4, "target": 0},
    "dipole": {"hidden": 64, "layers": 3, "epochs": 100, "lr": 5e-4, "target": 0},
}
# Kinds that predict a vector and are trained on its length |mu|, QM9's target 0.
DIPOLE_TARGET = 0
VECTOR_MODELS = frozenset({"naive-dipole", "dipole"})
TUTORIAL_BATCH_SIZE = 32
TUTORIAL_WEIGHT_DECAY = 1e-8
TUTORIAL_SEED = 420
QM9_TARGET_COUNT = 19
# Fields checked against core.bounds.BOUNDS / RATES under their option names (--batch-size for batch_size).
_COUNTS = (
    "epochs",
    "hidden",
    "layers",
    "batch_size",
    "eval_batch_size",
    "seed",
    "split_seed",
    "limit_train",
    "limit_val",
    "limit_test",
)
_RATES = ("lr", "weight_decay", "huber_delta", "warmup_epochs", "min_lr_ratio", "clip_grad")


def _option(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


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
            raise CommandError(f"unknown model kind {model!r}; choose one of {', '.join(TUTORIAL_DEFAULTS)}")
        values = dict(TUTORIAL_DEFAULTS[model])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(model=model, out=str(out), **values).validate()

    def validate(self) -> TrainConfig:
        """Check every field against :mod:`equiview.core.bounds`; returns ``self`` so it can be chained.

        Raises :class:`~equiview.core.errors.CommandError` (a ``ValueError``) with one line naming the option.
        """
        if self.model not in TUTORIAL_DEFAULTS:
            raise CommandError(f"unknown model kind {self.model!r}; choose one of {', '.join(TUTORIAL_DEFAULTS)}")
        if self.loss not in LOSSES:
            raise CommandError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.schedule not in SCHEDULES:
            raise CommandError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        for name in _COUNTS:
            value = getattr(self, name)
            if value is not None or not name.startswith("limit_"):
                check_count(_option(name), value)
        for name in _RATES:
            check_rate(_option(name), getattr(self, name))
        if self.warmup_epochs > self.epochs:
            raise CommandError(f"--warmup-epochs ({self.warmup_epochs:g}) must not exceed --epochs ({self.epochs})")
        if self.model in VECTOR_MODELS and self.target != DIPOLE_TARGET:
            raise CommandError(f"--model {self.model} predicts the dipole moment: --target must be {DIPOLE_TARGET}")
        if self.model in VECTOR_MODELS and self.standardise:
            raise CommandError(
                f"--model {self.model} predicts |mu| in Debye as the length of a vector; --standardise does not apply"
            )
        if isinstance(self.target, bool) or not isinstance(self.target, int) or not 0 <= self.target < QM9_TARGET_COUNT:
            raise CommandError(f"--target must be a QM9 target index 0..{QM9_TARGET_COUNT - 1}, got {self.target!r}")
        if not self.out or not isinstance(self.out, str):
            raise CommandError("--out must name the checkpoint file to write")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Rebuild from :meth:`to_dict` output, ignoring keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in values.items() if k in known}).validate()
        except TypeError as error:  # a required field is missing
            raise CommandError(f"incomplete training settings ({error})") from None
