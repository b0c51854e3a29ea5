"""Issue 7 items 4 and 7, issue 8 items 6 and 7: every bad input is one line and exit code 2, every bug a traceback.

Each case here once ended in a traceback, a silent wrong answer or minutes of work before a refusal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from crafted_files import project_payload
from viewer_fixtures import run_python

from equiview.core.bounds import BOUNDS, RATES
from equiview.core.errors import CommandError, EquiviewError, MoleculeNotFoundError

ROOT = Path(__file__).resolve().parents[1]


def run_cli(capsys, *argv: str) -> tuple[int, list[str]]:
    from equiview.viewer.cli import main

    code = main(list(argv))
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, err


def assert_one_line(capsys, *argv: str, fragment: str = "") -> str:
    code, err = run_cli(capsys, *argv)
    assert code == 2 and len(err) == 1, (code, err)
    assert fragment in err[0], err[0]
    return err[0]


@pytest.fixture
def no_display(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)


# ------------------------------------------------------------------------------------------ item 4
def test_a_symlink_loop_as_a_checkpoint_is_one_line(tmp_path, capsys):
    loop = tmp_path / "loop.pt"
    loop.symlink_to(loop)
    out = str(tmp_path / "x.png")
    assert_one_line(capsys, "render", "--out", out, "--egnn", str(loop), fragment="loop.pt")
    assert_one_line(capsys, "gui", "--screenshot", out, "--egnn", str(loop), fragment="loop.pt")
    assert_one_line(capsys, "eval", "--checkpoint", str(loop), fragment="loop.pt")
    assert not Path(out).exists()


def test_huge_finite_weights_are_refused_not_evaluated_to_inf(tmp_path, capsys):
    poisoned = project_payload("egnn")
    poisoned["state_dict"] = {k: v.clone() for k, v in poisoned["state_dict"].items()}
    poisoned["state_dict"]["f_predict.0.weight"].fill_(3e38)
    path = tmp_path / "huge.pt"
    torch.save(poisoned, path)
    assert_one_line(capsys, "eval", "--checkpoint", str(path), fragment="huge.pt: parameter f_predict.0.weight")
    out = str(tmp_path / "x.png")
    assert_one_line(capsys, "render", "--out", out, "--egnn", str(path), fragment="--egnn: ")
    assert not Path(out).exists()


def test_bonds_out_of_range_in_a_bundle_are_one_line_in_render(tmp_path, capsys, dataset):
    from equiview.core.data.bundle import save_bundle

    few = dataset.subset(np.arange(900))
    broken = few.subset(np.arange(900))
    broken.bonds[:] = 60  # every bond names an atom no molecule has
    path = tmp_path / "bonds.npz"
    save_bundle(broken, path)
    out = str(tmp_path / "x.png")
    assert_one_line(capsys, "render", "--out", out, "--root", str(path), fragment="bonds.npz is inconsistent")
    assert not Path(out).exists()


@pytest.mark.parametrize(
    "option, value",
    [
        ("--lr", "1e308"),
        ("--warmup-epochs", "inf"),
        ("--hidden", "1000000000"),
        ("--hidden", "1e9"),
        ("--layers", "100000"),
        ("--min-lr-ratio", "nan"),
        ("--huber-delta", "nan"),
        ("--clip-grad", "nan"),
        ("--epochs", "0"),
        ("--batch-size", "100000"),
        ("--seed", "99999999999999999999"),
    ],
)
def test_train_values_beyond_their_bounds_are_one_line(tmp_path, capsys, option, value):
    # refused before any work: nothing written (no wall-time bound: it fails on a loaded machine)
    message = assert_one_line(capsys, "train", "--model", "egnn", "--out", str(tmp_path / "m.pt"), option, value)
    assert option in message
    assert list(tmp_path.iterdir()) == []


def test_warmup_longer_than_the_run_is_refused(tmp_path, capsys):
    args = ("train", "--model", "egnn", "--out", str(tmp_path / "m.pt"), "--epochs", "2", "--warmup-epochs", "5")
    assert_one_line(capsys, *args, fragment="must not exceed --epochs")


def test_resume_with_wrong_tensor_shapes_is_one_line(tmp_path, capsys):
    out = tmp_path / "run.pt"
    small = ["--limit-train", "32", "--limit-val", "16", "--limit-test", "16", "--threads", "1", "--quiet"]
    code, err = run_cli(capsys, "train", "--model", "egnn", "--epochs", "1", "--hidden", "8", "--out", str(out), *small)
    assert code == 0, err
    state_file = tmp_path / "run.train_state.pt"
    payload = torch.load(state_file, weights_only=True)
    payload["model"]["f_initial_embed.weight"] = torch.zeros(100, 9)
    torch.save(payload, state_file)
    message = assert_one_line(capsys, "train", "--resume", str(state_file), "--epochs", "2")
    assert "run.train_state.pt: the saved model does not fit egnn" in message
    payload = torch.load(state_file, weights_only=True)
    payload["model"]["f_initial_embed.weight"] = torch.zeros(100, 8)
    first_state = next(iter(payload["optimizer"]["state"]))
    payload["optimizer"]["state"][first_state]["exp_avg"] = torch.zeros(3)
    torch.save(payload, state_file)
    assert_one_line(capsys, "train", "--resume", str(state_file), "--epochs", "2", fragment="optimiser state exp_avg")


def test_ctrl_c_during_the_final_test_evaluation_is_one_line(tmp_path, capsys, monkeypatch):
    import equiview.core.training.trainer as trainer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "predict_split", interrupted)
    small = ["--limit-train", "32", "--limit-val", "16", "--limit-test", "16", "--threads", "1", "--quiet"]
    try:
        code, err = run_cli(
            capsys,
            "train",
            "--model",
            "egnn",
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--out",
            str(tmp_path / "r.pt"),
            *small,
        )
    except KeyboardInterrupt:
        pytest.fail("Ctrl+C escaped the command line as a traceback")
    assert code == 130 and err == ["equiview: interrupted"]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_imports_is_one_line():
    process = subprocess.Popen(
        # `data info` no longer imports PyG and can finish within the second on a quiet machine; a long
        # check-invariance is still importing torch or already computing after one second, either way interrupted
        [
            sys.executable,
            "-c",
            "import sys; from equiview.viewer.cli import main; sys.exit(main(sys.argv[1:]))",
            "check-invariance",
            "--molecules",
            "1000",
            "--trials",
            "1000",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
        # an earlier test (Qt) may leave SIGINT ignored in this process; a child would inherit that and never stop
        preexec_fn=_default_sigint,
    )
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(process.stderr), daemon=True)
    reader.start()
    # not a fixed sleep: under load, one second may still be Python's own start-up, before equiview handles
    # Ctrl+C (a plain KeyboardInterrupt traceback). Wait until the command is importing torch (its library mapped).
    ready = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < ready:
        try:
            if "libtorch" in Path(f"/proc/{process.pid}/maps").read_text():
                break
        except OSError:
            break
        time.sleep(0.05)
    # a signal that lands while a C extension initialises can be deferred: repeat it until the process has
    # answered (once it has, another Ctrl+C would land in the interpreter's shutdown and kill it: exit -2)
    deadline = time.monotonic() + 60
    while process.poll() is None and "equiview: interrupted\n" not in said and time.monotonic() < deadline:
        process.send_signal(signal.SIGINT)
        time.sleep(0.5)
    process.wait(timeout=30)
    reader.join(timeout=10)
    err = "".join(said)
    lines = [line for line in err.splitlines() if line.strip()]
    assert process.returncode == 130 and lines == ["equiview: interrupted"], (process.returncode, err[-1500:])


def test_malformed_arguments_are_one_line_too(capsys):
    assert_one_line(capsys, "check-invariance", "--trials", "many", fragment="--trials")
    assert_one_line(capsys, "render", "--out", "x.png", "--bogus", fragment="unrecognized arguments")


# ------------------------------------------------------------------------------------------ item 7
def test_bundle_out_empty_never_writes_over_the_packaged_asset(capsys):
    from equiview.core.data.bundle import BUNDLE_PATH

    before = BUNDLE_PATH.stat().st_mtime_ns
    assert_one_line(capsys, "data", "bundle", "--out", "", fragment="--out needs a file name")
    assert BUNDLE_PATH.stat().st_mtime_ns == before


def test_negative_molecule_positions_and_empty_rotations_are_refused(tmp_path, capsys, dataset):
    out = str(tmp_path / "x.png")
    assert_one_line(capsys, "render", "--out", out, "--molecule", "-1", fragment="positions start at 0")
    assert_one_line(capsys, "render", "--out", out, "--rotate", "", fragment="--rotate expects three")
    assert_one_line(capsys, "render", "--out", out, "--translate", "", fragment="--translate expects three")
    with pytest.raises(MoleculeNotFoundError):
        dataset.find(-1)
    assert not Path(out).exists()


def test_oversized_screenshots_are_refused_at_once(tmp_path, capsys, no_display):
    out = str(tmp_path / "x.png")
    args = ("--size", "8192x8192", "--scale", "4")
    assert_one_line(capsys, "gui", "--screenshot", out, *args, fragment="32768x32768 image")
    assert_one_line(capsys, "render", "--out", out, *args, fragment="32768x32768 image")
    assert_one_line(capsys, "render", "--out", out, "--size", "8192x8192", "--scale", "2", fragment="megapixels")
    assert not Path(out).exists()  # refused before rendering (no wall-time bound: it fails on a loaded machine)


def test_the_model_cache_is_bounded_and_forgets_deleted_files(tmp_path):
    from equiview.core.checkpoints import CheckpointNotFoundError, save_checkpoint
    from equiview.core.models.registry import demo_hparams, demo_model
    from equiview.viewer.model.library import MAX_CACHED_MODELS, ModelLibrary
    from equiview.viewer.model.snapshot import ModelSource

    library = ModelLibrary()
    for seed in range(3 * MAX_CACHED_MODELS):
        library.load(ModelSource.untrained("naive", seed))
    assert len(library._cache) == MAX_CACHED_MODELS
    assert ModelSource.untrained("naive", 3 * MAX_CACHED_MODELS - 1) in library._cache  # the newest stay

    path = tmp_path / "gone.pt"
    save_checkpoint(path, demo_model("egnn", seed=4), kind="egnn", hparams=demo_hparams("egnn"))
    source = ModelSource.from_checkpoint("egnn", path)
    assert library.load(source).trained
    path.unlink()
    with pytest.raises(CheckpointNotFoundError, match="gone.pt"):
        library.load(source)


# ---------------------------------------------------------------------------------- issue 8 items 6 and 7
@pytest.mark.parametrize("option", sorted(BOUNDS))
def test_every_count_option_has_a_documented_bound(option):
    readme = (ROOT / "docs" / "command-line.md").read_text()
    bound = BOUNDS[option]
    assert f"`{option}` | {bound.low:,}..{bound.high:,}" in readme, f"document {option} in docs/command-line.md"
    with pytest.raises(CommandError, match=f"{option} must be an integer in"):
        BOUNDS[option].check(option, bound.high + 1)


@pytest.mark.parametrize("option", sorted(RATES))
def test_every_rate_option_refuses_nan_and_infinity(option):
    for value in (float("nan"), float("inf"), RATES[option].high * 2 + 1):
        with pytest.raises(CommandError, match=option):
            RATES[option].check(option, value)
    assert f"`{option}` |" in (ROOT / "docs" / "command-line.md").read_text()


def test_check_invariance_trials_beyond_the_bound_stop_at_once(capsys, monkeypatch):
    import equiview.core.audit as audit

    def must_not_run(*args, **kwargs):
        raise AssertionError("the check ran: the bound must stop the command before any work")

    monkeypatch.setattr(audit.Audit, "run", must_not_run)  # "at once": no work, not a time bound
    assert_one_line(
        capsys, "check-invariance", "--trials", "1000000000", fragment="--trials must be an integer in 1..1000"
    )


def test_every_user_facing_error_shares_one_base_class():
    from equiview.core.checkpoints import CheckpointError
    from equiview.core.data import DataSourceError
    from equiview.core.training.trainer import TrainingDivergedError
    from equiview.viewer.model.library import ModelLoadError

    for error in (
        CommandError,
        CheckpointError,
        DataSourceError,
        ModelLoadError,
        MoleculeNotFoundError,
        TrainingDivergedError,
    ):
        assert issubclass(error, EquiviewError), error


BUG_SCRIPT = """
import sys
import equiview.core.cli
def broken(args):
    raise ValueError("an internal mistake")
equiview.core.cli._cmd_data_info = broken
from equiview.viewer.cli import main
sys.exit(main(["data", "info"]))
"""


def test_a_bug_shows_its_traceback_with_exit_1_not_a_one_line_error():
    done = run_python(BUG_SCRIPT, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "Traceback" in done.stderr and "ValueError: an internal mistake" in done.stderr
    assert "equiview: error" not in done.stderr


@pytest.mark.parametrize("error", [ValueError, KeyError, IndexError, ZeroDivisionError, RuntimeError, TypeError])
def test_no_builtin_exception_passes_for_bad_input(monkeypatch, error):
    import equiview.core.cli

    def broken(args):
        raise error("an internal mistake")

    monkeypatch.setattr(equiview.core.cli, "_cmd_data_info", broken)
    from equiview.viewer.cli import main

    with pytest.raises(error):
        main(["data", "info"])


def test_os_errors_on_a_users_path_are_one_line(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    out = folder / "x.pt"
    out.mkdir()  # a folder where the checkpoint should go
    assert_one_line(capsys, "train", "--model", "egnn", "--out", str(out), fragment="is a folder")
