"""The training run: data, model, optimiser, the epoch loop, checkpoints, metrics, plots, resume and Ctrl+C.

The tutorial's recipe (Adam, MSE, keep the checkpoint with the best validation MAE, report the test MAE of that
checkpoint) with options on top (see :class:`~equiview.core.training.config.TrainConfig`). Deterministic on the CPU for a
given seed: the model is initialised under ``torch.manual_seed(seed)`` and epoch ``e`` is shuffled by a generator
seeded with ``(seed, e)``.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
import torch

from equiview.core.bounds import check_count
from equiview.core.checkpoints import CorruptCheckpointError, load_checkpoint, save_checkpoint, state_dict_mismatch
from equiview.core.data import QM9DataModule, load_dataset
from equiview.core.data.targets import TARGETS
from equiview.core.errors import CommandError, EquiviewError
from equiview.core.evaluation import predict_split
from equiview.core.models import build_model, default_hparams
from equiview.core.models.registry import LAYERS_HPARAM
from equiview.core.training.augmentation import epoch_generator
from equiview.core.training.batches import BatchMaker, epoch_permutation
from equiview.core.training.config import TrainConfig
from equiview.core.training.distributed import DistributedContext
from equiview.core.training.epoch import PassTotals, evaluate, train_epoch
from equiview.core.training.losses import make_loss
from equiview.core.training.metrics import EpochRecord, peak_rss_mib, write_json_atomically
from equiview.core.training.normalisation import TargetScaling
from equiview.core.training.paths import RunPaths
from equiview.core.training.plots import plot_learning_curves, plot_parity
from equiview.core.training.progress import TrainingProgress
from equiview.core.training.schedules import LearningRateSchedule
from equiview.core.training.state import TrainingState, save_training_state


class TrainingDivergedError(EquiviewError):
    """The run never reached a finite validation MAE: the settings (learning rate, scaling) do not train."""


class TrainingInterrupted(Exception):
    """Raised inside the loop when the process receives SIGTERM (Ctrl+C arrives as ``KeyboardInterrupt``)."""


@dataclass
class TrainResult:
    """What a run produced; ``interrupted`` runs have no test MAE and can be continued with ``--resume``."""

    paths: RunPaths
    interrupted: bool
    epochs_completed: int
    best_epoch: int
    best_val_mae: float
    test_mae: float | None
    metrics: dict[str, Any] = field(default_factory=dict)


def model_hparams(config: TrainConfig) -> dict[str, Any]:
    """The model's constructor arguments: the registry defaults with ``--hidden`` and ``--layers`` applied."""
    hparams = dict(default_hparams(config.model))
    hparams["hidden_channels"] = config.hidden
    hparams[LAYERS_HPARAM[config.model]] = config.layers
    return hparams


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (what torchrun and job schedulers send) into :class:`TrainingInterrupted` for the loop."""

    def handler(signum, frame):
        raise TrainingInterrupted(f"received signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM while the final files are written (main thread only)."""
    try:
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _limit(indices: np.ndarray, limit: int | None) -> np.ndarray:
    return indices if limit is None else indices[:limit]


def configure_threads(threads: int | None, context: DistributedContext) -> None:
    """``--threads``, or an even share of the cores per process when several ranks share one CPU."""
    if threads is not None:
        torch.set_num_threads(check_count("--threads", threads))
    elif context.is_distributed and context.device.type == "cpu":
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", context.world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))


class Trainer:
    """One training run from a config (fresh) or a :class:`TrainingState` (resumed)."""

    def __init__(
        self,
        config: TrainConfig,
        *,
        context: DistributedContext,
        resume: TrainingState | None = None,
        quiet: bool = False,
        stream: TextIO | None = None,
    ) -> None:
        self.config = config
        self.context = context
        self.paths = RunPaths.for_checkpoint(config.out)
        self.quiet = quiet
        self.stream = stream
        if self.paths.checkpoint.is_dir():
            raise CommandError(f"--out {self.paths.checkpoint} is a folder; give the checkpoint file to write")
        if context.is_main:  # fail now, not after the first epoch, when the folder cannot be made
            self.paths.checkpoint.parent.mkdir(parents=True, exist_ok=True)

        self.dataset = load_dataset(config.source, root=config.data_root)
        self.datamodule = QM9DataModule(self.dataset, target_idx=config.target, seed=config.split_seed)
        self.train_split = _limit(np.asarray(self.datamodule.train_split), config.limit_train)
        self.val_split = _limit(np.asarray(self.datamodule.val_split), config.limit_val)
        self.test_split = _limit(np.asarray(self.datamodule.test_split), config.limit_test)
        if len(self.train_split) < context.world_size or len(self.val_split) == 0:
            raise CommandError("the training and validation splits are too small for this run")

        if resume is not None:
            self.scaling = TargetScaling(*resume.scaling)
        elif config.standardise:
            self.scaling = TargetScaling.fit(np.asarray(self.dataset.y)[self.train_split, config.target])
        else:
            self.scaling = TargetScaling.identity()

        self.hparams = model_hparams(config)
        torch.manual_seed(config.seed)  # same seed -> same initial weights on every rank and every run
        self.model = build_model(config.model, **self.hparams).to(context.device)
        self.parallel_model = context.wrap(self.model)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.loss_fn = make_loss(config.loss, config.huber_delta)
        self.batches = BatchMaker(
            self.dataset, model_kind=config.model, target_idx=config.target, scaling=self.scaling, device=context.device
        )
        self.steps_per_epoch = -(-len(context.shard(self.train_split)) // config.batch_size)
        self.schedule = LearningRateSchedule(
            self.optimizer,
            config.schedule,
            epochs=config.epochs,
            steps_per_epoch=self.steps_per_epoch,
            warmup_epochs=config.warmup_epochs,
            min_lr_ratio=config.min_lr_ratio,
        )

        self.epoch = 0
        self.history: list[EpochRecord] = []
        self.best_val_mae = float("inf")
        self.best_epoch = 0
        self.best_model: dict[str, torch.Tensor] | None = None
        self.previous_wall_seconds = 0.0
        if resume is not None:
            self._check_resumable(resume)
            self._restore(resume)
        self.snapshot = self._capture(wall_seconds=self.previous_wall_seconds)

    # ----------------------------------------------------------------------------------------- state
    def _check_resumable(self, state: TrainingState) -> None:
        """The saved tensors must fit this run's model and optimiser before anything is loaded into them."""
        where = state.path or "the training state"
        expected = self.model.state_dict()
        for label, weights in (("model", state.model), ("best model", state.best_model)):
            if weights is None and label == "best model":
                continue
            if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
                raise CorruptCheckpointError(f"{where}: the saved {label} is not a dict of tensors")
            problem = state_dict_mismatch(expected, weights)
            if problem:
                raise CorruptCheckpointError(f"{where}: the saved {label} does not fit {self.config.model}: {problem}")
        params = list(self.model.parameters())
        try:
            groups = state.optimizer["param_groups"]
            saved_ids = [i for group in groups for i in group["params"]]
            per_param = state.optimizer["state"]
            for index, param in zip(saved_ids, params):
                for name, value in per_param.get(index, {}).items():
                    if name != "step" and (not isinstance(value, torch.Tensor) or value.shape != param.shape):
                        raise CorruptCheckpointError(
                            f"{where}: optimiser state {name} of parameter {index} does not fit the model"
                        )
        except (KeyError, TypeError, AttributeError):
            raise CorruptCheckpointError(f"{where}: the saved optimiser state is damaged") from None
        if len(saved_ids) != len(params):
            raise CorruptCheckpointError(
                f"{where}: the saved optimiser has {len(saved_ids)} parameters, the model {len(params)}"
            )

    def _restore(self, state: TrainingState) -> None:
        self.model.load_state_dict(state.model)
        self.optimizer.load_state_dict(state.optimizer)
        self.schedule.load_state_dict(state.schedule)
        self.epoch = state.epoch
        self.history = list(state.history)
        self.best_val_mae = state.best_val_mae
        self.best_epoch = state.best_epoch
        self.best_model = state.best_model
        self.previous_wall_seconds = state.wall_seconds
        state.restore_rng()

    def _capture(self, wall_seconds: float) -> TrainingState:
        return TrainingState.capture(
            config=self.config,
            epoch=self.epoch,
            model=self.model,
            optimizer=self.optimizer,
            schedule=self.schedule,
            history=self.history,
            best_val_mae=self.best_val_mae,
            best_epoch=self.best_epoch,
            best_model=self.best_model,
            scaling=(self.scaling.mean, self.scaling.std),
            wall_seconds=wall_seconds,
        )

    # ---------------------------------------------------------------------------------------- output
    @property
    def target(self):
        return TARGETS[self.config.target]

    def _checkpoint_metrics(self, test_mae: float | None) -> dict[str, Any]:
        best = self.history[self.best_epoch - 1] if self.best_epoch else None
        return {
            "best_epoch": self.best_epoch,
            "val_mae": self.best_val_mae,
            "train_mae": best.train_mae if best else None,
            "test_mae": test_mae,
            "epochs_completed": self.epoch,
            "loss": self.config.loss,
            "unit": self.target.unit,
        }

    def _save_best_checkpoint(self, test_mae: float | None = None) -> None:
        """Write the best weights so far as a core checkpoint (rank 0 only)."""
        # the live weights may be mid-epoch (Ctrl+C) or past the best epoch: swap the best ones in for the save
        weights_now = None
        if self.best_model is not None:
            weights_now = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.model.load_state_dict(self.best_model)
        try:
            save_checkpoint(
                self.paths.checkpoint,
                self.model,
                kind=self.config.model,
                hparams=self.hparams,
                target_idx=self.config.target,
                normalisation=self.scaling.as_checkpoint_field(),
                metrics=self._checkpoint_metrics(test_mae),
                fingerprint=self.datamodule.fingerprint(),
            )
        finally:
            if weights_now is not None:
                self.model.load_state_dict(weights_now)

    def _metrics_payload(self, *, wall_seconds: float, interrupted: bool, test_mae: float | None) -> dict[str, Any]:
        return {
            "model": self.config.model,
            "hparams": self.hparams,
            "config": self.config.to_dict(),
            "target": {"index": self.config.target, "name": self.target.name, "unit": self.target.unit},
            "normalisation": self.scaling.as_checkpoint_field(),
            "molecules": {
                "train": int(len(self.train_split)),
                "val": int(len(self.val_split)),
                "test": int(len(self.test_split)),
            },
            "fingerprint": self.datamodule.fingerprint(),
            "epochs": [r.to_dict() for r in self.history],
            "epochs_completed": self.epoch,
            "best_epoch": self.best_epoch,
            "best_val_mae": self.best_val_mae if self.best_epoch else None,
            "test_mae": test_mae,
            "wall_seconds": wall_seconds,
            "peak_rss_mib": peak_rss_mib(),
            "world_size": self.context.world_size,
            "threads": torch.get_num_threads(),
            "device": str(self.context.device),
            "interrupted": interrupted,
            "checkpoint": str(self.paths.checkpoint),
        }

    def _plot_curves(self) -> None:
        if self.history:
            plot_learning_curves(
                self.history,
                self.paths.curves,
                title=f"{self.config.model}: {self.target.description}",
                loss_name=self.config.loss.upper(),
                unit=self.target.unit,
            )

    # ------------------------------------------------------------------------------------------ loop
    def _train_one_epoch(self, progress: TrainingProgress) -> PassTotals:
        order = self.train_split[epoch_permutation(len(self.train_split), self.config.seed, self.epoch + 1)]
        mine = self.context.shard(order)

        def after_step(running_loss: float) -> None:
            self.schedule.after_batch()
            progress.batch_done(running_loss)

        rotations = (
            epoch_generator(self.config.seed, self.epoch + 1, self.context.rank)
            if self.config.augment_rotations
            else None
        )
        totals = train_epoch(
            self.parallel_model,
            self.batches.iterate(mine, self.config.batch_size, rotations),
            loss_fn=self.loss_fn,
            optimizer=self.optimizer,
            scaling=self.scaling,
            target_idx=self.config.target,
            clip_grad=self.config.clip_grad,
            after_step=after_step,
        )
        return PassTotals.from_list(self.context.sum(totals.as_list()))

    def _validate(self, val_batches) -> PassTotals:
        totals = evaluate(
            self.model, val_batches, loss_fn=self.loss_fn, scaling=self.scaling, target_idx=self.config.target
        )
        return PassTotals.from_list(self.context.sum(totals.as_list()))

    def run(self) -> TrainResult:
        """Train up to ``config.epochs``; on Ctrl+C or SIGTERM save the state and return ``interrupted=True``."""
        started = time.perf_counter()
        val_batches = self.batches.build_all(self.context.eval_shard(self.val_split), self.config.eval_batch_size)
        progress = TrainingProgress(
            total_epochs=self.config.epochs,
            steps_per_epoch=self.steps_per_epoch,
            start_epoch=self.epoch,
            enabled=self.context.is_main and not self.quiet,
            stream=self.stream,
        )

        def wall() -> float:  # wall time of the whole run, across resumes
            return self.previous_wall_seconds + time.perf_counter() - started

        try:
            with sigterm_as_interrupt():
                while self.epoch < self.config.epochs:
                    epoch_started = time.perf_counter()
                    lr = self.schedule.lr  # the rate the epoch starts with (per-step schedules move it)
                    progress.start_epoch(self.epoch + 1)
                    train_totals = self._train_one_epoch(progress)
                    val_totals = self._validate(val_batches)
                    self.schedule.after_epoch(val_totals.mae)
                    self.epoch += 1
                    record = EpochRecord(
                        self.epoch,
                        train_totals.mean_loss,
                        train_totals.mae,
                        val_totals.mean_loss,
                        val_totals.mae,
                        lr,
                        time.perf_counter() - epoch_started,
                    )
                    self.history.append(record)
                    improved = record.val_mae < self.best_val_mae
                    if improved:
                        self.best_val_mae, self.best_epoch = record.val_mae, self.epoch
                        self.best_model = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
                    self.snapshot = self._capture(wall_seconds=wall())
                    if self.context.is_main:
                        if improved:
                            self._save_best_checkpoint()
                        save_training_state(self.snapshot, self.paths.state)
                        write_json_atomically(
                            self.paths.metrics,
                            self._metrics_payload(wall_seconds=wall(), interrupted=False, test_mae=None),
                        )
                    progress.epoch_done(record, improved)
        except (KeyboardInterrupt, TrainingInterrupted):
            progress.close()
            return self._finish_interrupted(wall())
        progress.close()
        return self._finish(wall())

    def _finish_interrupted(self, wall_seconds: float) -> TrainResult:
        """Persist the last epoch boundary (the weights mid-epoch are discarded) and the best checkpoint."""
        # the interrupt may have landed between two bookkeeping steps: return to the last consistent boundary
        self._restore(self.snapshot)
        if self.context.is_main:
            with signals_ignored():  # a second Ctrl+C must not leave half-written files
                save_training_state(self.snapshot, self.paths.state)
                if self.best_model is not None:
                    self._save_best_checkpoint()
                write_json_atomically(
                    self.paths.metrics,
                    self._metrics_payload(wall_seconds=wall_seconds, interrupted=True, test_mae=None),
                )
                self._plot_curves()
        return TrainResult(self.paths, True, self.epoch, self.best_epoch, self.best_val_mae, None)

    def _finish(self, wall_seconds: float) -> TrainResult:
        """Test the best checkpoint, then write the final checkpoint, metrics and both figures (rank 0)."""
        if self.best_model is None:
            raise TrainingDivergedError(
                "training produced no usable model: the validation MAE was never finite "
                "(try a lower --lr, --standardise or --clip-grad)"
            )
        metrics: dict[str, Any] = {}
        test_mae = None
        if self.context.is_main:
            self._save_best_checkpoint()  # a resumed run may write to a new --out
            checkpoint = load_checkpoint(self.paths.checkpoint)
            predicted, reference = predict_split(
                checkpoint, self.dataset, self.test_split, batch_size=self.config.eval_batch_size
            )
            test_mae = float(np.abs(predicted - reference).mean())
            self._save_best_checkpoint(test_mae)
            metrics = self._metrics_payload(wall_seconds=wall_seconds, interrupted=False, test_mae=test_mae)
            write_json_atomically(self.paths.metrics, metrics)
            self._plot_curves()
            plot_parity(
                predicted,
                reference,
                self.paths.parity,
                title=f"{self.config.model} ({self.target.description}), best epoch {self.best_epoch}",
                target_name=self.target.name,
                unit=self.target.unit,
            )
        self.context.barrier()
        return TrainResult(self.paths, False, self.epoch, self.best_epoch, self.best_val_mae, test_mae, metrics)


def train(
    config: TrainConfig,
    *,
    device: str = "auto",
    threads: int | None = None,
    quiet: bool = False,
    resume: TrainingState | None = None,
    stream: TextIO | None = None,
) -> TrainResult:
    """Run (or continue) one training run, on every rank of a torchrun job or in this process alone."""
    context = DistributedContext.from_environment(device)
    try:
        configure_threads(threads, context)
        return Trainer(config, context=context, resume=resume, quiet=quiet, stream=stream).run()
    finally:
        context.close()
