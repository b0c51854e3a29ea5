"""SIGTERM and SIGHUP end a command the way Ctrl+C does: temporary files removed, one line, exit 143 or 129.

The exception unwinds, every ``with`` block that writes a file removes its temporary file
(:mod:`equiview.core.atomic`), and the command exits with 128 + the signal's number after one line. Without this,
the default action kills the process at once and leaves ``.NAME.*.partial.EXT`` files behind (a closed terminal
sends SIGHUP, ``kill`` and schedulers SIGTERM).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """The process received ``signum``; a ``KeyboardInterrupt`` so that every Ctrl+C path (cleanup, resumable
    training state) handles it alike."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum, _frame) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM and SIGHUP raise :class:`Terminated` (main thread only; elsewhere a no-op)."""
    try:
        previous = {number: signal.signal(number, _raise) for number in SIGNALS}
    except ValueError:  # not the main thread: signals stay as they are
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
