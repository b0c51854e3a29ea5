"""Which failures are the user's and which are bugs: the one place the viewer decides.

A user error (a bad file, an unknown molecule, a value out of range) is shown as one line and the
viewer keeps its state; anything else is a bug and shows its traceback. The types are
``equiview.core.cli.user_errors``, the command line's exit-2 errors: :class:`equiview.core.errors.EquiviewError` (whose
subclasses include the viewer's :class:`~equiview.viewer.model.library.ModelLoadError`) and ``OSError``.
"""

from __future__ import annotations

import traceback

from equiview.core.errors import EquiviewError


class ViewValueError(EquiviewError, ValueError):
    """A value for the view state is out of range (a molecule position, a colormap, a projection channel)."""


def user_error_types() -> tuple[type[BaseException], ...]:
    """Exception types whose message is meant for the user."""
    from equiview.core.cli import user_errors

    return user_errors()


def is_user_error(error: BaseException) -> bool:
    return isinstance(error, user_error_types())


def error_text(error: BaseException) -> str:
    """One line for a message box, the status bar or stderr: the error's message, cut to its first line."""
    from equiview.core.cli import error_message

    text = error_message(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def bug_text(error: BaseException) -> str:
    """The full traceback of an internal error, for its details and stderr."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))
