"""Where a command may write: one policy for every ``--out``, ``--plot``, ``--csv``, ``--screenshot``, ``train --out``
and the window's export dialogs (docs/files.md).

* The path names a regular file or nothing yet, in an existing, writable folder. A device (``/dev/null``, a copy
  made with mknod), a FIFO, a socket or a folder is refused: renaming a new file over it would replace what is not
  ours (as root, the system's ``/dev/null``).
* A symbolic link is refused, not followed: equiview replaces the file it writes by renaming a new file over the
  name, which would turn the link into a plain file; name the link's target instead (the message shows it).
* The path may not be a file that another argument of the same command names (``render --molecule-file a.xyz
  --out a.xyz`` would overwrite the molecule with a PNG; ``--plot x.png --csv x.png`` would write one over the
  other): compared with ``os.path.samefile``, so another spelling of the same file is caught too.
* The command holds an advisory lock (``fcntl.flock``) on the final name until it ends, so a second equiview
  process writing the same file is refused in one line instead of one run's results being silently lost. The lock
  lives in a small ``.NAME.lock`` file beside the output, removed when the command ends (a SIGKILLed process
  leaves it, harmlessly: the kernel drops the lock with the process).

Every refusal is one :class:`~equiview.core.errors.CommandError` line naming the option and the file.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from equiview.core.errors import CommandError

LOCK_SUFFIX = ".lock"

_held: dict[str, int] = {}
"""Locked output names (absolute paths) of this process and the lock file's descriptor."""


def check_output_path(
    path: str | os.PathLike[str],
    option: str,
    args: argparse.Namespace | None = None,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    lock: bool = True,
) -> Path:
    """The file ``option`` should write, checked against the policy above and locked for this process.

    ``args`` (the command's parsed arguments) and ``inputs`` name the files the command reads; the output may be
    none of them. The lock is held until :func:`release_outputs` (the command line calls it when a command ends).
    """
    text = os.fspath(path)
    if not str(text).strip():
        raise CommandError(f"{option} needs a file name")
    target = Path(text).expanduser()
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise CommandError(f"{option} {target}: cannot use it ({error.strerror or error})") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise CommandError(f"{option} {target} is a folder, not a file name")
        if stat.S_ISLNK(mode):
            raise CommandError(
                f"{option} {target} is a symbolic link; equiview does not write through links: "
                f"name its target ({os.path.realpath(target)}) or another file"
            )
        if not stat.S_ISREG(mode):
            raise CommandError(
                f"{option} {target} exists and is not a regular file (a device, FIFO or socket); "
                "equiview writes only regular files"
            )
    if not target.parent.is_dir():
        raise CommandError(f"{option}: folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK) or (mode is not None and not os.access(target, os.W_OK)):
        raise CommandError(f"{option}: {target} is not writable")
    if mode is not None:
        for other in [*_argument_files(args, text), *(i for i in inputs if i)]:
            if _same_file(target, other):
                raise CommandError(f"{option} {target} is also an input of this command ({other}); choose another name")
    if lock:
        _lock(target, option)
    return target


def _argument_files(args: argparse.Namespace | None, output: str) -> Iterator[str]:
    """Every argument value that could name a file, but the output itself (``NAME=FILE.py:FACTORY`` in pieces)."""
    if args is None:
        return
    skipped = False
    for value in vars(args).values():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if not isinstance(item, (str, os.PathLike)):
                continue
            item = os.fspath(item)
            if item == output and not skipped:
                skipped = True  # the option being checked; a second argument with the same text is an input
                continue
            yield item
            for piece in item.replace("=", ":").split(":"):
                if piece and piece != item:
                    yield piece


def _same_file(target: Path, other: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(target, Path(other).expanduser())
    except (OSError, ValueError):
        return False


def _lock(target: Path, option: str) -> None:
    key = os.path.abspath(target)
    if key in _held:
        return
    lock_path = target.with_name(f".{target.name}{LOCK_SUFFIX}")
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as error:
            raise CommandError(f"{option} {target}: cannot lock it ({error.strerror or error})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise CommandError(
                f"{option} {target}: another equiview process is writing this file; wait for it or choose another name"
            ) from None
        try:  # the holder before us may have removed the lock file after we opened it: lock the current one
            if os.stat(lock_path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    _held[key] = fd


def _release(key: str) -> None:
    fd = _held.pop(key)
    target = Path(key)
    with contextlib.suppress(OSError):  # removed while still locked: a waiting process re-checks the inode
        os.unlink(target.with_name(f".{target.name}{LOCK_SUFFIX}"))
    os.close(fd)


def release_outputs() -> None:
    """Drop every output lock this process holds (removing the lock files)."""
    for key in list(_held):
        _release(key)


@contextlib.contextmanager
def outputs_released() -> Iterator[None]:
    """Release the output locks taken inside the block when it ends (one command's lifetime)."""
    before = set(_held)
    try:
        yield
    finally:
        for key in [key for key in _held if key not in before]:
            _release(key)


atexit.register(release_outputs)
