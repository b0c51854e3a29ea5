"""The shipped checkpoints: re-evaluate them on the seed-420 test split and compare with what was recorded.

`assets/checkpoints/<kind>.metrics.json` is the metrics file `equiview train` wrote next to the checkpoint;
`assets/README.md` quotes its test MAE. Both must agree with a fresh evaluation to 1e-3 (a0² for ⟨R²⟩, Debye for
the dipole kinds).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from equiview.core.checkpoints import load_checkpoint
from equiview.core.cli import main
from equiview.core.data import QM9DataModule
from equiview.core.evaluation import mean_absolute_error

ASSETS = Path(__file__).resolve().parents[1] / "assets"
# Issue 4's goals: half the T036 tutorial's test MAEs (3.45 and 31.88 a0²). Issue 11: the dipole model within
# 0.10 D; the naive dipole model has no goal beyond beating the training mean (1.17 D).
GOALS = {"egnn": 1.7, "naive": 16.0, "dipole": 0.10, "naive-dipole": 1.17}
TARGETS = {"egnn": 5, "naive": 5, "dipole": 0, "naive-dipole": 0}


@pytest.fixture(scope="module")
def test_split(dataset):
    return QM9DataModule(dataset).test_split


@pytest.mark.parametrize("kind", list(GOALS))
def test_shipped_checkpoint_matches_its_record(kind, dataset, test_split):
    checkpoint = load_checkpoint(ASSETS / "checkpoints" / f"{kind}.pt")
    assert checkpoint.kind == kind and checkpoint.target_idx == TARGETS[kind]
    assert not checkpoint.is_plain_state_dict
    assert (
        checkpoint.fingerprint["split"]["test_sha256"] == QM9DataModule(dataset).fingerprint()["split"]["test_sha256"]
    )

    record = json.loads((ASSETS / "checkpoints" / f"{kind}.metrics.json").read_text())
    mae = mean_absolute_error(checkpoint, dataset, test_split)
    assert mae == pytest.approx(record["test_mae"], abs=1e-3)
    assert f"{record['test_mae']:.3f}" in (ASSETS / "README.md").read_text()
    assert mae <= GOALS[kind]


def test_eval_cli_reports_the_shipped_mae(capsys):
    record = json.loads((ASSETS / "checkpoints" / "egnn.metrics.json").read_text())
    assert main(["eval", "--checkpoint", str(ASSETS / "checkpoints" / "egnn.pt"), "--split", "test", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "egnn" and result["count"] == 2180
    assert result["mae"] == pytest.approx(record["test_mae"], abs=1e-3)


def test_eval_cli_reports_the_shipped_dipole_mae(capsys):
    record = json.loads((ASSETS / "checkpoints" / "dipole.metrics.json").read_text())
    assert main(["eval", "--checkpoint", str(ASSETS / "checkpoints" / "dipole.pt"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "dipole" and result["split"] == "test" and result["count"] == 2180
    assert result["unit"] == "D" and result["target"] == 0
    assert result["mae"] == pytest.approx(record["test_mae"], abs=1e-3)


def test_shipped_dipole_vectors_turn_and_naive_ones_do_not(capsys):
    checkpoints = ["--checkpoint", str(ASSETS / "checkpoints" / "dipole.pt")]
    checkpoints += ["--checkpoint", str(ASSETS / "checkpoints" / "naive-dipole.pt")]
    assert main(["check-invariance", *checkpoints, "--molecules", "4", "--trials", "4", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dipole"]["model"].endswith("dipole.pt")
    assert result["dipole"]["vector_max_error"] <= 1e-4  # issue 11's goal, float32
    assert result["dipole"]["max_error"] <= 1e-3
    assert result["naive-dipole"]["vector_max_error"] >= 1e-2
