"""``equiview train``: the command-line face of :mod:`equiview.core.training`.

``equiview.core.cli`` mounts :func:`add_train_arguments` / :func:`run_train` as its ``train`` subcommand, and
``python -m equiview.core.training train ...`` runs the same thing (which is what ``torchrun -m equiview.core.training`` needs).

Exit codes: 0 when training finished, 130 when it was interrupted (Ctrl+C / SIGINT or SIGTERM) after saving the
resumable state and the best checkpoint so far, 2 for bad input (raised as :class:`~equiview.core.errors.EquiviewError`/``OSError`` and
printed as one line by ``equiview.core.cli``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from equiview.core.bounds import BOUNDS, RATES, bounded_float, bounded_int
from equiview.core.errors import CommandError
from equiview.core.training.config import LOSSES, SCHEDULES, TUTORIAL_DEFAULTS, TrainConfig
from equiview.core.training.paths import RunPaths

EXIT_INTERRUPTED = 130  # the shell's code for "ended by SIGINT"

# Options a resumed run may change; everything else continues with the saved settings.
RESUMABLE_OVERRIDES = ("epochs", "out")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` options to ``parser`` (every training option defaults to ``None`` = tutorial set-up)."""
    egnn, naive = TUTORIAL_DEFAULTS["egnn"], TUTORIAL_DEFAULTS["naive"]
    parser.description = (
        "Train a model on QM9 (default: the tutorial's set-up) and write the checkpoint --out plus, next to it "
        "and named after its stem, .metrics.json, .curves.png, .parity.png and the resumable .train_state.pt. "
        f"Ctrl+C saves the state and exits with code {EXIT_INTERRUPTED}; continue with --resume."
    )
    run = parser.add_argument_group("run")
    run.add_argument("--model", choices=tuple(TUTORIAL_DEFAULTS), help="model kind (required unless --resume)")
    run.add_argument("--out", help="checkpoint to write, e.g. runs/egnn.pt (required unless --resume)")
    run.add_argument(
        "--resume",
        metavar="PATH",
        help="continue an interrupted run from its .train_state.pt file (or its checkpoint path)",
    )
    run.add_argument(
        "--epochs",
        type=bounded_int("--epochs"),
        help=f"epochs (default: egnn {egnn['epochs']}, naive {naive['epochs']}); "
        "with --resume, a larger value extends the run",
    )
    run.add_argument("--seed", type=bounded_int("--seed"), help="seed for initial weights and shuffling (default: 420)")
    run.add_argument(
        "--threads",
        type=bounded_int("--threads"),
        help="torch CPU threads (default: torch's choice; under torchrun "
        "the cores are shared evenly between processes)",
    )
    run.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where to train (default: auto = this rank's GPU if CUDA is available)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    run.add_argument("--json", action="store_true", help="print one JSON object with the results")

    from equiview.core.data.sources import SOURCES

    data = parser.add_argument_group("data")
    data.add_argument("--source", choices=SOURCES, help="where the molecules come from (default: bundled)")
    data.add_argument("--root", dest="data_root", metavar="PATH", help="data folder for sources that need one")
    data.add_argument("--target", type=int, help="QM9 target index (default: 5, ⟨R²⟩ in a0²)")
    data.add_argument(
        "--split-seed",
        type=bounded_int("--split-seed"),
        help="seed of the train/val/test split (default: 420, tutorial)",
    )
    data.add_argument(
        "--limit-train",
        type=bounded_int("--limit-train"),
        metavar="N",
        help="train on the first N training molecules only",
    )
    data.add_argument(
        "--limit-val", type=bounded_int("--limit-val"), metavar="N", help="validate on the first N validation molecules"
    )
    data.add_argument(
        "--limit-test", type=bounded_int("--limit-test"), metavar="N", help="test on the first N test molecules"
    )

    model = parser.add_argument_group("model")
    model.add_argument("--hidden", type=bounded_int("--hidden"), help=f"hidden width (default: {egnn['hidden']})")
    model.add_argument(
        "--layers",
        type=bounded_int("--layers"),
        help=f"message-passing layers (default: egnn {egnn['layers']}, naive {naive['layers']})",
    )

    optimiser = parser.add_argument_group("optimisation")
    optimiser.add_argument(
        "--batch-size", type=bounded_int("--batch-size"), help="molecules per batch and process (default: 32)"
    )
    optimiser.add_argument(
        "--lr",
        type=bounded_float("--lr"),
        help=f"Adam learning rate (default: egnn {egnn['lr']:g}, naive {naive['lr']:g})",
    )
    optimiser.add_argument(
        "--weight-decay", type=bounded_float("--weight-decay"), help="Adam weight decay (default: 1e-8, tutorial)"
    )
    optimiser.add_argument("--loss", choices=LOSSES, help="training loss (default: mse, tutorial)")
    optimiser.add_argument(
        "--huber-delta", type=bounded_float("--huber-delta"), help="Huber threshold in training units (default: 1)"
    )
    optimiser.add_argument(
        "--standardise",
        "--standardize",
        action="store_const",
        const=True,
        default=None,
        help="train on (y - mean) / std of the training split (predictions are mapped back)",
    )
    optimiser.add_argument(
        "--augment-rotations",
        action="store_const",
        const=True,
        default=None,
        help="rotate every training molecule by a random rotation about its centroid at each "
        "step (a regulariser for the naive GNN; the EGNN is invariant anyway)",
    )
    optimiser.add_argument(
        "--schedule",
        choices=SCHEDULES,
        help="learning-rate schedule: none (tutorial), cosine (per step), plateau "
        "(halve after 3 epochs without val improvement)",
    )
    optimiser.add_argument(
        "--warmup-epochs", type=bounded_float("--warmup-epochs"), help="linear learning-rate warm-up (default: 0)"
    )
    optimiser.add_argument(
        "--min-lr-ratio", type=bounded_float("--min-lr-ratio"), help="cosine ends at lr × this (default: 0)"
    )
    optimiser.add_argument(
        "--clip-grad", type=bounded_float("--clip-grad"), help="clip the gradient norm to this (default: 0 = off)"
    )
    optimiser.add_argument(
        "--eval-batch-size", type=bounded_int("--eval-batch-size"), help="molecules per evaluation batch (default: 256)"
    )
    parser.epilog = "Bounds: " + ", ".join(
        [f"{name} {r.low}..{r.high}" for name, r in BOUNDS.items() if name in _TRAIN_COUNTS]
        + [f"{name} {r.low:g}..{r.high:g}" for name, r in RATES.items()]
    )


_TRAIN_COUNTS = (
    "--epochs",
    "--hidden",
    "--layers",
    "--batch-size",
    "--eval-batch-size",
    "--limit-train",
    "--limit-val",
    "--limit-test",
    "--threads",
    "--seed",
    "--split-seed",
)

TRAINING_OPTIONS = (
    "model",
    "out",
    "epochs",
    "seed",
    "source",
    "data_root",
    "target",
    "split_seed",
    "limit_train",
    "limit_val",
    "limit_test",
    "hidden",
    "layers",
    "batch_size",
    "lr",
    "weight_decay",
    "loss",
    "huber_delta",
    "standardise",
    "augment_rotations",
    "schedule",
    "warmup_epochs",
    "min_lr_ratio",
    "clip_grad",
    "eval_batch_size",
)


def resolve_state_path(path: str) -> Path:
    """``--resume`` accepts the state file itself or the checkpoint it sits next to."""
    given = Path(path)
    if given.name.endswith(".train_state.pt"):
        return given
    sibling = RunPaths.for_checkpoint(given).state
    return sibling if sibling.is_file() else given


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` of a fresh run: the tutorial's set-up for ``--model`` plus the given options."""
    if args.model is None:
        raise CommandError("--model is required (egnn or naive) unless you --resume a run")
    if not args.out:
        raise CommandError("--out is required: the checkpoint file to write, e.g. runs/egnn.pt")
    overrides = {name: getattr(args, name) for name in TRAINING_OPTIONS if name not in ("model", "out")}
    return TrainConfig.for_model(args.model, args.out, **overrides)


def _resumed_config(args: argparse.Namespace, saved: TrainConfig) -> TrainConfig:
    changed = [name for name in TRAINING_OPTIONS if getattr(args, name) is not None and name not in RESUMABLE_OVERRIDES]
    if changed:
        flags = ", ".join("--" + name.replace("_", "-") for name in changed)
        raise CommandError(
            f"--resume continues the saved run's settings; only --epochs and --out may change (got {flags})"
        )
    values = saved.to_dict()
    values.update({name: getattr(args, name) for name in RESUMABLE_OVERRIDES if getattr(args, name) is not None})
    return TrainConfig.from_dict(values)


def _summary(result) -> dict:
    return {
        "checkpoint": str(result.paths.checkpoint),
        "metrics": str(result.paths.metrics),
        "state": str(result.paths.state),
        "interrupted": result.interrupted,
        "epochs_completed": result.epochs_completed,
        "best_epoch": result.best_epoch,
        "best_val_mae": result.best_val_mae if result.best_epoch else None,
        "test_mae": result.test_mae,
    }


def run_train(args: argparse.Namespace) -> int:
    """Run ``equiview train`` for parsed ``args``; returns the exit code (see the module docstring)."""
    # imported here so `equiview --help` and the other subcommands do not pay for the training stack
    from equiview.core.training.state import load_training_state
    from equiview.core.training.trainer import train

    resume = None
    if args.resume:
        resume = load_training_state(resolve_state_path(args.resume))
        config = _resumed_config(args, resume.config)
    else:
        config = config_from_args(args)
    from equiview.core.output_path import check_output_path

    # a regular file, not the state it resumes, one writer at a time (the lock on rank 0 only: torchrun's ranks share it)
    state_file = resolve_state_path(args.resume) if args.resume else None
    check_output_path(config.out, "--out", inputs=[state_file], lock=int(os.environ.get("RANK", "0")) == 0)

    result = train(config, device=args.device, threads=args.threads, quiet=args.quiet, resume=resume)
    if int(os.environ.get("RANK", "0")) != 0:
        return EXIT_INTERRUPTED if result.interrupted else 0

    summary = _summary(result)
    if args.json:
        print(json.dumps(summary))
    elif result.interrupted:
        print(
            f"interrupted after epoch {result.epochs_completed}: saved {result.paths.state}"
            + (
                f" and best checkpoint {result.paths.checkpoint} (epoch {result.best_epoch})"
                if result.best_epoch
                else ""
            )
            + f"; continue with: equiview train --resume {result.paths.state}",
            file=sys.stderr,
        )
    else:
        print(
            f"{config.model}: best epoch {result.best_epoch}, val MAE {result.best_val_mae:.4f}, "
            f"test MAE {result.test_mae:.4f}; wrote {result.paths.checkpoint}, {result.paths.metrics.name}, "
            f"{result.paths.curves.name}, {result.paths.parity.name}"
        )
    return EXIT_INTERRUPTED if result.interrupted else 0
