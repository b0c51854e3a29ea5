"""The first check on a file a user names (a molecule file, a model's source): it exists, is a file, is not huge.

Done before anything opens the file, so a directory, a device or a 10 GB file is one line naming it, not a
parser's traceback or minutes of reading.
"""

from __future__ import annotations

from pathlib import Path

from equiview.core.errors import EquiviewError


def checked_size(path: Path, where: str, limit: int, limit_words: str, error: type[EquiviewError]) -> int:
    """The size in bytes of the file at ``path``, at most ``limit``; otherwise ``error("{where}: ...")``.

    ``limit_words`` ends the message for a file too large: "... MB is more than the 10 MB {limit_words}".
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise error(f"{where}: no such file") from None
    except OSError as failure:
        raise error(f"{where}: cannot read it ({failure.strerror or failure})") from None
    if not path.is_file():
        raise error(f"{where}: not a file")
    if size > limit:
        raise error(f"{where}: {size / 1e6:.1f} MB is more than the {limit / 1e6:.0f} MB {limit_words}")
    return size
