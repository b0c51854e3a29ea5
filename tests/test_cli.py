"""The headless command line: each subcommand's JSON, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch_geometric.data import Batch
from tutorial_split import BUNDLED_INFO

from equiview.core.checkpoints import save_checkpoint
from equiview.core.cli import main
from equiview.core.data import QM9DataModule
from equiview.core.models.registry import build_model


def run_json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return json.loads(out[0])


def run_error(capsys, *argv: str) -> str:
    code = main(list(argv))
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_data_info_reports_the_tutorial_split(capsys):
    info = run_json(capsys, "data", "info", "--json")
    assert info == BUNDLED_INFO


def test_console_script_prints_one_json_object():
    script = Path(sys.executable).with_name("equiview")
    exe = str(script) if script.exists() else shutil.which("equiview")
    assert exe, "the equiview console script is not installed"
    done = subprocess.run([exe, "data", "info", "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["filtered"] == 21800


def test_building_the_parser_imports_neither_torch_geometric_nor_torch():
    # `equiview --help` must stay fast: torch_geometric alone takes seconds to import
    script = (
        "import sys, equiview.core.cli\n"
        "parser = equiview.core.cli.build_parser()\n"
        "parser.format_help()\n"
        "heavy = sorted(m for m in ('torch_geometric', 'torch') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "import equiview.core.data\n"
        "assert equiview.core.data.SOURCES == ('bundled', 'qm9pack', 'pyg')\n"
        "assert 'torch_geometric' not in sys.modules\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_data_package_exports_load_on_first_use():
    import equiview.core.data

    assert set(equiview.core.data.__all__) <= set(dir(equiview.core.data))
    for name in equiview.core.data.__all__:
        assert getattr(equiview.core.data, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        equiview.core.data.nope  # noqa: B018 - the bare access is the test: the package's lazy __getattr__ must refuse it


def _expected_mae(model, dataset, indices, target_idx=5) -> float:
    batch = Batch.from_data_list([dataset[int(i)] for i in indices])
    with torch.no_grad():
        predicted = model(batch).reshape(-1).double()
    return float((predicted - batch.y[:, target_idx].double()).abs().mean())


@pytest.mark.parametrize("kind", ["egnn", "naive"])
def test_eval_project_checkpoint_and_plain_state_dict(kind, dataset, tmp_path, capsys):
    torch.manual_seed(1)
    hparams = {
        "egnn": {"hidden_channels": 16, "num_mp_layers": 2},
        "naive": {"hidden_channels": 16, "num_layers": 2, "num_spatial_dims": 3},
    }[kind]
    model = build_model(kind, **hparams).eval()
    project_file = tmp_path / f"{kind}.pt"
    save_checkpoint(project_file, model, kind=kind, hparams=hparams, target_idx=5)
    tutorial_file = tmp_path / f"{kind}_state_dict.pt"
    torch.save(model.state_dict(), tutorial_file)

    val = QM9DataModule(dataset).val_split
    expected = _expected_mae(model, dataset, val)
    for path in (project_file, tutorial_file):
        result = run_json(capsys, "eval", "--checkpoint", str(path), "--split", "val", "--json")
        assert result["model"] == kind
        assert result["split"] == "val"
        assert result["count"] == 2180
        assert result["mae"] == pytest.approx(expected, rel=1e-4)


def test_check_invariance_separates_the_two_models(capsys):
    result = run_json(capsys, "check-invariance", "--molecules", "3", "--trials", "6", "--json")
    assert result["egnn"]["max_error"] < 1e-4
    assert result["naive"]["max_error"] > 1e-3
    assert result["molecules"] == 3 and result["trials"] == 6


def test_missing_checkpoint_is_one_line_exit_2(tmp_path, capsys):
    message = run_error(capsys, "eval", "--checkpoint", str(tmp_path / "nope.pt"), "--json")
    assert "nope.pt" in message


def test_garbage_checkpoint_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint at all")
    message = run_error(capsys, "check-invariance", "--checkpoint", str(bad), "--json")
    assert "bad.pt" in message


def test_bad_counts_are_rejected(capsys):
    assert "--molecules must be an integer in 1..1000, got 0" in run_error(
        capsys, "check-invariance", "--molecules", "0"
    )


def test_pyg_source_without_files_is_one_line_exit_2(tmp_path, capsys):
    message = run_error(capsys, "data", "info", "--source", "pyg", "--root", str(tmp_path / "empty"), "--json")
    assert message.startswith("equiview: error:")


def test_unknown_source_is_an_argparse_error(capsys):
    assert "nowhere" in run_error(capsys, "data", "info", "--source", "nowhere")


def test_debug_variable_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("EQUIVIEW_DEBUG", "1")
    from equiview.core.checkpoints import CheckpointNotFoundError

    with pytest.raises(CheckpointNotFoundError):
        main(["eval", "--checkpoint", str(tmp_path / "nope.pt")])
