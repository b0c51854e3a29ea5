"""The tutorial's split (seed 420) and the loaders built on collate."""

import hashlib

import numpy as np
import pytest
import torch
from tutorial_split import BUNDLED_INFO, SEED_420_TEST_SHA256

from equiview.core.data import QM9DataModule, dataset_info, split_sha256


def test_split_sha256_hashes_comma_joined_decimals():
    assert split_sha256([3, 10, 2]) == hashlib.sha256(b"3,10,2").hexdigest()
    assert split_sha256(np.array([], dtype=int)) == hashlib.sha256(b"").hexdigest()


def test_seed_420_split_sizes_and_test_hash(datamodule):
    assert (len(datamodule.train_split), len(datamodule.val_split), len(datamodule.test_split)) == (17440, 2180, 2180)
    assert split_sha256(datamodule.test_split) == SEED_420_TEST_SHA256
    expected = np.random.default_rng(420).permutation(21800)
    assert np.array_equal(datamodule.train_split, expected[:17440])


def test_splits_partition_the_dataset(datamodule):
    everything = np.concatenate([datamodule.split("train"), datamodule.split("val"), datamodule.split("test")])
    assert np.array_equal(np.sort(everything), np.arange(21800))
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        datamodule.split("dev")


def test_another_seed_gives_another_split(dataset):
    other = QM9DataModule(dataset, seed=1)
    assert split_sha256(other.test_split) != SEED_420_TEST_SHA256


def test_bad_ratios_are_rejected(dataset):
    with pytest.raises(ValueError, match="split ratios"):
        QM9DataModule(dataset, train_ratio=0.95, val_ratio=0.1)


def test_loader_yields_target_column_batches(datamodule, dataset):
    loader = datamodule.loader("test", batch_size=500)
    assert len(loader) == 5
    batches = list(loader)
    assert [b.num_graphs for b in batches] == [500, 500, 500, 500, 180]
    first = batches[0]
    assert first.y.shape == (500, 1)
    expected = dataset.y[torch.as_tensor(datamodule.test_split[:500]), 5]
    assert torch.equal(first.y[:, 0], expected)
    assert first.name[0] == dataset[int(datamodule.test_split[0])].name


def test_training_loader_shuffles_reproducibly(datamodule):
    a = next(iter(datamodule.loader("train", 64, generator=torch.Generator().manual_seed(3))))
    b = next(iter(datamodule.loader("train", 64, generator=torch.Generator().manual_seed(3))))
    assert a.name == b.name
    in_order = next(iter(datamodule.loader("train", 64, shuffle=False)))
    assert a.name != in_order.name
    with pytest.raises(ValueError, match="batch_size"):
        datamodule.loader("train", 0)


def test_target_values_and_fingerprint(datamodule, dataset):
    values = datamodule.target_values("train")
    assert values.shape == (17440,) and float(values.mean()) > 0
    fingerprint = datamodule.fingerprint()
    assert fingerprint["dataset"]["molecules"] == 21800
    assert fingerprint["dataset"]["sha256"] == dataset.content_sha256()[:16]
    assert fingerprint["split"]["seed"] == 420
    assert fingerprint["split"]["test_sha256"] == SEED_420_TEST_SHA256
    assert fingerprint["target_idx"] == 5


def test_dataset_info_of_bundled_source():
    info = dataset_info("bundled")
    assert info == BUNDLED_INFO
