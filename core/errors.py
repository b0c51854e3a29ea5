"""The one base class of every error a user can cause: :class:`EquiviewError`.

A bad checkpoint, data folder, bundle, command-line value or molecule name raises a subclass whose message is
one line naming the file or option and the problem. The command line prints exactly that line and exits with
code 2; the window shows it in a message box and keeps its previous state. Any other exception is a bug in
equiview and keeps its traceback (exit code 1), so a bug never poses as bad input.
"""

from __future__ import annotations


class EquiviewError(Exception):
    """Base class: bad input from the user; ``str(error)`` is one line saying what and where."""


class CommandError(EquiviewError, ValueError):
    """A command-line value is malformed or out of its documented bounds."""


class MoleculeNotFoundError(EquiviewError, KeyError):
    """A molecule id names no molecule of the dataset."""

    def __str__(self) -> str:  # KeyError would wrap the sentence in quotes
        return str(self.args[0]) if self.args else "molecule not found"


def one_line(error: BaseException) -> str:
    """The first line of ``error``'s message (its type name when the message is empty)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
