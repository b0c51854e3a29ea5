"""``equiview train --model dipole|naive-dipole`` (issue 11): outputs in Debye, determinism, resume, bad options.

Each run trains a small model (hidden 16, 2 layers) on 96 bundled molecules for one or two epochs, one thread.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import training_runs
from training_runs import LIMITS, read_metrics, train, without_timing

from equiview.core.checkpoints import load_checkpoint
from equiview.core.data import QM9DataModule
from equiview.core.evaluation import mean_absolute_error
from equiview.core.training.config import TrainConfig
from equiview.core.training.paths import RunPaths
from equiview.core.training.state import load_training_state

# the dipole models at hidden 16 and 2 layers, otherwise the small run of every training test
SMALL_RUN = [*training_runs.SMALL_RUN, "--hidden", "16", "--layers", "2"]
KINDS = ("dipole", "naive-dipole")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, RunPaths]:
    """Two epochs of each dipole kind."""
    result = {}
    for kind in KINDS:
        paths = RunPaths.for_checkpoint(tmp_path_factory.mktemp(kind) / f"{kind}.pt")
        assert train("--model", kind, "--epochs", "2", "--lr", "1e-3", *SMALL_RUN, "--out", str(paths.checkpoint)) == 0
        result[kind] = paths
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_run_writes_everything_in_debye_for_target_0(runs, kind, dataset, datamodule):
    paths = runs[kind]
    for path in (paths.checkpoint, paths.metrics, paths.curves, paths.parity, paths.state):
        assert path.is_file(), path
    metrics = read_metrics(paths)
    assert metrics["model"] == kind
    assert metrics["target"] == {"index": 0, "name": "mu", "unit": "D"}
    assert metrics["normalisation"] is None
    assert [r["epoch"] for r in metrics["epochs"]] == [1, 2]
    checkpoint = load_checkpoint(paths.checkpoint)
    assert checkpoint.kind == kind and checkpoint.target_idx == 0 and checkpoint.target_unit == "D"
    assert checkpoint.hparams["hidden_channels"] == 16
    assert checkpoint.fingerprint == QM9DataModule(dataset, target_idx=0).fingerprint()
    assert checkpoint.metrics["unit"] == "D"
    test_split = np.asarray(datamodule.test_split)[: LIMITS["test"]]
    assert mean_absolute_error(checkpoint, dataset, test_split) == pytest.approx(metrics["test_mae"], rel=1e-5)
    assert 0 < metrics["test_mae"] < 5  # Debye: |mu| of these molecules lies between 0 and about 7 D


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_bitwise_identical_runs(runs, kind, tmp_path):
    again = RunPaths.for_checkpoint(tmp_path / "again.pt")
    assert train("--model", kind, "--epochs", "2", "--lr", "1e-3", *SMALL_RUN, "--out", str(again.checkpoint)) == 0
    first, second = read_metrics(runs[kind]), read_metrics(again)
    assert without_timing(second["epochs"]) == without_timing(first["epochs"])
    assert second["test_mae"] == first["test_mae"]
    first_weights = load_checkpoint(runs[kind].checkpoint).model.state_dict()
    for name, tensor in load_checkpoint(again.checkpoint).model.state_dict().items():
        assert torch.equal(tensor, first_weights[name]), name


@pytest.mark.parametrize("kind", KINDS)
def test_resume_continues_exactly(runs, kind, tmp_path):
    paths = RunPaths.for_checkpoint(tmp_path / "resumed.pt")
    assert train("--model", kind, "--epochs", "1", "--lr", "1e-3", *SMALL_RUN, "--out", str(paths.checkpoint)) == 0
    assert load_training_state(paths.state).epoch == 1
    assert train("--resume", str(paths.state), "--epochs", "2", "--quiet", "--threads", "1") == 0
    # one epoch + resume for a second is the same run as two epochs straight
    assert without_timing(read_metrics(paths)["epochs"]) == without_timing(read_metrics(runs[kind])["epochs"])
    first_weights = load_checkpoint(runs[kind].checkpoint).model.state_dict()
    for name, tensor in load_checkpoint(paths.checkpoint).model.state_dict().items():
        assert torch.equal(tensor, first_weights[name]), name


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "dipole", "--out", "x.pt", "--target", "5"], "--target must be 0"),
        (["--model", "naive-dipole", "--out", "x.pt", "--standardise"], "--standardise does not apply"),
    ],
)
def test_options_that_make_no_sense_for_a_dipole_are_one_line_errors(capsys, argv, message):
    assert train(*argv) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0]


def test_dipole_defaults():
    for kind in KINDS:
        config = TrainConfig.for_model(kind, "d.pt")
        assert config.target == 0 and not config.standardise
    assert TrainConfig.for_model("dipole", "d.pt").layers == 3
