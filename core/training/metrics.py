"""The per-epoch history of a run and the metrics JSON written next to the checkpoint."""

from __future__ import annotations

import json
import resource
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from equiview.core.atomic import write_text_atomically


@dataclass
class EpochRecord:
    """One epoch: losses are in training units (standardised when ``--standardise``), MAEs in target units."""

    epoch: int
    train_loss: float
    train_mae: float
    val_loss: float
    val_mae: float
    lr: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> EpochRecord:
        return cls(**values)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` so a reader never sees a half-written file, even after Ctrl+C (:mod:`equiview.core.atomic`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, json.dumps(payload, indent=2) + "\n")
