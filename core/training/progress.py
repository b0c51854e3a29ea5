"""Progress reporting: a tqdm bar on a terminal, one line per epoch in logs, nothing with ``--quiet``."""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

from equiview.core.training.metrics import EpochRecord


class TrainingProgress:
    """One bar over all optimiser steps of the run, labelled with the epoch, loss, val MAE and time."""

    def __init__(
        self, *, total_epochs: int, steps_per_epoch: int, start_epoch: int, enabled: bool, stream: TextIO | None = None
    ) -> None:
        self.total_epochs = total_epochs
        self.enabled = enabled
        self.stream = stream or sys.stderr
        is_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar = None
        if enabled and is_terminal:
            self._bar = tqdm(
                total=total_epochs * steps_per_epoch,
                initial=start_epoch * steps_per_epoch,
                desc=f"epoch {min(start_epoch + 1, total_epochs)}/{total_epochs}",
                file=self.stream,
                unit="batch",
                dynamic_ncols=True,
                leave=True,
            )
        self._last_val_mae: float | None = None

    def start_epoch(self, epoch: int) -> None:
        if self._bar is not None:
            self._bar.set_description(f"epoch {epoch}/{self.total_epochs}")

    def batch_done(self, running_loss: float) -> None:
        if self._bar is not None:
            postfix = {"loss": f"{running_loss:.4g}"}
            if self._last_val_mae is not None:
                postfix["val MAE"] = f"{self._last_val_mae:.4g}"
            self._bar.set_postfix(postfix, refresh=False)
            self._bar.update(1)

    def epoch_done(self, record: EpochRecord, is_best: bool) -> None:
        self._last_val_mae = record.val_mae
        if not self.enabled:
            return
        line = (
            f"epoch {record.epoch}/{self.total_epochs}  loss {record.train_loss:.4g}  "
            f"train MAE {record.train_mae:.4g}  val MAE {record.val_mae:.4g}{' *' if is_best else ''}  "
            f"lr {record.lr:.3g}  {record.seconds:.1f} s"
        )
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def message(self, text: str) -> None:
        """A line that is shown even with ``--quiet`` (interruptions, where files went)."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
