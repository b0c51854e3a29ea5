"""Evaluate a loaded checkpoint on a split of the dataset."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from equiview.core.errors import CommandError


@torch.no_grad()
def predict_split(checkpoint, dataset, indices: Sequence[int], batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Predictions (target units) and DFT reference values for ``indices``, in that order.

    Batches are collated straight from the dataset's flat arrays, so evaluating 2,180 molecules needs no
    per-molecule ``Data`` objects.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    indices = np.asarray(indices, dtype=np.int64)
    predictions, references = [], []
    for start in range(0, len(indices), batch_size):
        batch = dataset.collate(indices[start : start + batch_size])
        predicted = checkpoint.predict(batch).reshape(-1).double()
        if not bool(torch.isfinite(predicted).all()):
            from equiview.core.checkpoints import CorruptCheckpointError

            where = getattr(checkpoint, "path", "the checkpoint")
            raise CorruptCheckpointError(f"{where}: the model predicts NaN or infinite values on {batch.name[0]}...")
        predictions.append(predicted)
        references.append(batch.y[:, checkpoint.target_idx].double())
    if not predictions:
        return np.zeros(0), np.zeros(0)
    return torch.cat(predictions).numpy(), torch.cat(references).numpy()


def mean_absolute_error(checkpoint, dataset, indices: Sequence[int], batch_size: int = 256) -> float:
    """MAE of ``checkpoint`` on the molecules ``indices`` of ``dataset``, in the target's units."""
    predicted, reference = predict_split(checkpoint, dataset, indices, batch_size)
    if len(reference) == 0:
        raise CommandError("cannot evaluate on an empty split")
    return float(np.abs(predicted - reference).mean())
