"""The bundle file format and the shipped assets/qm9_filtered.npz."""

import zipfile

import numpy as np
import pytest
import torch

from equiview.core.data import BUNDLE_PATH, DataSourceError, load_bundle, save_bundle


def test_shipped_bundle_is_small_flat_and_pickle_free():
    assert BUNDLE_PATH.stat().st_size < 10 * 1024 * 1024
    with np.load(BUNDLE_PATH, allow_pickle=False) as npz:
        dtypes = {name: npz[name].dtype for name in ("z", "pos", "atom_ptr", "bonds", "bond_ptr", "y", "qm9_index")}
        assert npz["y"].shape == (21800, 19)
        assert int(npz["molecules_before_filter"]) == 130831
    assert dtypes == {
        "z": np.uint8,
        "pos": np.float32,
        "atom_ptr": np.int32,
        "bonds": np.uint8,
        "bond_ptr": np.int32,
        "y": np.float32,
        "qm9_index": np.int32,
    }


def test_save_and_load_round_trip_with_identical_bytes(tmp_path, dataset):
    sample = dataset.subset(np.arange(0, 2000, 7))
    first = save_bundle(sample, tmp_path / "a.npz")
    second = save_bundle(sample, tmp_path / "b.npz")
    assert first.read_bytes() == second.read_bytes()
    loaded = load_bundle(first)
    for key in ("z", "pos", "atom_ptr", "bonds", "bond_ptr", "y", "qm9_index"):
        assert torch.equal(getattr(loaded, key), getattr(sample, key)), key
    assert loaded.molecules_before_filter == 130831
    assert not list(tmp_path.glob("*.partial-*"))


def test_damaged_and_foreign_files_are_one_line_errors(tmp_path):
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(BUNDLE_PATH.read_bytes()[:1000])
    with pytest.raises(DataSourceError, match="cannot read bundle"):
        load_bundle(truncated)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.zeros(3))
    with pytest.raises(DataSourceError, match="not an equiview bundle: missing arrays z"):
        load_bundle(foreign)
    with pytest.raises(DataSourceError, match="bundle not found"):
        load_bundle(tmp_path / "absent.npz")


def test_bundle_entries_have_fixed_timestamps():
    with zipfile.ZipFile(BUNDLE_PATH) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def _rewrite(source, target, change):
    """Copy a bundle member by member (fresh, valid CRC-32s), letting ``change(name, array)`` edit arrays."""
    with np.load(source, allow_pickle=False) as npz:
        arrays = {name: change(name, npz[name]) for name in npz.files}
    np.savez(target, **arrays)


def test_a_bundle_records_its_content_hash_and_a_changed_array_is_named(tmp_path, dataset):
    from equiview.core.data.bundle import content_sha256

    written = save_bundle(dataset.subset(np.arange(40)), tmp_path / "small.npz")
    with np.load(written, allow_pickle=False) as npz:
        assert str(npz["content_sha256"].item()) == content_sha256({name: npz[name] for name in npz.files})
    with np.load(BUNDLE_PATH, allow_pickle=False) as npz:  # the shipped bundle carries one too
        assert str(npz["content_sha256"].item()) == content_sha256({name: npz[name] for name in npz.files})

    def nudge(name, array):  # one coordinate moved by 0.1 Å: every zip CRC is valid, the data are not
        if name == "pos":
            array = array.copy()
            array[3, 0] += 0.1
        return array

    edited = tmp_path / "edited.npz"
    _rewrite(written, edited, nudge)
    with pytest.raises(DataSourceError, match=r"edited\.npz is damaged: its arrays hash to .* not to the .* recorded"):
        load_bundle(edited)

    untouched = tmp_path / "untouched.npz"
    _rewrite(written, untouched, lambda name, array: array)
    assert torch.equal(load_bundle(untouched).pos, load_bundle(written).pos)

    older = tmp_path / "older.npz"  # written before bundles recorded a hash: still read
    with np.load(written, allow_pickle=False) as npz:
        np.savez(older, **{name: npz[name] for name in npz.files if name != "content_sha256"})
    assert torch.equal(load_bundle(older).pos, load_bundle(written).pos)
