"""The resumable training state: everything needed to continue a run exactly where it stopped.

The file holds only tensors and plain Python values (RNG states are stored as tensors), so it loads with
``torch.load(weights_only=True)`` and cannot execute code. It is written atomically after every epoch and again
when a run is interrupted, always describing an epoch boundary: resuming replays no batch and skips none.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from equiview.core.atomic import write_with
from equiview.core.checkpoints import (
    CheckpointNotFoundError,
    CorruptCheckpointError,
    NotACheckpointError,
    read_torch_file,
)
from equiview.core.errors import CommandError
from equiview.core.training.config import TrainConfig
from equiview.core.training.metrics import EpochRecord

STATE_FORMAT = "equiview-train-state"
STATE_VERSION = 1


@dataclass
class TrainingState:
    """A run at the end of ``epoch`` (0 = before the first epoch)."""

    config: TrainConfig
    epoch: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    schedule: dict[str, Any]
    history: list[EpochRecord]
    best_val_mae: float
    best_epoch: int
    best_model: dict[str, torch.Tensor] | None
    scaling: tuple[float, float]
    torch_rng: torch.Tensor
    cuda_rng: list[torch.Tensor]
    wall_seconds: float
    path: Path | None = field(default=None, compare=False)  # the file it was read from, for messages

    @classmethod
    def capture(
        cls,
        *,
        config: TrainConfig,
        epoch: int,
        model: torch.nn.Module,
        optimizer,
        schedule,
        history: list[EpochRecord],
        best_val_mae: float,
        best_epoch: int,
        best_model: dict[str, torch.Tensor] | None,
        scaling: tuple[float, float],
        wall_seconds: float,
    ) -> TrainingState:
        """A deep copy of the live objects, so later optimiser steps cannot change it."""
        return cls(
            config=copy.deepcopy(config),
            epoch=epoch,
            model={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            optimizer=_to_cpu(copy.deepcopy(optimizer.state_dict())),
            schedule=copy.deepcopy(schedule.state_dict()),
            history=[EpochRecord(**r.to_dict()) for r in history],
            best_val_mae=float(best_val_mae),
            best_epoch=int(best_epoch),
            best_model=None if best_model is None else {k: v.clone() for k, v in best_model.items()},
            scaling=(float(scaling[0]), float(scaling[1])),
            torch_rng=torch.get_rng_state(),
            cuda_rng=list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else [],
            wall_seconds=float(wall_seconds),
        )

    def to_payload(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "config": self.config.to_dict(),
            "epoch": self.epoch,
            "model": self.model,
            "optimizer": self.optimizer,
            "schedule": self.schedule,
            "history": [r.to_dict() for r in self.history],
            "best_val_mae": self.best_val_mae,
            "best_epoch": self.best_epoch,
            "best_model": self.best_model,
            "scaling": list(self.scaling),
            "torch_rng": self.torch_rng,
            "cuda_rng": self.cuda_rng,
            "wall_seconds": self.wall_seconds,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TrainingState:
        return cls(
            config=TrainConfig.from_dict(payload["config"]),
            epoch=int(payload["epoch"]),
            model=payload["model"],
            optimizer=payload["optimizer"],
            schedule=payload["schedule"],
            history=[EpochRecord.from_dict(r) for r in payload["history"]],
            best_val_mae=float(payload["best_val_mae"]),
            best_epoch=int(payload["best_epoch"]),
            best_model=payload["best_model"],
            scaling=(float(payload["scaling"][0]), float(payload["scaling"][1])),
            torch_rng=payload["torch_rng"],
            cuda_rng=list(payload["cuda_rng"]),
            wall_seconds=float(payload["wall_seconds"]),
        )

    def restore_rng(self) -> None:
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(self.cuda_rng)


def _to_cpu(value: Any) -> Any:
    """Optimiser state may live on the GPU; the file is always CPU tensors."""
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cpu(v) for v in value]
    return value


def save_training_state(state: TrainingState, path: str | Path) -> None:
    """Write ``state`` atomically (:func:`equiview.core.atomic.atomic_write`: a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = state.to_payload()
    write_with(path, lambda handle: torch.save(payload, handle))


def load_training_state(path: str | Path) -> TrainingState:
    """Read a state file written by :func:`save_training_state`; one-line errors naming the file otherwise.

    Read like a checkpoint (weights-only unpickler, archive checks); the tensors' shapes are checked against
    the model when the trainer restores it (:meth:`equiview.core.training.trainer.Trainer`).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointNotFoundError(f"{path}: no training state file")
    payload = read_torch_file(path)
    if not isinstance(payload, dict) or payload.get("format") != STATE_FORMAT:
        raise NotACheckpointError(f"{path}: not an equiview training state")
    if payload.get("version") != STATE_VERSION:
        raise CorruptCheckpointError(
            f"{path}: training-state version {payload.get('version')!r}; this equiview reads version {STATE_VERSION}"
        )
    try:
        state = TrainingState.from_payload(payload)
    except CommandError as error:
        raise CorruptCheckpointError(f"{path}: invalid settings ({error})") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise CorruptCheckpointError(
            f"{path}: an incomplete or damaged training state ({type(error).__name__}: {error})"
        ) from None
    state.path = path
    return state
