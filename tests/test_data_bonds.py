"""Bonds inferred with Cordero radii: known molecules, chemistry sanity over many molecules."""

import csv
import math
import re

import numpy as np
import pytest
import torch

from equiview.core.data import infer_bonds, infer_bonds_flat
from equiview.core.data.bonds import unique_bonds
from equiview.core.data.qm9pack_source import qm9pack_csv_paths


def undirected_bond_count(data) -> int:
    return data.edge_index.shape[1] // 2


@pytest.mark.parametrize(
    "name, bonds",
    [("gdb_1", 4), ("gdb_4", 3), ("gdb_7", 7), ("gdb_14", 8), ("gdb_214", 12)],
    ids=["methane", "acetylene", "ethane", "ethanol", "benzene"],
)
def test_known_molecules_have_their_bond_counts(dataset, name, bonds):
    data = dataset[dataset.find(name)]
    assert undirected_bond_count(data) == bonds
    assert torch.equal(infer_bonds(data.z, data.pos), data.edge_index)


def test_methane_edges_are_both_directions_sorted(dataset):
    edge_index = dataset[0].edge_index
    assert edge_index.tolist() == [[0, 0, 0, 0, 1, 2, 3, 4], [1, 2, 3, 4, 0, 0, 0, 0]]


def test_benzene_ring_carbons_have_three_partners(dataset):
    data = dataset[dataset.find("gdb_214")]
    degree = torch.bincount(data.edge_index[0], minlength=data.num_nodes)
    assert degree[data.z == 6].tolist() == [3] * 6
    assert degree[data.z == 1].tolist() == [1] * 6


def test_bonds_do_not_change_under_rotation_and_translation(dataset):
    data = dataset[800]
    c, s = math.cos(0.7), math.sin(0.7)
    rotation = torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    moved = data.pos @ rotation.T + torch.tensor([3.0, -2.0, 10.0])
    assert torch.equal(infer_bonds(data.z, moved), data.edge_index)


def test_tolerance_factor_is_applied():
    # Two hydrogens 0.70 Å apart: bonded with 1.15 (limit 0.713 Å), not with 1.0 (0.62 Å).
    z = torch.tensor([1, 1])
    pos = torch.tensor([[0.0, 0.0, 0.0], [0.70, 0.0, 0.0]])
    assert infer_bonds(z, pos).tolist() == [[0, 1], [1, 0]]
    assert infer_bonds(z, pos, factor=1.0).shape == (2, 0)


def test_flat_inference_matches_stored_bonds(dataset):
    sample = dataset.subset(np.arange(0, len(dataset), 97))
    bonds, bond_ptr = infer_bonds_flat(sample.z.numpy(), sample.pos.numpy(), sample.atom_ptr.numpy())
    assert np.array_equal(bond_ptr, sample.bond_ptr.numpy())
    assert np.array_equal(bonds, sample.bonds.numpy().astype(np.int64))


def test_unknown_atomic_number_is_a_clear_error():
    with pytest.raises(ValueError, match="atomic number 99 has no covalent radius"):
        infer_bonds(torch.tensor([6, 99]), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="pos must have shape"):
        infer_bonds(torch.tensor([6, 1]), torch.zeros(3, 3))


def test_random_molecules_are_connected_with_one_bond_per_hydrogen(dataset):
    picks = np.random.default_rng(0).choice(len(dataset), size=1000, replace=False)
    hydrogens_with_one_bond = hydrogens = connected = 0
    for i in picks.tolist():
        data = dataset[i]
        degree = torch.bincount(data.edge_index[0], minlength=data.num_nodes)
        hydrogens += int((data.z == 1).sum())
        hydrogens_with_one_bond += int((degree[data.z == 1] == 1).sum())
        reached = {0}
        frontier = [0]
        neighbours = [[] for _ in range(data.num_nodes)]
        for a, b in data.edge_index.t().tolist():
            neighbours[a].append(b)
        while frontier:
            atom = frontier.pop()
            for other in neighbours[atom]:
                if other not in reached:
                    reached.add(other)
                    frontier.append(other)
        connected += len(reached) == data.num_nodes
    # Measured on the bundled set: every sampled molecule connected, every H with one bond.
    assert connected / 1000 == 1.0
    assert hydrogens_with_one_bond / hydrogens == 1.0


def smiles_bond_count(smiles: str, heavy: int, hydrogens: int) -> int:
    """Bonds implied by a SMILES: a spanning tree of the heavy atoms, plus one bond per
    ring closure, plus one per hydrogen."""
    body = re.sub(r"\[[^\]]*\]", "A", smiles)  # digits inside [...] are charges/H counts
    closures = len(re.findall(r"%\d\d", body))
    closures += sum(ch.isdigit() for ch in re.sub(r"%\d\d", "", body))
    return heavy - 1 + closures // 2 + hydrogens


def test_bond_counts_agree_with_qm9_smiles(dataset):
    rows = 1500
    smiles = {}
    with open(qm9pack_csv_paths()[0], newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        index_col, smiles_col = header.index("Index"), header.index("SMILES")
        for _, row in zip(range(rows), reader):
            smiles[int(row[index_col])] = row[smiles_col]
    agree = 0
    for qm9_index, text in smiles.items():
        data = dataset[dataset.find(f"gdb_{qm9_index}")]
        hydrogens = int((data.z == 1).sum())
        agree += undirected_bond_count(data) == smiles_bond_count(text, data.num_nodes - hydrogens, hydrogens)
    # Over all 130,831 molecules 44 disagree (0.03 %, strained rings with long bonds).
    assert agree / len(smiles) >= 0.995


def test_unique_bonds_lists_each_bond_once(dataset):
    methane = dataset[dataset.find("gdb_1")]
    assert unique_bonds(methane.edge_index).tolist() == [[0, 1], [0, 2], [0, 3], [0, 4]]
    benzene = dataset[dataset.find("gdb_214")]
    pairs = unique_bonds(benzene.edge_index)
    assert pairs.dtype == np.int64 and pairs.shape == (undirected_bond_count(benzene), 2)
    assert (pairs[:, 0] < pairs[:, 1]).all()
    # duplicates, one direction only and self-loops; numpy input as well as tensors
    edges = np.array([[2, 1, 1, 3, 3], [1, 2, 2, 3, 0]])
    assert unique_bonds(edges).tolist() == [[0, 3], [1, 2]]
    assert unique_bonds(torch.zeros((2, 0), dtype=torch.long)).shape == (0, 2)
