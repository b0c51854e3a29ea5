"""Where a run writes its files: everything sits next to the checkpoint and shares its stem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunPaths:
    """``out=runs/egnn.pt`` gives ``runs/egnn.metrics.json``, ``runs/egnn.curves.png``, ``runs/egnn.parity.png``
    and the resumable state ``runs/egnn.train_state.pt``."""

    checkpoint: Path

    @classmethod
    def for_checkpoint(cls, out: str | Path) -> RunPaths:
        return cls(Path(out))

    def _sibling(self, suffix: str) -> Path:
        return self.checkpoint.with_name(self.checkpoint.stem + suffix)

    @property
    def metrics(self) -> Path:
        return self._sibling(".metrics.json")

    @property
    def curves(self) -> Path:
        return self._sibling(".curves.png")

    @property
    def parity(self) -> Path:
        return self._sibling(".parity.png")

    @property
    def state(self) -> Path:
        return self._sibling(".train_state.pt")
