"""Write a file all at once or not at all, for writers that need a file NAME (ffmpeg, imageio).

A temporary file in the same folder is renamed over the target; writers that take an open handle use
:func:`equiview.core.atomic.atomic_write` instead.

A movie, plot or table that fails or is cancelled halfway (an exception, Ctrl+C) leaves no file behind and
keeps an older file of the same name untouched; the rename is atomic because both names are on one file system.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` (same extension, so writers pick the same format).

    On a normal exit the temporary file replaces ``path``; on any exception, ``KeyboardInterrupt``
    included, it is removed and the exception propagates.
    """
    target = Path(path)
    while True:
        temporary_path = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")
        try:  # mode 0o666 minus the umask, like any new file (mkstemp would give 0o600)
            os.close(os.open(temporary_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
        except OSError as error:
            raise OSError(f"cannot write {target}: {error.strerror or error}") from None
    try:
        yield temporary_path
        os.replace(temporary_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary_path.unlink()
        raise
