"""The fast input path: batches collated straight from the dataset's flat arrays.

No PyG ``DataLoader`` and no per-molecule ``Data`` objects: :meth:`QM9Molecules.collate` slices the flat arrays
for a list of molecule indices, and the complete graph the EGNN needs is computed for the whole batch at once by
:func:`equiview.core.data.graph.batch_complete_edge_index`. Evaluation batches never change, so they are built once and
kept (on the training device) for the whole run.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch_geometric.data import Data

from equiview.core.data.graph import batch_complete_edge_index
from equiview.core.training.augmentation import rotate_each_molecule
from equiview.core.training.normalisation import TargetScaling, target_column

# Only the EGNNs read the complete graph; the naive GNNs pass messages along bonds (``edge_index``).
MODELS_ON_COMPLETE_GRAPH = frozenset({"egnn", "dipole"})


def epoch_permutation(num_items: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffle of epoch ``epoch``: a pure function of (seed, epoch), so every rank and every resumed run draws
    the same order without carrying generator state around."""
    return np.random.default_rng([seed, epoch]).permutation(num_items)


def chunks(indices: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Consecutive slices of at most ``batch_size`` indices (the last one may be shorter)."""
    for start in range(0, len(indices), batch_size):
        yield indices[start : start + batch_size]


class BatchMaker:
    """Turns molecule indices into model-ready batches carrying ``target`` (``[B, 1]``, training units)."""

    def __init__(
        self,
        dataset,
        *,
        model_kind: str,
        target_idx: int,
        scaling: TargetScaling,
        device: torch.device = torch.device("cpu"),
    ) -> None:
        self.dataset = dataset
        self.needs_complete_graph = model_kind in MODELS_ON_COMPLETE_GRAPH
        self.target_idx = target_idx
        self.scaling = scaling
        self.device = device

    def make(self, indices: np.ndarray, rotations: torch.Generator | None = None) -> Data:
        """One batch; with ``rotations``, every molecule is first turned by a random rotation drawn from it."""
        batch = self.dataset.collate(np.asarray(indices, dtype=np.int64))
        if rotations is not None:
            batch.pos = rotate_each_molecule(batch.pos, batch.batch, batch.num_graphs, rotations)
        if self.needs_complete_graph and getattr(batch, "complete_edge_index", None) is None:
            batch.complete_edge_index = batch_complete_edge_index(batch.batch, batch.ptr)
        batch.target = self.scaling.normalise(target_column(batch.y, self.target_idx))
        if self.device.type != "cpu":
            batch = batch.to(self.device, non_blocking=True)
        return batch

    def iterate(self, indices: np.ndarray, batch_size: int, rotations: torch.Generator | None = None) -> Iterator[Data]:
        """Batches of ``indices`` in the given order, built on demand (randomly rotated with ``rotations``)."""
        for chunk in chunks(indices, batch_size):
            yield self.make(chunk, rotations)

    def build_all(self, indices: np.ndarray, batch_size: int) -> list[Data]:
        """Every batch of ``indices`` up front (for splits evaluated each epoch in the same order)."""
        return list(self.iterate(indices, batch_size))
