"""Issue 19, findings 3-5: one output-path policy (core.output_path) for every command that writes, SIGTERM and
SIGHUP like Ctrl+C, and one writer per file. Real subprocesses, real device nodes, FIFOs, links and signals."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from molecule_files_fixtures import ETHANOL, write_xyz
from training_runs import SMALL_RUN
from viewer_fixtures import ROOT, run_equiview

from equiview.core.atomic import write_bytes_atomically
from equiview.core.errors import CommandError
from equiview.core.output_path import check_output_path, outputs_released

NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None}


def one_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, (done.returncode, done.stderr[-2000:])
    return lines[0]


def null_device(path: Path) -> Path:
    """A copy of /dev/null (character device 1,3) made with mknod; we are root in the test machine."""
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return path


def assert_char_device(path: Path) -> None:
    assert stat.S_ISCHR(os.lstat(path).st_mode)


COMMANDS = {
    "render": lambda out, mol: ["render", "--molecule-file", str(mol), "--out", str(out)],
    "movie": lambda out, mol: ["movie", "--molecule-file", str(mol), "--out", str(out.with_suffix(".gif"))],
    "sweep --csv": lambda out, mol: ["sweep", "--molecule-file", str(mol), "--csv", str(out.with_suffix(".csv"))],
    "sweep --plot": lambda out, mol: ["sweep", "--molecule-file", str(mol), "--plot", str(out.with_suffix(".png"))],
    "train": lambda out, mol: ["train", "--model", "egnn", "--out", str(out.with_suffix(".pt")), *SMALL_RUN],
    "data bundle": lambda out, mol: ["data", "bundle", "--out", str(out.with_suffix(".npz"))],
}


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_output_option_refuses_a_device(tmp_path, command):
    molecule = write_xyz(tmp_path / "ethanol.xyz", ETHANOL)
    argv = COMMANDS[command](tmp_path / "out.png", molecule)
    out = Path(argv[argv.index(next(a for a in argv if a in ("--out", "--csv", "--plot"))) + 1])
    null_device(out)
    line = one_line(run_equiview(*argv, env=NO_DISPLAY, cwd=tmp_path))
    assert str(out) in line and "not a regular file" in line
    assert_char_device(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["ethanol.xyz", out.name])


def test_render_refuses_to_write_over_its_own_molecule_file(tmp_path):
    molecule = write_xyz(tmp_path / "a.xyz", ETHANOL)
    before = molecule.read_bytes()
    for spelling in (str(molecule), "./a.xyz", str(tmp_path / "." / "a.xyz")):
        line = one_line(
            run_equiview("render", "--molecule-file", "a.xyz", "--out", spelling, env=NO_DISPLAY, cwd=tmp_path)
        )
        assert "also an input" in line and "a.xyz" in line
    assert molecule.read_bytes() == before


def test_a_fifo_a_socket_and_a_symlink_are_refused_and_kept(tmp_path):
    target = tmp_path / "real.png"
    target.write_bytes(b"the user's picture")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "sock.png"))
    try:
        for path, words in (
            (link, "symbolic link"),
            (fifo, "not a regular file"),
            (tmp_path / "sock.png", "not a regular file"),
        ):
            with pytest.raises(CommandError, match=words):
                check_output_path(path, "--out")
        line = one_line(run_equiview("render", "--out", str(link), env=NO_DISPLAY, cwd=tmp_path))
        assert "symbolic link" in line and str(target) in line  # the message names the link's target
    finally:
        listener.close()
    assert link.is_symlink() and target.read_bytes() == b"the user's picture"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_the_atomic_layer_never_renames_over_a_device(tmp_path):
    """Whatever a caller checked before, the last step refuses: a path that became a device keeps it."""
    device = null_device(tmp_path / "x.png")
    with pytest.raises(OSError) as failure:
        write_bytes_atomically(device, b"png")
    assert failure.value.filename == str(device)
    assert_char_device(device)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


def test_a_second_writer_of_one_file_is_refused(tmp_path):
    """Two `equiview train --out same.pt`: the second is refused in one line while the first runs."""
    out = tmp_path / "same.pt"
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "equiview",
            "train",
            "--model",
            "egnn",
            "--out",
            str(out),
            "--epochs",
            "10000",
            *SMALL_RUN,
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT.parent))},
    )
    try:
        deadline = time.monotonic() + 300
        while not (tmp_path / ".same.pt.lock").exists():
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
            time.sleep(0.1)
        second = run_equiview("train", "--model", "egnn", "--out", str(out), *SMALL_RUN, cwd=tmp_path)
        line = one_line(second)
        assert str(out) in line and "another equiview process is writing" in line
        with pytest.raises(CommandError, match="another equiview process"):
            check_output_path(out, "--out")  # the same check in this process
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=300)
    assert first.returncode == 130  # the trainer's own SIGTERM handling: a resumable state, "interrupted"
    assert not (tmp_path / ".same.pt.lock").exists()
    with outputs_released():
        assert check_output_path(out, "--out") == out  # free again


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_during_a_movie_export_leaves_nothing(tmp_path, signum, code):
    molecule = write_xyz(tmp_path / "ethanol.xyz", ETHANOL)
    entry = "import sys; from equiview.viewer.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if k not in NO_DISPLAY}
    argv = ["movie", "--molecule-file", str(molecule), "--out", "m.gif", "--frames", "720", "--size", "96x96"]
    process = subprocess.Popen(
        [sys.executable, "-c", entry, *argv], cwd=tmp_path, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 300
        while not list(tmp_path.glob(".m.*.partial.gif")):
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.05)
        time.sleep(0.5)  # into the frames
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    lines = [line for line in stderr.replace("\r", "\n").splitlines() if line.strip() and not line.startswith("m.gif:")]
    assert process.returncode == code and len(lines) == 1, stderr[-2000:]
    assert lines[0] == f"equiview: terminated by {signal.Signals(signum).name}"
    assert [p.name for p in tmp_path.iterdir()] == ["ethanol.xyz"]


def test_a_full_disk_during_train_is_one_line_naming_the_file(tmp_path, small_disk):
    """A real 64 KB tmpfs: the checkpoint does not fit. torch.save reports ENOSPC as a RuntimeError of its zip
    writer; the command still says which file could not be written, exit 2, and leaves no partial file."""
    disk = small_disk("64k")
    out = disk / "run.pt"
    done = run_equiview("train", "--model", "egnn", "--out", str(out), "--epochs", "1", *SMALL_RUN, cwd=tmp_path)
    line = one_line(done)
    assert line.startswith(f"equiview: error: {disk}/run.") and line.endswith("No space left on device")
    assert list(disk.iterdir()) == []


def test_the_output_lock_refuses_another_process_and_is_freed_when_it_ends(tmp_path):
    out = tmp_path / "table.csv"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from equiview.core.output_path import check_output_path\n"
            "check_output_path(sys.argv[1], '--csv'); print('held', flush=True); sys.stdin.readline()",
            str(out),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CommandError, match="another equiview process is writing this file"):
            check_output_path(out, "--csv")
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0 and list(tmp_path.iterdir()) == []  # the lock file went with the process
    with outputs_released():
        assert check_output_path(out, "--csv") == out
    assert list(tmp_path.iterdir()) == []
