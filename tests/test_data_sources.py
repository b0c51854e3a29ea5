"""load_dataset's sources: bundled, qm9pack (small slices), pyg (real PyG files) and errors."""

import sys
import time

import numpy as np
import pytest
import torch

from equiview.core.data import DataSourceError, load_dataset
from equiview.core.data.qm9pack_source import QM9PACK_MISSING, load_qm9pack, qm9pack_cache_path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("EQUIVIEW_CACHE_DIR", str(folder))
    return folder


def assert_same_molecules(a, b, count):
    for i in range(count):
        x, y = a[i], b[i]
        assert x.name == y.name
        for key in ("z", "pos", "edge_index", "y", "idx"):
            assert torch.equal(x[key], y[key]), (x.name, key)


def test_qm9pack_slice_matches_bundled_first_molecules(cache, dataset):
    rows = 300
    molecules = load_qm9pack(filtered=False, max_rows=rows)
    assert len(molecules) == rows and molecules.molecules_before_filter == rows
    assert qm9pack_cache_path(rows).is_file() and qm9pack_cache_path(rows).parent == cache
    # The first 300 QM9 molecules all have at most 8 heavy atoms, so they open the bundle.
    assert_same_molecules(molecules, dataset, rows)


def test_qm9pack_cache_is_reused(cache):
    load_qm9pack(filtered=False, max_rows=50)
    path = qm9pack_cache_path(50)
    written = path.stat().st_mtime_ns
    time.sleep(0.01)
    again = load_qm9pack(filtered=False, max_rows=50)
    assert path.stat().st_mtime_ns == written and len(again) == 50


def test_qm9pack_filter_uses_heavy_atom_count(cache):
    molecules = load_qm9pack(filtered=True, max_rows=400, max_heavy_atoms=3)
    assert len(molecules) > 0 and int(molecules.heavy_atom_counts().max()) == 3
    everything = load_qm9pack(filtered=False, max_rows=400)
    assert len(molecules) == int((everything.heavy_atom_counts() <= 3).sum())


def test_broken_cache_is_rebuilt(cache):
    path = qm9pack_cache_path(20)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a zip file")
    assert len(load_qm9pack(filtered=False, max_rows=20)) == 20


def test_qm9pack_missing_csvs_and_missing_package(tmp_path, cache, monkeypatch):
    with pytest.raises(DataSourceError, match="qm9pack CSV files missing"):
        load_dataset("qm9pack", root=tmp_path)
    monkeypatch.setitem(sys.modules, "qm9pack", None)  # how Python marks a module as unavailable
    with pytest.raises(DataSourceError) as error:
        load_dataset("qm9pack")
    assert str(error.value) == QM9PACK_MISSING


def test_bundled_source_refuses_unfiltered_and_unknown_sources():
    with pytest.raises(DataSourceError, match="only holds the 21,800 filtered"):
        load_dataset("bundled", filtered=False)
    with pytest.raises(DataSourceError, match="unknown data source 'zinc'"):
        load_dataset("zinc")


def test_bundled_source_reads_another_bundle_path(tmp_path):
    with pytest.raises(DataSourceError, match="bundle not found"):
        load_dataset("bundled", root=tmp_path / "nowhere.npz")


def test_pyg_without_files_fails_fast_with_one_line(tmp_path):
    with pytest.raises(DataSourceError) as error:  # no wall-time bound: it fails on a loaded machine
        load_dataset("pyg", root=tmp_path / "empty")
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").rglob("*"))  # nothing downloaded
    message = str(error.value)
    assert "no PyG QM9 files under" in message and "\n" not in message


def write_pyg_preprocessed_file(root, molecules):
    """PyG's pre-processed QM9 download (raw/qm9_v3.pt) is a list of per-molecule dicts."""
    records = []
    for data in molecules:
        records.append(
            {
                "z": data.z,
                "pos": data.pos,
                "edge_index": data.edge_index,
                "y": data.y,
                "name": data.name,
                "idx": data.idx,
            }
        )
    (root / "raw").mkdir(parents=True)
    torch.save(records, root / "raw" / "qm9_v3.pt")


def test_pyg_source_reads_real_pyg_files(tmp_path, dataset):
    root = tmp_path / "pyg"
    sample = dataset.subset(np.arange(120))
    write_pyg_preprocessed_file(root, sample)
    loaded = load_dataset("pyg", root=root, filtered=False)
    assert loaded.source == "pyg" and len(loaded) == 120
    assert_same_molecules(loaded, sample, 120)
    assert not (root / "processed").exists()  # equiview reads PyG's files, it never runs PyG's processing
    # PyG's own writer makes processed/data_v3.pt, as QM9(root) does after processing ...
    from torch_geometric.data import Data, InMemoryDataset

    (root / "processed").mkdir()
    records = torch.load(root / "raw" / "qm9_v3.pt", weights_only=True)
    InMemoryDataset.save([Data(**record) for record in records], str(root / "processed" / "data_v3.pt"))
    # ... which is read next, with the heavy-atom filter applied.
    from equiview.core.data.pyg_source import load_pyg

    assert_same_molecules(load_pyg(root, filtered=False), sample, 120)

    few_heavy = load_pyg(root, filtered=True, max_heavy_atoms=2)
    assert few_heavy.names == sample.filter_heavy_atoms(2).names


def test_pyg_corrupt_files_give_one_line_error(tmp_path):
    root = tmp_path / "pyg"
    (root / "raw").mkdir(parents=True)
    (root / "raw" / "qm9_v3.pt").write_bytes(b"garbage")
    with pytest.raises(DataSourceError, match="qm9_v3.pt: truncated or corrupt|qm9_v3.pt: not a PyTorch") as error:
        load_dataset("pyg", root=root)
    assert "\n" not in str(error.value)
