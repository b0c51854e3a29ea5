"""Writing files so that a reader never sees half of one: :func:`atomic_write`.

Every file equiview writes (checkpoints, training states, metrics, plots, bundles, caches, screenshots,
movies) goes through here. The bytes go to a temporary file in the destination's folder, are flushed to disk,
and the temporary file is renamed over the destination in one step (``os.replace`` is atomic on POSIX and
Windows within one file system). Ctrl+C, an exception or a full disk therefore leave the previous file (or no
file) under the final name, never a truncated one; the temporary file is removed on any error. Only a hard kill
(SIGKILL, power loss) can leave a ``.NAME.*.tmp`` file behind, still never a truncated ``NAME``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TEMP_SUFFIX = ".tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """Open a temporary file next to ``path`` for writing; on success it replaces ``path`` at once.

    ``mode`` is ``"wb"`` or ``"w"`` (text; ``open_kwargs`` such as ``encoding`` are passed on). The folder
    must exist. The new file gets the usual permissions (0666 minus the umask), not mkstemp's 0600.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write writes whole files: mode must be 'wb' or 'w', got {mode!r}")
    target = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def write_bytes_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_write`; returns the path."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def write_text_atomically(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` through :func:`atomic_write`; returns the path."""
    with atomic_write(path, "w", encoding=encoding) as handle:
        handle.write(text)
    return Path(path)


def write_with(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], Any]) -> Path:
    """Let ``writer(handle)`` fill a binary file (``torch.save``, ``figure.savefig``...) and publish it atomically."""
    with atomic_write(path, "wb") as handle:
        writer(handle)
    return Path(path)
