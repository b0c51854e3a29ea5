"""The tutorial's train/validation/test split and batch loaders over ``QM9Molecules``.

Split (exactly as in the seed): ``np.random.default_rng(seed).permutation(n)``, the
first ``int(n·train_ratio)`` indices train, up to ``int(n·(train_ratio + val_ratio))``
validate, the rest test. With n = 21,800 and seed 420 that is 17,440 / 2,180 / 2,180.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import torch
from torch_geometric.data import Batch

from equiview.core.data.molecules import QM9Molecules
from equiview.core.data.targets import DEFAULT_TARGET, target_index

SPLIT_NAMES = ("train", "val", "test")
_SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "testing": "test",
}


def split_sha256(indices) -> str:
    """SHA-256 (hex) of the indices written as decimal numbers joined by commas, in order.

    ``split_sha256([3, 1, 2])`` hashes the ASCII text ``"3,1,2"``.
    """
    text = ",".join(str(int(i)) for i in np.asarray(indices).reshape(-1).tolist())
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class SplitLoader:
    """Iterates over one split in batches built by :meth:`QM9Molecules.collate`.

    Each batch is a PyG ``Batch`` whose ``y`` is the selected target only, shape
    [B, 1] (as in the seed's data module); the other fields are those of ``collate``.
    With ``shuffle=True`` the order is redrawn every epoch from ``generator`` (or from
    torch's global RNG, so ``torch.manual_seed`` makes it reproducible).
    """

    def __init__(
        self,
        dataset: QM9Molecules,
        indices,
        batch_size: int = 32,
        shuffle: bool = False,
        target_idx: int = DEFAULT_TARGET,
        drop_last: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.indices = torch.as_tensor(np.asarray(indices), dtype=torch.long)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.target_idx = target_index(target_idx)
        self.drop_last = bool(drop_last)
        self.generator = generator

    def __len__(self) -> int:
        full, rest = divmod(self.indices.numel(), self.batch_size)
        return full if (self.drop_last or rest == 0) else full + 1

    def __iter__(self) -> Iterator[Batch]:
        order = self.indices
        if self.shuffle:
            order = order[torch.randperm(order.numel(), generator=self.generator)]
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = self.dataset.collate(order[start : start + self.batch_size])
            batch.y = batch.y[:, self.target_idx : self.target_idx + 1]
            yield batch


class QM9DataModule:
    """The seed's data module over an in-memory dataset.

    ``dataset`` defaults to the bundled filtered QM9. ``train_split``, ``val_split`` and
    ``test_split`` are numpy int64 arrays of dataset positions. ``target_idx`` picks the
    column of ``y`` that loaders return (default 5, ⟨R²⟩).
    """

    def __init__(
        self,
        dataset: QM9Molecules | None = None,
        target_idx: int | str = DEFAULT_TARGET,
        seed: int = 420,
        train_ratio: float = 0.8,
        val_ratio: float = 0.1,
    ) -> None:
        if dataset is None:
            from equiview.core.data.sources import load_dataset

            dataset = load_dataset("bundled")
        if not 0.0 < train_ratio < 1.0 or not 0.0 <= val_ratio < 1.0 or train_ratio + val_ratio > 1.0 + 1e-12:
            raise ValueError(
                f"split ratios must satisfy 0 < train < 1, 0 <= val and train + val <= 1; got {train_ratio}, {val_ratio}"
            )
        self.dataset = dataset
        self.target_idx = target_index(target_idx)
        self.seed = int(seed)
        self.train_ratio = float(train_ratio)
        self.val_ratio = float(val_ratio)
        self.num_examples = len(dataset)
        n = self.num_examples
        self.shuffled_index = np.random.default_rng(self.seed).permutation(n)
        train_end = int(n * self.train_ratio)
        val_end = int(n * (self.train_ratio + self.val_ratio))
        self.train_split = self.shuffled_index[:train_end]
        self.val_split = self.shuffled_index[train_end:val_end]
        self.test_split = self.shuffled_index[val_end:]

    def split(self, name: str) -> np.ndarray:
        """Indices of ``"train"``, ``"val"`` or ``"test"`` (``ValueError`` otherwise)."""
        key = _SPLIT_ALIASES.get(str(name).strip().lower())
        if key is None:
            raise ValueError(f"unknown split {name!r}: choose one of {', '.join(SPLIT_NAMES)}")
        return {"train": self.train_split, "val": self.val_split, "test": self.test_split}[key]

    def loader(
        self,
        split: str = "train",
        batch_size: int = 32,
        shuffle: bool | None = None,
        drop_last: bool = False,
        generator: torch.Generator | None = None,
    ) -> SplitLoader:
        """Batches of one split; shuffles the training split by default, never the others."""
        indices = self.split(split)
        if shuffle is None:
            shuffle = indices is self.train_split
        return SplitLoader(self.dataset, indices, batch_size, shuffle, self.target_idx, drop_last, generator)

    def train_loader(self, batch_size: int = 32, **kwargs) -> SplitLoader:
        return self.loader("train", batch_size, shuffle=True, **kwargs)

    def val_loader(self, batch_size: int = 32, **kwargs) -> SplitLoader:
        return self.loader("val", batch_size, shuffle=False, **kwargs)

    def test_loader(self, batch_size: int = 32, **kwargs) -> SplitLoader:
        return self.loader("test", batch_size, shuffle=False, **kwargs)

    def target_values(self, split: str = "train") -> torch.Tensor:
        """The selected target of every molecule of a split, float32 [n] (for normalisation)."""
        return self.dataset.y[torch.as_tensor(self.split(split)), self.target_idx].clone()

    def fingerprint(self) -> dict:
        """JSON-friendly identity of dataset and split, for storing in checkpoints.

        ``{"dataset": {"molecules", "sha256"}, "split": {"seed", "train_ratio", "val_ratio",
        "sizes", "test_sha256"}, "target_idx"}``; ``dataset.sha256`` is the first 16 hex
        digits of :meth:`QM9Molecules.content_sha256`.
        """
        return {
            "dataset": {"molecules": self.num_examples, "sha256": self.dataset.content_sha256()[:16]},
            "split": {
                "seed": self.seed,
                "train_ratio": self.train_ratio,
                "val_ratio": self.val_ratio,
                "sizes": [len(self.train_split), len(self.val_split), len(self.test_split)],
                "test_sha256": split_sha256(self.test_split),
            },
            "target_idx": self.target_idx,
        }
