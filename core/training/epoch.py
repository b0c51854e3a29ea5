"""One pass over data: a training epoch (optimiser steps) and an evaluation pass (no gradients).

Both return :class:`PassTotals` (sums, not means), so data-parallel ranks can add their totals with one
all-reduce before dividing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from equiview.core.training.normalisation import TargetScaling, target_column


@dataclass
class PassTotals:
    """Sum of per-molecule losses (training units), of absolute errors (target units) and the molecule count."""

    loss_sum: float = 0.0
    abs_error_sum: float = 0.0
    count: int = 0

    def as_list(self) -> list[float]:
        return [self.loss_sum, self.abs_error_sum, float(self.count)]

    @classmethod
    def from_list(cls, values: list[float]) -> PassTotals:
        return cls(values[0], values[1], int(round(values[2])))

    @property
    def mean_loss(self) -> float:
        return self.loss_sum / self.count if self.count else float("nan")

    @property
    def mae(self) -> float:
        return self.abs_error_sum / self.count if self.count else float("nan")


def _absolute_error_sum(prediction: Tensor, batch: Data, scaling: TargetScaling, target_idx: int) -> float:
    """Σ |ŷ - y| in target units (the metric is always reported in a0², whatever the model is trained on)."""
    truth = target_column(batch.y, target_idx)
    return float((scaling.denormalise(prediction.detach()) - truth).abs().sum())


def train_epoch(
    model: nn.Module,
    batches: Iterable[Data],
    *,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaling: TargetScaling,
    target_idx: int,
    clip_grad: float = 0.0,
    after_step: Callable[[float], None] | None = None,
) -> PassTotals:
    """Run one optimiser step per batch; ``after_step(running_mean_loss)`` is called after each step."""
    model.train()
    totals = PassTotals()
    for batch in batches:
        optimizer.zero_grad(set_to_none=True)
        prediction = model(batch)
        loss = loss_fn(prediction, batch.target)
        loss.backward()
        if clip_grad > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
        optimizer.step()
        size = int(batch.num_graphs)
        totals.loss_sum += float(loss.detach()) * size
        totals.abs_error_sum += _absolute_error_sum(prediction, batch, scaling, target_idx)
        totals.count += size
        if after_step is not None:
            after_step(totals.mean_loss)
    return totals


@torch.no_grad()
def evaluate(
    model: nn.Module, batches: Iterable[Data], *, loss_fn: nn.Module, scaling: TargetScaling, target_idx: int
) -> PassTotals:
    """Loss and absolute-error sums of ``model`` (put in eval mode) over ``batches``."""
    model.eval()
    totals = PassTotals()
    for batch in batches:
        prediction = model(batch)
        size = int(batch.num_graphs)
        totals.loss_sum += float(loss_fn(prediction, batch.target)) * size
        totals.abs_error_sum += _absolute_error_sum(prediction, batch, scaling, target_idx)
        totals.count += size
    return totals
