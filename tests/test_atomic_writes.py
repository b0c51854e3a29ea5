"""Every file equiview writes goes through core.atomic: an interrupted write never leaves a truncated file."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from equiview.core.atomic import atomic_output, atomic_write, write_bytes_atomically, write_text_atomically

ROOT = Path(__file__).resolve().parents[1]


def test_success_replaces_the_file_with_ordinary_permissions(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    write_bytes_atomically(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    write_text_atomically(tmp_path / "t.json", "{}\n")
    assert (tmp_path / "t.json").read_text() == "{}\n"


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_error_mid_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, error):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the previous, complete file")
    with pytest.raises(type(error)):
        with atomic_write(target) as handle:
            handle.write(b"half of the new")
            raise error
    assert target.read_bytes() == b"the previous, complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
    # and with no previous file, nothing appears under the final name
    fresh = tmp_path / "fresh.pt"
    with pytest.raises(type(error)):
        with atomic_write(fresh) as handle:
            handle.write(b"partial")
            raise error
    assert not fresh.exists() and [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_a_killed_writer_never_leaves_a_truncated_file(tmp_path):
    """SIGKILL in the middle of a slow 8 MB write: the final name holds the old bytes, never a part."""
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    script = (
        "import sys, time\n"
        "from equiview.core.atomic import atomic_write\n"
        "with atomic_write(sys.argv[1]) as handle:\n"
        "    for _ in range(64):\n"
        "        handle.write(b'x' * 131072); handle.flush(); print('chunk', flush=True); time.sleep(0.05)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, cwd=ROOT)
    for _ in range(5):
        process.stdout.readline()
    assert target.read_bytes() == b"old"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    assert target.read_bytes() == b"old"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "big.bin"]
    assert all(
        re.fullmatch(r"\.big\.[0-9a-f]+\.partial\.bin", name) for name in leftovers
    )  # never under the final name


def test_checkpoint_state_metrics_plots_and_bundles_are_written_atomically(tmp_path, monkeypatch):
    """Break the rename: each writer must then leave no file at all under its final name."""
    import numpy as np

    from equiview.core.checkpoints import save_checkpoint
    from equiview.core.data.bundle import save_bundle
    from equiview.core.data.molecules import QM9Molecules
    from equiview.core.models.registry import demo_hparams, demo_model
    from equiview.core.training.metrics import EpochRecord, write_json_atomically
    from equiview.core.training.plots import plot_learning_curves

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    molecules = QM9Molecules(
        np.array([6, 1], dtype=np.uint8),
        np.zeros((2, 3), dtype=np.float32) + np.array([[0, 0, 0], [1, 0, 0]], dtype=np.float32),
        [0, 2],
        np.array([[0, 1], [1, 0]], dtype=np.uint8),
        [0, 2],
        np.zeros((1, 19), dtype=np.float32),
        [1],
    )
    writers = {
        "c.pt": lambda p: save_checkpoint(p, demo_model("egnn"), kind="egnn", hparams=demo_hparams("egnn")),
        "m.json": lambda p: write_json_atomically(p, {"a": 1}),
        "curves.png": lambda p: plot_learning_curves(
            [EpochRecord(1, 1.0, 1.0, 1.0, 1.0, 1e-3, 1.0)], p, title="t", loss_name="MSE", unit="u"
        ),
        "b.npz": lambda p: save_bundle(molecules, p),
    }
    for name, write in writers.items():
        with pytest.raises(OSError, match="No space"):
            write(tmp_path / name)
        assert list(tmp_path.iterdir()) == [], name


# Writing calls that bypass core.atomic: open(..., "w"), Path.write_*, torch.save/np.save/savefig to a path,
# Qt's QImage/QPixmap.save(path) (docstrings, marked by ``, may mention them).
_DIRECT_WRITE = re.compile(
    r"""open\([^)]*["'][wax]b?\+?["']|\.write_(text|bytes)\(|np\.save[z]?(_compressed)?\(|savefig\((?!handle)"""
    r"""|torch\.save\((?![^)]*handle)|\.grab\(\)\.save\((?!buffer)"""
)


def test_no_module_writes_files_around_the_atomic_helper():
    offenders = []
    for path in sorted([*ROOT.glob("core/**/*.py"), *ROOT.glob("viewer/**/*.py")]):
        if path.name == "atomic.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if _DIRECT_WRITE.search(line) and not line.lstrip().startswith("#") and "``" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_atomic_write_refuses_append_mode(tmp_path):
    with pytest.raises(ValueError, match="whole files"):
        with atomic_write(tmp_path / "x", "ab"):
            pass


def test_atomic_output_names_an_unwritable_folder(tmp_path):
    target = tmp_path / "missing" / "x.png"
    with pytest.raises(FileNotFoundError) as failure:
        with atomic_output(target):
            pass
    assert failure.value.filename == str(target)  # the user's one line names their file, not a temporary one


def test_atomic_output_writes_elsewhere_until_the_block_ends(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temporary:
            assert temporary != target and temporary.parent == tmp_path and temporary.suffix == ".csv"
            temporary.write_text("half of the new tab")
            raise RuntimeError("writer failed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
    with atomic_output(target) as temporary:
        temporary.write_text("new\n")
        assert target.read_text() == "old\n"
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
