"""Issue 19, finding 6: molecules are built as written or refused, never silently wrong.

Multi-fragment SMILES were embedded on top of each other (``C.C`` gave two methanes 0.000 Å apart, so the numbers of
``C``); a newline inside a SMILES silently cut it; a PDB's alternate locations were all kept (two oxygens 0.1 Å
apart); deuterium was refused in XYZ but read as hydrogen from SDF and SMILES.
"""

from __future__ import annotations

import numpy as np
import pytest
from molecule_files_fixtures import ETHANOL, write_sdf

from equiview.core.molecule_files import read_molecule_file
from equiview.core.smiles import MIN_FRAGMENT_DISTANCE, molecule_from_smiles
from equiview.core.user_input_errors import MoleculeInputError


def fragment_distance(molecule, first: np.ndarray) -> float:
    pos = molecule.pos.astype(np.float64)
    return float(np.linalg.norm(pos[first][:, None] - pos[~first][None], axis=-1).min())


@pytest.mark.parametrize("smiles, heavy", [("C.C", 1), ("[Na+].[Cl-]", 1), ("CCO.O", 3)])
def test_fragments_of_a_smiles_are_embedded_apart(smiles, heavy):
    molecule = molecule_from_smiles(smiles)
    # the first fragment: its heavy atoms come first in the SMILES, its hydrogens are bonded to them
    first = np.zeros(molecule.num_atoms, dtype=bool)
    first[:heavy] = True
    for a, b in molecule.bonds:
        if first[a] or first[b]:
            first[a] = first[b] = True
    assert fragment_distance(molecule, first) >= MIN_FRAGMENT_DISTANCE >= 1.5
    assert "fragments" in molecule.title


def test_two_methanes_are_not_one():
    assert molecule_from_smiles("C.C").num_atoms == 10


@pytest.mark.parametrize("smiles", ["CC\nO", "CC O", "C\tC", "CCO ethanol"])
def test_whitespace_inside_a_smiles_is_an_error(smiles):
    with pytest.raises(MoleculeInputError, match="whitespace") as raised:
        molecule_from_smiles(smiles)
    assert "\n" not in str(raised.value)


def test_pdb_alternate_locations_keep_the_first_and_say_so(tmp_path):
    line = "HETATM{:5d}  {:<3}{}HOH A   1    {:8.3f}{:8.3f}{:8.3f}{:6.2f}  0.00          {:>2}\n"
    text = (
        line.format(1, "O", "A", 0.0, 0.0, 0.1173, 0.6, "O")
        + line.format(2, "O", "B", 0.0, 0.1, 0.1173, 0.4, "O")
        + line.format(3, "H1", " ", 0.0, 0.7572, -0.4692, 1.0, "H")
        + line.format(4, "H2", " ", 0.0, -0.7572, -0.4692, 1.0, "H")
        + "END\n"
    )
    path = tmp_path / "water.pdb"
    path.write_text(text)
    (molecule,) = read_molecule_file(path)
    assert molecule.num_atoms == 3 and sorted(molecule.z.tolist()) == [1, 1, 8]
    assert np.allclose(molecule.pos[molecule.z == 8], [0.0, 0.0, 0.1173], atol=1e-3)  # location A
    assert "alternate" in molecule.title


def test_deuterium_and_tritium_are_hydrogen_in_every_format(tmp_path):
    xyz = tmp_path / "heavy_water.xyz"
    xyz.write_text("3\nheavy water\nO 0 0 0.1173\nD 0 0.7572 -0.4692\nT 0 -0.7572 -0.4692\n")
    poscar_dir = tmp_path / "v"
    poscar_dir.mkdir()
    poscar = poscar_dir / "POSCAR"
    poscar.write_text(
        "w\n1.0\n10 0 0\n0 10 0\n0 0 10\nO D\n1 2\nCartesian\n0 0 0.1173\n0 0.7572 -0.4692\n0 -0.7572 -0.4692\n"
    )
    pdb = tmp_path / "w.pdb"
    pdb.write_text(
        "HETATM    1  O   HOH A   1       0.000   0.000   0.117  1.00  0.00           O\n"
        "HETATM    2  D1  HOH A   1       0.000   0.757  -0.469  1.00  0.00           D\n"
        "HETATM    3  D2  HOH A   1       0.000  -0.757  -0.469  1.00  0.00           D\n"
        "END\n"
    )
    sdf = write_sdf(tmp_path / "e.sdf", [("ethanol-d", [("D" if s == "H" else s, *xyz_) for s, *xyz_ in ETHANOL], [])])
    for path in (xyz, poscar, pdb, sdf):
        (molecule,) = read_molecule_file(path)
        assert set(molecule.z.tolist()) <= {1, 6, 8} and (molecule.z == 1).sum() >= 2, path
    assert (molecule_from_smiles("[2H]O[2H]").z == 1).sum() == 2
