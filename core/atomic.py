"""Writing files so that a reader never sees half of one: :func:`atomic_write` and :func:`atomic_output`.

Every file equiview writes (checkpoints, training states, metrics, plots, bundles, caches, screenshots, tables,
movies) goes through here. The bytes go to a temporary file ``.NAME.<random>.partial.EXT`` in the destination's
folder, are flushed to disk (``fsync``), and the temporary file is renamed over the destination in one step
(``os.replace`` is atomic on POSIX within one file system). Ctrl+C, SIGTERM/SIGHUP (the command line turns them
into an exception), any other exception or a full disk therefore leave the previous file (or no file) under the
final name, never a truncated one, and the temporary file is removed. Only a hard kill (SIGKILL, power loss) can
leave a ``.NAME.*.partial.EXT`` file behind, still never a truncated ``NAME``.

Two forms: :func:`atomic_write` yields an open handle (``torch.save``, ``json.dump``, ``savefig``);
:func:`atomic_output` yields the temporary *path* for writers that need a file name (ffmpeg, Pillow). A failed
write raises an ``OSError`` whose ``filename`` is the destination, so the user's one line names the file they
asked for, not the temporary one. The last step refuses to rename over anything but a regular file: a device,
FIFO, socket, folder or symbolic link at the destination stays as it was (:mod:`equiview.core.output_path` says
so earlier, in the words of the option that named it).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

PARTIAL = ".partial"
"""Marks a temporary file: ``.NAME.<random>.partial.EXT`` (the same extension, so writers pick the same format)."""


def _named(error: OSError, target: Path) -> OSError:
    """``error`` with the destination as its file name (the temporary name means nothing to the user)."""
    if error.errno is None:
        return OSError(f"{target}: {error}")
    return OSError(error.errno, error.strerror or os.strerror(error.errno), str(target))


def _create_temporary(target: Path) -> tuple[int, Path]:
    """A new, empty file next to ``target`` (mode 0666 minus the umask, not mkstemp's 0600) and its open fd."""
    while True:
        temporary = target.with_name(f".{target.stem}.{secrets.token_hex(4)}{PARTIAL}{target.suffix}")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue
        except OSError as error:
            raise _named(error, target) from None


def _os_error_behind(error: BaseException) -> OSError | None:
    """The ``OSError`` (a full disk, an I/O error) that a writer's own exception was raised while handling."""
    if not isinstance(error, Exception):
        return None
    seen = error.__cause__ or error.__context__
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def check_replaceable(target: Path) -> None:
    """``OSError`` naming ``target`` unless it is absent or a regular file (never rename over a device or a link)."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise OSError(errno.EEXIST, f"{kind}; equiview writes only regular files", str(target))


def _publish(temporary: Path, target: Path) -> None:
    fd = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(fd)  # the bytes are on disk before the name points at them
    finally:
        os.close(fd)
    check_replaceable(target)
    os.replace(temporary, target)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` (same extension); on success it replaces ``path`` at once.

    On any exception (``KeyboardInterrupt`` included) the temporary file is removed and the exception propagates;
    an ``OSError`` comes out naming ``path``.
    """
    target = Path(path)
    fd, temporary = _create_temporary(target)
    os.close(fd)
    try:
        yield temporary
        _publish(temporary, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        if isinstance(error, OSError) and error.filename in (None, str(temporary), temporary):
            raise _named(error, target) from None
        cause = _os_error_behind(error)
        if cause is not None:  # torch.save's zip writer turns ENOSPC into "RuntimeError: unexpected pos ..."
            raise _named(cause, target) from None
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """Open a temporary file next to ``path`` for writing; on success it replaces ``path`` at once.

    ``mode`` is ``"wb"`` or ``"w"`` (text; ``open_kwargs`` such as ``encoding`` are passed on). The folder
    must exist.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write writes whole files: mode must be 'wb' or 'w', got {mode!r}")
    with atomic_output(path) as temporary, open(temporary, mode, **open_kwargs) as handle:
        yield handle


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
