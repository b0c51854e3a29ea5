"""QM9Molecules: order, known molecules, lookup, subsets and the fast collate."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from equiview.core.data import NUM_TARGETS, TARGETS, QM9Molecules


def test_bundled_set_has_21800_molecules_in_ascending_qm9_order(dataset):
    assert len(dataset) == 21800
    assert dataset.molecules_before_filter == 130831
    assert bool((dataset.qm9_index[1:] > dataset.qm9_index[:-1]).all())
    assert int(dataset.heavy_atom_counts().max()) == 8


def test_methane_is_first(dataset):
    data = dataset[0]
    assert isinstance(data, Data)
    assert data.name == "gdb_1" and data.idx.tolist() == [0]
    assert data.z.dtype == torch.long and data.z.tolist() == [6, 1, 1, 1, 1]
    assert data.pos.dtype == torch.float32 and data.pos.shape == (5, 3)
    assert data.pos[0].tolist() == pytest.approx([-0.0126981359, 1.0858041578, 0.0080009958], abs=1e-6)
    assert data.y.shape == (1, NUM_TARGETS) and data.y.dtype == torch.float32
    assert float(data.y[0, 5]) == pytest.approx(35.3641, abs=1e-4)


def test_methane_targets_follow_pyg_units(dataset):
    y = dataset[0].y[0].double()
    hartree = 27.211386246
    assert TARGETS[5].name == "r2" and TARGETS[5].unit == "a0²"
    assert float(y[1]) == pytest.approx(13.21, abs=1e-4)  # alpha, a0³
    assert float(y[2]) == pytest.approx(-0.3877 * hartree, abs=1e-4)  # HOMO, eV
    assert float(y[4]) == pytest.approx(0.5048 * hartree, abs=1e-4)  # gap, eV
    assert float(y[7]) == pytest.approx(-40.47893 * hartree, rel=1e-6)  # U0, eV
    atomref_u0 = -37.846772 + 4 * -0.500273
    assert float(y[12]) == pytest.approx((-40.47893 - atomref_u0) * hartree, abs=1e-3)  # U0 atomization
    assert y[16:].tolist() == pytest.approx([157.7118, 157.70997, 157.70699], abs=1e-3)  # A, B, C GHz


def test_seed_sample_gdb_814_is_index_800(dataset):
    data = dataset[800]
    assert data.name == "gdb_814" and data.num_nodes == 14
    assert dataset.find("gdb_814") == 800
    assert dataset.find("dsgdb9nsd_000814") == 800
    assert dataset.find(800) == 800 and dataset.find("800") == 800


def test_unknown_ids_are_one_line_key_errors(dataset):
    with pytest.raises(KeyError, match="gdb_133885 is not in this dataset"):
        dataset.find("gdb_133885")
    with pytest.raises(KeyError, match="cannot read molecule id 'benzene'"):
        dataset.find("benzene")
    with pytest.raises(KeyError, match="out of range"):
        dataset.find(21800)
    with pytest.raises(IndexError, match="molecule index 21800 is out of range"):
        dataset[21800]


def test_negative_index_and_iteration_order(dataset):
    assert dataset[-1].name == dataset[len(dataset) - 1].name
    names = [d.name for _, d in zip(range(3), dataset)]
    assert names == dataset.names[:3]


def test_subset_keeps_molecules_and_order(dataset):
    picks = [800, 3, 21799, 3]
    sub = dataset.subset(picks)
    assert len(sub) == 4 and sub.molecules_before_filter == dataset.molecules_before_filter
    for k, i in enumerate(picks):
        a, b = sub[k], dataset[i]
        for key in ("z", "pos", "edge_index", "y", "idx"):
            assert torch.equal(a[key], b[key]), key
    mask = torch.zeros(len(dataset), dtype=torch.bool)
    mask[[5, 7]] = True
    assert dataset[mask].names == [dataset[5].name, dataset[7].name]
    assert dataset[10:13].names == dataset.names[10:13]


def assert_batches_equal(fast, reference):
    assert fast.num_graphs == reference.num_graphs
    for key in ("z", "pos", "edge_index", "y", "idx", "batch", "ptr"):
        assert fast[key].dtype == reference[key].dtype, key
        assert torch.equal(fast[key], reference[key]), key
    assert fast.name == reference.name


@pytest.mark.parametrize("picks", [[0], [800, 0, 5, 21799, 800], list(range(0, 21800, 331))])
def test_collate_equals_pyg_batch_field_by_field(dataset, picks):
    fast = dataset.collate(picks)
    reference = Batch.from_data_list([dataset[i] for i in picks])
    assert_batches_equal(fast, reference)
    # PyG's bookkeeping works too: splitting the batch gives the molecules back.
    back = fast.to_data_list()
    assert [d.name for d in back] == [dataset[i].name for i in picks]
    assert torch.equal(back[-1].edge_index, dataset[picks[-1]].edge_index)


def test_collate_accepts_numpy_and_tensor_indices(dataset):
    a = dataset.collate(np.array([4, 2]))
    b = dataset.collate(torch.tensor([4, 2]))
    assert torch.equal(a.pos, b.pos) and a.name == ["gdb_5", "gdb_3"]


def test_inconsistent_arrays_are_rejected():
    with pytest.raises(ValueError, match="pos has shape"):
        QM9Molecules(
            np.array([6, 1]), np.zeros((3, 3)), [0, 2], np.zeros((0, 2)), [0, 0], np.zeros((1, NUM_TARGETS)), [1]
        )


def test_content_hash_identifies_the_molecule_set(dataset):
    assert dataset.content_sha256() == dataset.subset(np.arange(len(dataset))).content_sha256()
    assert dataset.content_sha256() != dataset.subset(np.arange(len(dataset) - 1)).content_sha256()
