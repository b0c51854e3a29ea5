"""One guard for every Qt slot: an exception never escapes into Qt, and never hides what it is.

A user error (:func:`equiview.viewer.model.errors.is_user_error`: a bad file, an unknown molecule, a value
out of range) becomes a message box and a status line, and the state stays as it was. Anything else
is a bug: its traceback goes to stderr and into the details of an "internal error" dialog, so it
never poses as bad input. The nearest object up the Qt parent chain that has a
``show_failure(Failure)`` method (the main window) shows it.

Use :func:`guarded` on slot methods and ``with reporting(self):`` around inline code.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from equiview.viewer.model.errors import bug_text, error_text, is_user_error


@dataclass(frozen=True)
class Failure:
    """What went wrong, ready to show: one line, and for a bug the traceback."""

    message: str
    details: str | None = None  # the traceback of an internal error; None for a user error

    @property
    def is_bug(self) -> bool:
        return self.details is not None

    @classmethod
    def from_exception(cls, error: BaseException, context: str = "") -> Failure:
        prefix = f"{context}: " if context else ""
        if is_user_error(error):
            return cls(prefix + error_text(error))
        return cls(f"{prefix}internal error ({type(error).__name__}: {error_text(error)})", bug_text(error))


def report(source: object, failure: Failure) -> None:
    """Hand ``failure`` to the nearest ``show_failure`` up the parent chain of ``source``; stderr for bugs."""
    if failure.is_bug:
        print(f"equiview: {failure.message}\n{failure.details}", file=sys.stderr, flush=True)
    node = source
    while node is not None:
        show = getattr(node, "show_failure", None)
        if show is not None:
            try:
                show(failure)
            except RuntimeError:  # the window is being deleted: stderr is all that is left
                break
            return
        parent = getattr(node, "parent", None)
        node = parent() if callable(parent) else None
    if not failure.is_bug:
        print(f"equiview: error: {failure.message}", file=sys.stderr, flush=True)


@contextmanager
def reporting(source: object, context: str = "", on_error: Callable[[], None] | None = None) -> Iterator[None]:
    """Run the block; an exception is reported (see :func:`report`) and ``on_error`` resyncs the widgets."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - a slot must never raise into Qt; reported below
        report(source, Failure.from_exception(error, context))
        if on_error is not None:
            with reporting(source):
                on_error()


def guarded(method: Callable | None = None, *, context: str = "", on_error: str | None = None):
    """Decorate a slot method: exceptions are reported instead of escaping into Qt.

    ``on_error`` names a method of the same object to call after a failure (e.g. to make the
    widgets show the state again).
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(self, *args, **kwargs):
            resync = getattr(self, on_error) if on_error else None
            with reporting(self, context, resync):
                return function(self, *args, **kwargs)
            return None

        return wrapper

    return decorate(method) if method is not None else decorate
