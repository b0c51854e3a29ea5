"""Molecule files and SMILES (issue 12): real files written here, read through ASE and RDKit."""

from __future__ import annotations

import numpy as np
import pytest
from molecule_files_fixtures import (
    ETHANOL,
    ETHANOL_BONDS,
    METHANETHIOL,
    sdf_record,
    write_multi_xyz,
    write_pdb,
    write_sdf,
    write_xyz,
)

import equiview.core.molecule_files as molecule_files
from equiview.core.data.bonds import infer_bonds, unique_bonds
from equiview.core.known_elements import QM9_ELEMENTS, unsupported_reason
from equiview.core.molecule import MAX_ATOMS
from equiview.core.molecule_files import read_molecule_file
from equiview.core.smiles import MAX_SMILES_ATOMS, molecule_from_smiles
from equiview.core.user_input_errors import MoleculeInputError


def bond_set(bonds) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in np.asarray(bonds)}


def one_line_error(path_or_smiles, reader=read_molecule_file) -> str:
    with pytest.raises(MoleculeInputError) as caught:
        reader(path_or_smiles)
    message = str(caught.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------------------------------------- xyz
def test_xyz_file_gives_atoms_positions_title_and_inferred_bonds(tmp_path):
    (molecule,) = read_molecule_file(write_xyz(tmp_path / "ethanol.xyz", ETHANOL, "ethanol, relaxed"))
    assert molecule.formula == "C2H6O" and molecule.num_atoms == 9 and molecule.title == "ethanol, relaxed"
    assert molecule.z.tolist() == [6, 6, 8, 1, 1, 1, 1, 1, 1]
    np.testing.assert_allclose(molecule.pos, [atom[1:] for atom in ETHANOL], atol=1e-4)
    assert not molecule.bonds_from_file
    assert (
        bond_set(molecule.bonds) == set(ETHANOL_BONDS) == bond_set(unique_bonds(infer_bonds(molecule.z, molecule.pos)))
    )
    data = molecule.to_data()
    assert data.z.dtype.is_floating_point is False and data.pos.shape == (9, 3)
    assert data.edge_index.shape == (2, 2 * len(ETHANOL_BONDS))


def test_multi_molecule_xyz_is_a_list_with_indices_and_titles(tmp_path):
    molecules = read_molecule_file(write_multi_xyz(tmp_path / "three.xyz"))
    assert [m.title for m in molecules] == ["water", "ethanol", "methanethiol"]
    assert [m.index for m in molecules] == [0, 1, 2]
    assert [m.formula for m in molecules] == ["H2O", "C2H6O", "CH4S"]
    assert molecules[2].label() == "methanethiol (CH4S, 6 atoms)"


# ---------------------------------------------------------------------------------------------- sdf
def test_sdf_bonds_come_from_the_bond_block(tmp_path):
    # The file leaves out the O-H bond: a reader that inferred bonds would put it back.
    listed = [bond for bond in ETHANOL_BONDS if bond != (2, 8)]
    path = write_sdf(tmp_path / "two.sdf", [("ethanol", ETHANOL, listed), ("thiol", METHANETHIOL, [(0, 1)])])
    first, second = read_molecule_file(path)
    assert first.bonds_from_file and bond_set(first.bonds) == set(listed)
    assert first.title == "ethanol" and first.formula == "C2H6O"
    np.testing.assert_allclose(first.pos, [atom[1:] for atom in ETHANOL], atol=1e-4)
    assert second.title == "thiol" and second.index == 1 and bond_set(second.bonds) == {(0, 1)}


def test_sdf_with_an_unknown_element_names_it(tmp_path):
    bad = [("Qq", *ETHANOL[0][1:]), *ETHANOL[1:]]
    message = one_line_error(write_sdf(tmp_path / "bad.sdf", [("bad", bad, ETHANOL_BONDS)]))
    assert "bad.sdf" in message and "Qq" in message


# ---------------------------------------------------------------------------------------------- pdb
def test_pdb_bonds_come_from_conect_records(tmp_path):
    conect = [(1, 2), (2, 3), (1, 4), (1, 5), (1, 6), (2, 7), (2, 8)]  # no O-H: the file's word counts
    (molecule,) = read_molecule_file(write_pdb(tmp_path / "ethanol.pdb", ETHANOL, conect))
    assert molecule.bonds_from_file and molecule.formula == "C2H6O"
    assert bond_set(molecule.bonds) == {(a - 1, b - 1) for a, b in conect}


def test_pdb_without_conect_gets_inferred_bonds(tmp_path):
    (molecule,) = read_molecule_file(write_pdb(tmp_path / "plain.pdb", ETHANOL))
    assert not molecule.bonds_from_file and bond_set(molecule.bonds) == set(ETHANOL_BONDS)


def test_pdb_conect_naming_a_missing_atom_is_one_line(tmp_path):
    message = one_line_error(write_pdb(tmp_path / "broken.pdb", ETHANOL, [(1, 42)]))
    assert "broken.pdb" in message and "42" in message


# ------------------------------------------------------------------------------------------- sulfur
def test_a_molecule_with_sulfur_is_read_and_beyond_the_qm9_models(tmp_path):
    (molecule,) = read_molecule_file(write_xyz(tmp_path / "thiol.xyz", METHANETHIOL, "methanethiol"))
    assert 16 in molecule.elements and (0, 1) in bond_set(molecule.bonds)
    reason = unsupported_reason(QM9_ELEMENTS, molecule.z)
    assert reason == "this model knows H, C, N, O, F; the molecule has S"
    assert unsupported_reason(None, molecule.z) is None
    assert unsupported_reason(QM9_ELEMENTS, np.array([6, 1, 8])) is None


# ------------------------------------------------------------------------------------------ bad input
def test_malformed_xyz_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "truncated.xyz"
    path.write_text("5\ncut short\nC 0 0 0\nH 1 0 0\n")
    assert "truncated.xyz" in one_line_error(path)


def test_unknown_element_symbol_in_xyz(tmp_path):
    path = write_xyz(tmp_path / "qq.xyz", [("Qq", 0, 0, 0), ("H", 1, 0, 0)], "nonsense")
    message = one_line_error(path)
    assert "qq.xyz" in message and "'Qq'" in message


def test_unknown_format_missing_empty_and_folder(tmp_path):
    strange = tmp_path / "molecule.foo"
    strange.write_text("not a molecule\n")
    assert "unknown molecule file format" in one_line_error(strange)
    assert "no such file" in one_line_error(tmp_path / "absent.xyz")
    empty = tmp_path / "empty.xyz"
    empty.write_text("")
    assert "empty" in one_line_error(empty)
    assert "not a file" in one_line_error(tmp_path)


def test_zero_atoms_and_too_many_atoms_are_refused(tmp_path):
    none = tmp_path / "none.xyz"
    none.write_text("0\nnothing\n")
    assert "no atoms" in one_line_error(none)
    grid = [("C", 1.6 * (i % 7), 1.6 * (i // 7 % 7), 1.6 * (i // 49)) for i in range(MAX_ATOMS + 1)]
    message = one_line_error(write_xyz(tmp_path / "big.xyz", grid, "too big"))
    assert f"{MAX_ATOMS + 1} atoms" in message and str(MAX_ATOMS) in message
    (largest,) = read_molecule_file(write_xyz(tmp_path / "ok.xyz", grid[:MAX_ATOMS], "largest"))
    assert largest.num_atoms == MAX_ATOMS


def test_file_size_is_checked_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(molecule_files, "MAX_FILE_BYTES", 100)
    message = one_line_error(write_xyz(tmp_path / "ethanol.xyz", ETHANOL))
    assert "ethanol.xyz" in message and "MB" in message


def test_a_malformed_sdf_record_is_one_line(tmp_path):
    record = sdf_record("ethanol", ETHANOL, ETHANOL_BONDS).splitlines()
    record[3] = " 99 99  0  0  0  0  0  0  0  0999 V2000"  # counts line promising atoms that are not there
    path = tmp_path / "broken.sdf"
    path.write_text("\n".join(record) + "\n")
    assert "broken.sdf" in one_line_error(path)


# ------------------------------------------------------------------------------------------- SMILES
def test_same_smiles_gives_the_same_geometry_with_hydrogens_and_bonds():
    first, again = molecule_from_smiles("CCO"), molecule_from_smiles("CCO")
    assert first.formula == "C2H6O" and first.num_atoms == 9 and first.bonds_from_file
    assert np.array_equal(first.pos, again.pos)
    assert len(first.bonds) == 8 and first.title == "CCO"
    distances = np.linalg.norm(first.pos[first.bonds[:, 0]] - first.pos[first.bonds[:, 1]], axis=1)
    assert 0.9 < distances.min() and distances.max() < 1.6  # a relaxed 3D geometry, not a 2D sketch
    assert np.ptp(first.pos, axis=0).min() > 0.5


def test_bad_smiles_are_one_line_naming_the_smiles():
    assert "'C1CC'" in one_line_error("C1CC", molecule_from_smiles)  # ring never closed
    assert "cannot be embedded" in one_line_error("C1#CC1", molecule_from_smiles)  # a triple bond in a 3-ring
    assert "empty" in one_line_error("  ", molecule_from_smiles)
    assert f"at most {MAX_SMILES_ATOMS}" in one_line_error("C" * 120, molecule_from_smiles)  # 362 atoms
