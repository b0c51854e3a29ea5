"""Data-parallel training: ``torchrun --nproc-per-node 2 -m equiview.core.training train`` on two CPU processes (gloo).

Two ranks with batch 32 each average their gradients, so one step sees the same 64 molecules as a single process
with batch 64 over the same epoch permutation: both runs must end with the same validation MAE.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from equiview.core.checkpoints import load_checkpoint
from equiview.core.cli import main
from equiview.core.evaluation import mean_absolute_error
from equiview.core.training.paths import RunPaths

REPO = Path(__file__).resolve().parents[1]
LIMITS = ["--limit-train", "256", "--limit-val", "64", "--limit-test", "64"]


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory) -> tuple[RunPaths, subprocess.CompletedProcess]:
    paths = RunPaths.for_checkpoint(tmp_path_factory.mktemp("ddp") / "egnn.pt")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        "-m",
        "equiview.core.training",
        "train",
        "--model",
        "egnn",
        "--epochs",
        "1",
        *LIMITS,
        "--threads",
        "1",
        "--quiet",
        "--json",
        "--out",
        str(paths.checkpoint),
    ]
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    return paths, done


def test_two_processes_write_one_loadable_checkpoint(two_process_run, dataset, datamodule):
    paths, done = two_process_run
    assert done.returncode == 0, done.stderr[-3000:]
    summary = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(summary) == 1  # only rank 0 reports
    assert summary[0]["checkpoint"] == str(paths.checkpoint) and summary[0]["epochs_completed"] == 1

    metrics = json.loads(paths.metrics.read_text())
    assert metrics["world_size"] == 2 and metrics["molecules"]["train"] == 256
    assert paths.curves.is_file() and paths.parity.is_file() and paths.state.is_file()
    checkpoint = load_checkpoint(paths.checkpoint)
    assert checkpoint.kind == "egnn"
    val_mae = mean_absolute_error(checkpoint, dataset, datamodule.val_split[:64])
    assert val_mae == pytest.approx(metrics["best_val_mae"], rel=1e-5)


def test_two_processes_train_like_one_with_twice_the_batch(two_process_run, tmp_path):
    paths, done = two_process_run
    assert done.returncode == 0, done.stderr[-3000:]
    single = RunPaths.for_checkpoint(tmp_path / "single.pt")
    assert (
        main(
            [
                "train",
                "--model",
                "egnn",
                "--epochs",
                "1",
                *LIMITS,
                "--batch-size",
                "64",
                "--threads",
                "1",
                "--quiet",
                "--out",
                str(single.checkpoint),
            ]
        )
        == 0
    )
    parallel_epoch = json.loads(paths.metrics.read_text())["epochs"][0]
    single_epoch = json.loads(single.metrics.read_text())["epochs"][0]
    assert parallel_epoch["val_mae"] == pytest.approx(single_epoch["val_mae"], rel=1e-4)
    assert parallel_epoch["train_loss"] == pytest.approx(single_epoch["train_loss"], rel=1e-4)
