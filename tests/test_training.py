"""``equiview train`` (issue 4): outputs, checkpoints, determinism, resume, Ctrl+C, options and the fast path.

Every run trains the real models on a few dozen bundled molecules for one or two epochs, on one thread.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from training_runs import LIMITS, SMALL_RUN, read_metrics, train, without_timing

from equiview.core.checkpoints import load_checkpoint
from equiview.core.evaluation import mean_absolute_error
from equiview.core.models import build_model
from equiview.core.training.batches import BatchMaker, chunks, epoch_permutation
from equiview.core.training.cli import EXIT_INTERRUPTED
from equiview.core.training.config import TrainConfig
from equiview.core.training.distributed import DistributedContext
from equiview.core.training.normalisation import TargetScaling
from equiview.core.training.paths import RunPaths
from equiview.core.training.reference_pipeline import (
    TutorialEGNN,
    itertools_complete_edge_index,
    tutorial_graphs,
    tutorial_loader,
)
from equiview.core.training.schedules import LearningRateSchedule, warmup_cosine_factor
from equiview.core.training.state import load_training_state

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def egnn_run(tmp_path_factory) -> RunPaths:
    """Two epochs of the tutorial's EGNN set-up on 96 training molecules."""
    paths = RunPaths.for_checkpoint(tmp_path_factory.mktemp("egnn") / "egnn.pt")
    assert train("--model", "egnn", "--epochs", "2", *SMALL_RUN, "--out", str(paths.checkpoint)) == 0
    return paths


# ------------------------------------------------------------------------------------------ outputs
def test_run_writes_checkpoint_metrics_and_both_plots(egnn_run):
    for path in (egnn_run.checkpoint, egnn_run.metrics, egnn_run.curves, egnn_run.parity, egnn_run.state):
        assert path.is_file(), path
    for figure in (egnn_run.curves, egnn_run.parity):
        assert figure.read_bytes()[:8] == PNG_SIGNATURE
    metrics = read_metrics(egnn_run)
    assert [r["epoch"] for r in metrics["epochs"]] == [1, 2]
    for record in metrics["epochs"]:
        assert set(record) == {"epoch", "train_loss", "train_mae", "val_loss", "val_mae", "lr", "seconds"}
        assert record["lr"] == pytest.approx(2e-4) and record["seconds"] > 0
        assert np.isfinite([record["train_loss"], record["train_mae"], record["val_mae"]]).all()
    best = min(metrics["epochs"], key=lambda r: r["val_mae"])
    assert metrics["best_epoch"] == best["epoch"] and metrics["best_val_mae"] == best["val_mae"]
    assert metrics["molecules"] == LIMITS
    assert metrics["test_mae"] > 0 and metrics["wall_seconds"] > 0 and metrics["peak_rss_mib"] > 10
    assert metrics["interrupted"] is False and metrics["world_size"] == 1 and metrics["threads"] == 1
    assert metrics["hparams"]["hidden_channels"] == 64 and metrics["hparams"]["num_mp_layers"] == 2
    assert metrics["config"]["loss"] == "mse" and metrics["config"]["batch_size"] == 32


def test_checkpoint_loads_and_reproduces_the_reported_maes(egnn_run, dataset, datamodule):
    metrics = read_metrics(egnn_run)
    checkpoint = load_checkpoint(egnn_run.checkpoint)
    assert checkpoint.kind == "egnn" and checkpoint.target_idx == 5 and checkpoint.normalisation is None
    assert checkpoint.fingerprint == datamodule.fingerprint()
    assert checkpoint.metrics["val_mae"] == metrics["best_val_mae"]
    assert checkpoint.metrics["test_mae"] == metrics["test_mae"]
    val_mae = mean_absolute_error(checkpoint, dataset, datamodule.val_split[: LIMITS["val"]])
    test_mae = mean_absolute_error(checkpoint, dataset, datamodule.test_split[: LIMITS["test"]])
    assert val_mae == pytest.approx(metrics["best_val_mae"], rel=1e-5)
    assert test_mae == pytest.approx(metrics["test_mae"], rel=1e-5)


# -------------------------------------------------------------------------------------- determinism
def test_same_seed_gives_bitwise_identical_metrics(egnn_run, tmp_path):
    again = RunPaths.for_checkpoint(tmp_path / "again.pt")
    assert train("--model", "egnn", "--epochs", "2", *SMALL_RUN, "--out", str(again.checkpoint)) == 0
    first, second = read_metrics(egnn_run), read_metrics(again)
    assert without_timing(second["epochs"]) == without_timing(first["epochs"])
    assert second["test_mae"] == first["test_mae"]
    first_weights = load_checkpoint(egnn_run.checkpoint).model.state_dict()
    for name, tensor in load_checkpoint(again.checkpoint).model.state_dict().items():
        assert torch.equal(tensor, first_weights[name]), name


def test_another_seed_gives_another_run(egnn_run, tmp_path):
    other = RunPaths.for_checkpoint(tmp_path / "other.pt")
    assert train("--model", "egnn", "--epochs", "1", "--seed", "7", *SMALL_RUN, "--out", str(other.checkpoint)) == 0
    assert read_metrics(other)["epochs"][0]["train_loss"] != read_metrics(egnn_run)["epochs"][0]["train_loss"]


def test_epoch_order_depends_on_seed_and_epoch_only():
    assert np.array_equal(epoch_permutation(50, 420, 3), epoch_permutation(50, 420, 3))
    assert not np.array_equal(epoch_permutation(50, 420, 3), epoch_permutation(50, 420, 4))
    assert sorted(epoch_permutation(50, 420, 3)) == list(range(50))


# ------------------------------------------------------------------------------------------- resume
def test_resume_continues_from_the_saved_epoch_exactly(egnn_run, tmp_path):
    paths = RunPaths.for_checkpoint(tmp_path / "resumed.pt")
    assert train("--model", "egnn", "--epochs", "1", *SMALL_RUN, "--out", str(paths.checkpoint)) == 0
    assert load_training_state(paths.state).epoch == 1
    assert train("--resume", str(paths.state), "--epochs", "2", "--quiet", "--threads", "1") == 0
    resumed = read_metrics(paths)
    assert [r["epoch"] for r in resumed["epochs"]] == [1, 2]
    # one epoch + resume for a second is the same run as two epochs straight
    assert without_timing(resumed["epochs"]) == without_timing(read_metrics(egnn_run)["epochs"])
    assert load_training_state(paths.state).epoch == 2


def test_state_file_loads_with_weights_only(egnn_run):
    payload = torch.load(egnn_run.state, weights_only=True)
    assert payload["epoch"] == 2 and isinstance(payload["torch_rng"], torch.Tensor)
    assert payload["config"]["model"] == "egnn"


def test_sigint_saves_state_and_best_checkpoint_and_exits_with_130(tmp_path):
    out = tmp_path / "interrupted.pt"
    command = [
        sys.executable,
        "-m",
        "equiview.core.training",
        "train",
        "--model",
        "egnn",
        "--epochs",
        "1000",
        "--limit-train",
        "64",
        "--limit-val",
        "16",
        "--limit-test",
        "16",
        "--threads",
        "1",
        "--out",
        str(out),
    ]
    # A job started in the background (`cmd &`, nohup, some CI runners) inherits SIGINT as ignored, and Python
    # keeps it ignored; restore the default, as a terminal where a person presses Ctrl+C has it.
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines = []
    for line in process.stderr:  # not a terminal: one line per epoch
        lines.append(line)
        if line.startswith("epoch 1/1000"):
            process.send_signal(signal.SIGINT)
            break
    _, rest = process.communicate(timeout=120)
    assert process.returncode == EXIT_INTERRUPTED, "".join(lines) + rest
    assert "interrupted after epoch" in rest and "--resume" in rest
    paths = RunPaths.for_checkpoint(out)
    state = load_training_state(paths.state)
    assert 1 <= state.epoch < 1000 and len(state.history) == state.epoch
    metrics = read_metrics(paths)
    assert metrics["interrupted"] is True and metrics["test_mae"] is None
    checkpoint = load_checkpoint(out)
    assert checkpoint.metrics["best_epoch"] == state.best_epoch
    # and the interrupted run can be finished
    assert train("--resume", str(out), "--epochs", str(state.epoch + 1), "--quiet", "--threads", "1") == 0
    assert read_metrics(paths)["test_mae"] > 0


# ------------------------------------------------------------------------------------------ options
def test_improvement_options_train_the_naive_model(tmp_path, dataset, datamodule):
    paths = RunPaths.for_checkpoint(tmp_path / "naive.pt")
    assert (
        train(
            "--model",
            "naive",
            "--epochs",
            "2",
            "--hidden",
            "32",
            "--layers",
            "3",
            "--standardise",
            "--loss",
            "huber",
            "--schedule",
            "cosine",
            "--warmup-epochs",
            "0.5",
            "--clip-grad",
            "1",
            "--weight-decay",
            "1e-4",
            "--lr",
            "1e-3",
            *SMALL_RUN,
            "--out",
            str(paths.checkpoint),
        )
        == 0
    )
    metrics = read_metrics(paths)
    assert metrics["config"]["augment_rotations"] is False
    train_targets = dataset.y[torch.as_tensor(datamodule.train_split[: LIMITS["train"]]), 5].double()
    mean, std = metrics["normalisation"]
    assert mean == pytest.approx(float(train_targets.mean()))
    assert std == pytest.approx(float(train_targets.std(correction=0)))
    first, second = metrics["epochs"]
    # 3 steps per epoch; warm-up over the first 2 steps, then cosine over the remaining 4
    assert first["lr"] == pytest.approx(1e-3 / 2)
    assert second["lr"] == pytest.approx(1e-3 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert second["train_loss"] < 10  # huber on standardised targets, not on raw a0²

    checkpoint = load_checkpoint(paths.checkpoint)
    assert checkpoint.kind == "naive" and checkpoint.hparams["hidden_channels"] == 32
    assert checkpoint.hparams["num_layers"] == 3
    assert tuple(float(v) for v in checkpoint.normalisation) == pytest.approx((mean, std))
    val_mae = mean_absolute_error(checkpoint, dataset, datamodule.val_split[: LIMITS["val"]])
    assert val_mae == pytest.approx(metrics["best_val_mae"], rel=1e-5)


def test_warmup_then_cosine_factor():
    factors = [warmup_cosine_factor(step, 4, 20, 0.1, cosine=True) for step in range(21)]
    assert factors[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert factors[4] == pytest.approx(1.0) and factors[20] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(factors[3:], factors[4:]))
    assert warmup_cosine_factor(10, 4, 20, 0.1, cosine=False) == 1.0


def test_plateau_schedule_halves_the_rate_and_survives_a_round_trip():
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([parameter], lr=1.0)
    schedule = LearningRateSchedule(optimizer, "plateau", epochs=10, steps_per_epoch=1)
    for val_mae in [5.0, 5.0, 5.0, 5.0, 5.0]:
        schedule.after_epoch(val_mae)
    assert schedule.lr == pytest.approx(0.5)
    copy_optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    copy = LearningRateSchedule(copy_optimizer, "plateau", epochs=10, steps_per_epoch=1)
    copy.load_state_dict(schedule.state_dict())
    copy_optimizer.load_state_dict(optimizer.state_dict())
    for _ in range(4):
        copy.after_epoch(5.0)
    assert copy.lr == pytest.approx(0.25)


def test_standardisation_round_trips_and_rejects_constant_targets():
    scaling = TargetScaling.fit(np.array([1.0, 3.0, 5.0]))
    values = torch.tensor([[2.0], [7.0]])
    assert torch.allclose(scaling.denormalise(scaling.normalise(values)), values)
    with pytest.raises(ValueError, match="all equal"):
        TargetScaling.fit(np.array([4.0, 4.0]))


def test_each_rank_gets_an_equal_disjoint_shard():
    permutation = np.random.default_rng(0).permutation(101)
    shards = [DistributedContext(rank=r, world_size=2).shard(permutation) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 50
    assert not set(shards[0]) & set(shards[1])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "egnn", "--out", "x.pt", "--lr", "-1"], "--lr must be a finite number above 0"),
        (["--model", "egnn"], "--out is required"),
        (["--out", "x.pt"], "--model is required"),
        (["--model", "egnn", "--out", "x.pt", "--target", "19"], "--target"),
        (["--resume", "no/such/run.train_state.pt"], "no training state"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv, message):
    assert train(*argv) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0]


def test_out_must_be_a_file_path(tmp_path, capsys):
    assert train("--model", "egnn", *SMALL_RUN, "--out", str(tmp_path)) == 2
    assert "is a folder" in capsys.readouterr().err


def test_resume_refuses_to_change_the_recipe(egnn_run, capsys):
    assert train("--resume", str(egnn_run.state), "--lr", "1e-3") == 2
    assert "only --epochs and --out may change" in capsys.readouterr().err


def test_config_defaults_are_the_tutorials():
    egnn = TrainConfig.for_model("egnn", "e.pt")
    naive = TrainConfig.for_model("naive", "n.pt")
    assert (egnn.hidden, egnn.layers, egnn.epochs, egnn.lr) == (64, 2, 25, 2e-4)
    assert (naive.hidden, naive.layers, naive.epochs, naive.lr) == (64, 4, 100, 3e-4)
    for config in (egnn, naive):
        assert (config.batch_size, config.loss, config.target, config.split_seed) == (32, "mse", 5, 420)
        assert not config.standardise and config.schedule == "none"


# ---------------------------------------------------------------------------------------- fast path
@pytest.fixture(scope="module")
def sample_indices(datamodule) -> np.ndarray:
    return datamodule.test_split[:80]


def test_fast_batches_equal_the_tutorials(dataset, sample_indices):
    fast = BatchMaker(dataset, model_kind="egnn", target_idx=5, scaling=TargetScaling.identity())
    graphs = tutorial_graphs(dataset, sample_indices, 5)
    for indices, reference in zip(chunks(sample_indices, 32), tutorial_loader(graphs, 32, shuffle=False)):
        batch = fast.make(indices)
        assert torch.equal(batch.complete_edge_index, reference.complete_edge_index)
        assert torch.equal(batch.edge_index, reference.edge_index)
        assert torch.equal(batch.z, reference.z) and torch.equal(batch.pos, reference.pos)
        assert torch.equal(batch.batch, reference.batch) and torch.equal(batch.target, reference.y)


def test_itertools_complete_graph_is_every_ordered_pair():
    edges = itertools_complete_edge_index(4)
    assert edges.shape == (2, 12)
    assert {tuple(e) for e in edges.t().tolist()} == {(i, j) for i in range(4) for j in range(4) if i != j}
    assert itertools_complete_edge_index(1).shape == (2, 0)


@pytest.mark.parametrize("kind", ["egnn", "naive"])
def test_fast_path_predicts_what_the_tutorial_path_predicts(dataset, sample_indices, kind):
    torch.manual_seed(3)
    model = build_model(kind).eval()
    # the tutorial's own computation for the EGNN; the naive GNN is PyG's GIN on either path
    reference_model = TutorialEGNN(model).eval() if kind == "egnn" else model
    fast = BatchMaker(dataset, model_kind=kind, target_idx=5, scaling=TargetScaling.identity())
    graphs = tutorial_graphs(dataset, sample_indices, 5)
    with torch.no_grad():
        fast_predictions = torch.cat([model(fast.make(c)) for c in chunks(sample_indices, 32)])
        reference_predictions = torch.cat([reference_model(b) for b in tutorial_loader(graphs, 32, shuffle=False)])
    assert fast_predictions.shape == (len(sample_indices), 1)
    assert fast_predictions.abs().max() > 1e-3  # a real signal, not all zeros
    assert torch.allclose(fast_predictions, reference_predictions, rtol=1e-5, atol=1e-5)


def test_rotation_augmentation_changes_what_the_naive_model_sees(tmp_path, dataset, datamodule):
    """Same seed, same batches: only the random rotations differ, so the first epoch's training loss must too.

    Validation and test molecules are never rotated: the recorded MAEs equal a fresh evaluation of the saved
    checkpoint on the unrotated molecules (the naive model reads raw coordinates, so a rotated pass would differ).
    """
    losses = {}
    for augment in (False, True):
        paths = RunPaths.for_checkpoint(tmp_path / f"naive_{augment}.pt")
        flags = ["--augment-rotations"] if augment else []
        assert (
            train(
                "--model",
                "naive",
                "--epochs",
                "1",
                "--hidden",
                "16",
                "--layers",
                "2",
                *flags,
                *SMALL_RUN,
                "--out",
                str(paths.checkpoint),
            )
            == 0
        )
        metrics = read_metrics(paths)
        assert metrics["config"]["augment_rotations"] is augment
        losses[augment] = metrics["epochs"][0]["train_loss"]
        checkpoint = load_checkpoint(paths.checkpoint)
        val_mae = mean_absolute_error(checkpoint, dataset, datamodule.val_split[: LIMITS["val"]])
        test_mae = mean_absolute_error(checkpoint, dataset, datamodule.test_split[: LIMITS["test"]])
        assert val_mae == pytest.approx(metrics["best_val_mae"], rel=1e-6)
        assert test_mae == pytest.approx(metrics["test_mae"], rel=1e-6)
    assert losses[True] != losses[False]
