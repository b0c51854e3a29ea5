"""A summary of a data source and its split, for ``equiview data info``."""

from __future__ import annotations

import os

from equiview.core.data.datamodule import QM9DataModule, split_sha256
from equiview.core.data.sources import load_dataset


def dataset_info(source: str = "bundled", root: str | os.PathLike | None = None, seed: int = 420) -> dict:
    """Counts and the test-split hash of a source.

    Keys: ``source``, ``molecules`` (in the source before the heavy-atom filter: 130,831
    for bundled and qm9pack), ``filtered`` (after it: 21,800), ``train``, ``val``,
    ``test`` (split sizes) and ``test_sha256`` (:func:`split_sha256` of the test split).
    Errors are ``DataSourceError`` from :func:`load_dataset`.
    """
    dataset = load_dataset(source, root=root)
    module = QM9DataModule(dataset, seed=seed)
    return {
        "source": str(source).strip().lower(),
        "molecules": dataset.molecules_before_filter,
        "filtered": len(dataset),
        "train": len(module.train_split),
        "val": len(module.val_split),
        "test": len(module.test_split),
        "test_sha256": split_sha256(module.test_split),
    }
