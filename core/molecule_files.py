"""Read a user's molecule file: every molecule in it, with bonds where the file has them.

=====================  ============================================================================
format                 read by
=====================  ============================================================================
SDF / MOL (.sdf .mol)  RDKit (V2000 and V3000, several records, the bond block kept)
PDB (.pdb .ent)        ASE (one molecule per MODEL); bonds from its CONECT records
XYZ, extended XYZ      ASE (one molecule per frame; the comment line is the title)
CIF, POSCAR, XSF, …    ASE (see ``ASE_FORMATS``)
=====================  ============================================================================

Files are untrusted: the size is checked before anything is parsed, the counts a file states about itself (atoms,
frames, grid sizes) are checked before ASE believes them (:mod:`equiview.core.molecule_prescan`), only plain-text
formats whose readers run no code are accepted, a file holds at most ``MAX_MOLECULES`` molecules of at most ``MAX_ATOMS`` atoms each, and
every failure is one :class:`MoleculeInputError` line naming the file. Bonds missing from the file are inferred
from distances as for QM9 (``equiview.core.data.bonds``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from equiview.core.data.bonds import infer_bonds_flat, unique_bonds
from equiview.core.elements import MAX_Z, SYMBOLS
from equiview.core.molecule import MAX_ATOMS, Molecule, coordinate_problem
from equiview.core.molecule_prescan import MAX_MOLECULES, prescan
from equiview.core.user_files import checked_size
from equiview.core.user_input_errors import MoleculeInputError

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Molecule files above 10 MB are refused before they are read."""

RDKIT_SUFFIXES = (".sdf", ".sd", ".mol")
ASE_FORMATS = ("xyz", "extxyz", "proteindatabank", "cif", "vasp", "xsf", "gen", "turbomole", "cube")
"""ASE formats equiview opens: plain-text readers that build atoms and nothing else (no pickles, no databases)."""
KNOWN_FORMATS = "xyz, extxyz, sdf, mol, pdb, cif, POSCAR, xsf, gen, cube"
_SYMBOLS = frozenset(SYMBOLS[1:]) | {"D", "T"}  # RDKit reads deuterium and tritium as hydrogen


def read_molecule_file(path: str | os.PathLike) -> list[Molecule]:
    """Every molecule in the file at ``path`` (one for most files; frames, models or records otherwise)."""
    path = Path(path)
    _check_size(path)
    if path.suffix.lower() in RDKIT_SUFFIXES:
        return _read_sdf(path)
    return _read_with_ase(path)


def _check_size(path: Path) -> None:
    size = checked_size(path, str(path), MAX_FILE_BYTES, "equiview reads from a molecule file", MoleculeInputError)
    if size == 0:
        raise MoleculeInputError(f"{path}: the file is empty")


def _checked_atoms(path: Path, index: int, z: np.ndarray, pos: np.ndarray, symbols: list[str] | None = None) -> None:
    where = f"{path}: molecule {index + 1}"
    if z.size == 0:
        raise MoleculeInputError(f"{where} has no atoms")
    if z.size > MAX_ATOMS:
        raise MoleculeInputError(f"{where} has {z.size} atoms; equiview shows molecules of at most {MAX_ATOMS} atoms")
    bad = np.flatnonzero((z < 1) | (z > MAX_Z))
    if bad.size:
        atom = int(bad[0])
        name = symbols[atom] if symbols else f"atomic number {int(z[atom])}"
        raise MoleculeInputError(f"{where}: atom {atom + 1} is {name!r}, not an element from H to Rn")
    problem = coordinate_problem(pos)
    if problem is not None:
        raise MoleculeInputError(f"{where}: {problem}")


def _molecule(path: Path, index: int, z, pos, bonds: np.ndarray | None, title: str) -> Molecule:
    z = np.asarray(z, dtype=np.int64)
    pos = np.asarray(pos, dtype=np.float64)
    _checked_atoms(path, index, z, pos)
    if bonds is None:
        directed, _ = infer_bonds_flat(z, pos.astype(np.float32), np.array([0, z.size]))
        bonds, from_file = unique_bonds(directed.T), False
    else:
        from_file = True
    return Molecule(
        z=z,
        pos=pos.astype(np.float32),
        bonds=np.asarray(bonds, dtype=np.int64).reshape(-1, 2),
        title=title.strip() or f"{path.stem} #{index + 1}",
        origin=str(path),
        index=index,
        bonds_from_file=from_file,
    )


# ------------------------------------------------------------------------------------------------- SDF
def _sdf_records(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise MoleculeInputError(f"{path}: cannot read it ({error.strerror or error})") from None
    records, current = [], []
    for line in text.splitlines():
        if line.strip() == "$$$$":
            records.append("\n".join(current) + "\n")
            current = []
            if len(records) > MAX_MOLECULES:
                raise MoleculeInputError(f"{path}: more than {MAX_MOLECULES} molecules in one file")
        else:
            current.append(line)
    if any(line.strip() for line in current):
        records.append("\n".join(current) + "\n")
    return records


def _mdl_problem(record: str) -> str:
    """Why RDKit rejected a V2000 record, as far as we can tell: an unknown element symbol, or a bad layout."""
    lines = record.splitlines()
    try:
        atom_count = int(lines[3][0:3])
    except (IndexError, ValueError):
        return "no valid counts line"
    atom_lines = lines[4 : 4 + atom_count]
    if len(atom_lines) < atom_count:
        return f"the counts line promises {atom_count} atoms, the record has fewer lines"
    for line in atom_lines:
        symbol = line[31:34].strip()
        if symbol and symbol not in _SYMBOLS:
            return f"unknown element symbol {symbol!r}"
    return "not a valid MDL molfile record"


def _check_mdl_counts(path: Path, index: int, record: str) -> None:
    """The atom count a V2000 counts line or a V3000 ``COUNTS`` line states, checked before RDKit believes it."""
    lines = record.splitlines()
    counts = lines[3] if len(lines) > 3 else ""
    stated = None
    if "V3000" in counts:
        for line in lines[4:]:
            fields = line.split()
            if fields[:3] == ["M", "V30", "COUNTS"] and len(fields) > 3:
                stated = fields[3]
                break
    else:
        stated = counts[0:3]
    try:
        atoms = int(stated) if stated is not None else 0
    except ValueError:
        return  # RDKit reports the malformed counts line
    if atoms > MAX_ATOMS:
        raise MoleculeInputError(
            f"{path}: molecule {index + 1}: the counts line says {atoms} atoms; "
            f"equiview reads molecules of at most {MAX_ATOMS} atoms"
        )


def _read_sdf(path: Path) -> list[Molecule]:
    from rdkit import Chem, rdBase

    molecules: list[Molecule] = []
    for index, record in enumerate(_sdf_records(path)):
        _check_mdl_counts(path, index, record)
        with rdBase.BlockLogs():  # RDKit would print its own multi-line complaint; we report one line
            mol = Chem.MolFromMolBlock(record, sanitize=False, removeHs=False, strictParsing=True)
        if mol is None:
            raise MoleculeInputError(f"{path}: molecule {index + 1}: {_mdl_problem(record)}")
        if mol.GetNumConformers() == 0:
            raise MoleculeInputError(f"{path}: molecule {index + 1} has no coordinates")
        symbols = [atom.GetSymbol() for atom in mol.GetAtoms()]
        z = np.array([atom.GetAtomicNum() for atom in mol.GetAtoms()], dtype=np.int64)
        pos = np.asarray(mol.GetConformer().GetPositions(), dtype=np.float64).reshape(-1, 3)
        _checked_atoms(path, index, z, pos, symbols)
        bonds = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()], dtype=np.int64)
        title = mol.GetProp("_Name") if mol.HasProp("_Name") else ""
        molecules.append(_molecule(path, index, z, pos, unique_bonds(bonds.reshape(-1, 2).T), title))
    if not molecules:
        raise MoleculeInputError(f"{path}: no molecule in the file")
    return molecules


# ------------------------------------------------------------------------------------------------- ASE
def _ase_format(path: Path) -> str:
    from ase.io.formats import UnknownFileTypeError, filetype

    try:
        name = filetype(str(path), guess=True)
    except UnknownFileTypeError:
        name = None
    except OSError as error:
        raise MoleculeInputError(f"{path}: cannot read it ({error.strerror or error})") from None
    if name not in ASE_FORMATS:
        raise MoleculeInputError(f"{path}: unknown molecule file format (equiview reads {KNOWN_FORMATS})")
    return name


def _read_with_ase(path: Path) -> list[Molecule]:
    import io

    import ase.io

    fmt = _ase_format(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise MoleculeInputError(f"{path}: cannot read it ({error.strerror or error})") from None
    scanned = prescan(path, fmt, text)  # the file's own counts, checked before ASE allocates by them
    try:
        images = ase.io.read(io.StringIO(scanned.text), index=f":{MAX_MOLECULES + 1}", format=fmt)
    except KeyError as error:  # ase.Atoms rejects a symbol it does not know with KeyError(symbol)
        symbol = error.args[0] if error.args else "?"
        raise MoleculeInputError(f"{path}: unknown element symbol {symbol!r}") from None
    except OSError as error:
        raise MoleculeInputError(f"{path}: not a valid {fmt} file ({error})") from None
    except MemoryError:  # the pre-scan bounds what ASE builds: running out of memory is our bug, not the file's
        raise
    except Exception as error:  # noqa: BLE001 - ASE's parsers fail on malformed text with any exception type
        # (ValueError, IndexError, StopIteration, ...); each means the same for the user: not valid in its format.
        raise MoleculeInputError(f"{path}: not a valid {fmt} file ({type(error).__name__}: {error})") from None
    if not images:
        raise MoleculeInputError(f"{path}: no molecule in the file")
    if len(images) > MAX_MOLECULES:
        raise MoleculeInputError(f"{path}: more than {MAX_MOLECULES} molecules in one file")
    titles = _xyz_titles(scanned.text, len(images)) if fmt in ("xyz", "extxyz") else [""] * len(images)
    connections = _pdb_conect(path, scanned.text) if fmt == "proteindatabank" else None
    notes = f" ({'; '.join(scanned.notes)})" if scanned.notes else ""
    molecules = []
    for index, atoms in enumerate(images):
        z = np.asarray(atoms.numbers, dtype=np.int64)
        pos = np.asarray(atoms.positions, dtype=np.float64)
        title = titles[index] or str(atoms.info.get("name", atoms.info.get("title", "")))
        _checked_atoms(path, index, z, pos, list(atoms.get_chemical_symbols()))
        bonds = None
        if connections is not None:
            bonds = _bonds_from_conect(path, connections, z, pos)
        molecule = _molecule(path, index, z, pos, bonds, title)
        if notes:  # what the pre-scan changed (isotopes, alternate locations) is part of the molecule's name
            molecule = dataclasses.replace(molecule, title=molecule.title + notes)
        molecules.append(molecule)
    return molecules


def _xyz_titles(text: str, count: int) -> list[str]:
    """The comment line of each frame, unless it is extended XYZ's key=value list."""
    lines = text.splitlines()
    titles, row = [], 0
    while len(titles) < count and row + 1 < len(lines):
        if not lines[row].strip():
            row += 1
            continue
        try:
            atoms = int(lines[row].split()[0])
        except (ValueError, IndexError):
            break
        comment = lines[row + 1].strip()
        titles.append("" if "=" in comment else comment[:80])
        row += atoms + 2
    return titles + [""] * (count - len(titles))


# ------------------------------------------------------------------------------------------------- PDB
def _pdb_conect(path: Path, text: str) -> tuple[list[int], list[tuple[int, int]]] | None:
    """Atom serial numbers of the first model and the CONECT pairs (serials), or None without CONECT records."""
    serials: list[int] = []
    pairs: list[tuple[int, int]] = []
    in_first_model = True
    # the pre-scanned text: one location per atom, as ASE read it
    for number, line in enumerate(text.splitlines(), start=1):
        record = line[:6].strip().upper()
        if record == "ENDMDL":
            in_first_model = False
        elif record in ("ATOM", "HETATM") and in_first_model:
            serials.append(_pdb_int(path, number, line[6:11]))
        elif record == "CONECT":
            fields = [line[i : i + 5] for i in range(6, 31, 5)]
            numbers = [_pdb_int(path, number, field) for field in fields if field.strip()]
            if not numbers:
                raise MoleculeInputError(f"{path}: line {number}: CONECT record without atom numbers")
            pairs.extend((numbers[0], other) for other in numbers[1:])
    return (serials, pairs) if pairs else None


def _pdb_int(path: Path, number: int, field: str) -> int:
    try:
        return int(field)
    except ValueError:
        raise MoleculeInputError(f"{path}: line {number}: {field.strip()!r} is not an atom number") from None


def _bonds_from_conect(path: Path, connections, z: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """CONECT bonds; atoms no CONECT record mentions (a protein's standard residues) get inferred bonds."""
    serials, pairs = connections
    if len(serials) != z.size:
        raise MoleculeInputError(f"{path}: {len(serials)} ATOM/HETATM records but {z.size} atoms were read")
    row_of = {serial: row for row, serial in enumerate(serials)}
    listed = []
    for a, b in pairs:
        if a not in row_of or b not in row_of:
            missing = a if a not in row_of else b
            raise MoleculeInputError(f"{path}: CONECT names atom {missing}, which the file does not have")
        listed.append((row_of[a], row_of[b]))
    bonds = unique_bonds(np.array(listed, dtype=np.int64).T)
    mentioned = np.zeros(z.size, dtype=bool)
    mentioned[bonds.reshape(-1)] = True
    if not mentioned.all():
        inferred, _ = infer_bonds_flat(z, pos.astype(np.float32), np.array([0, z.size]))
        inferred = unique_bonds(inferred.T)
        keep = ~mentioned[inferred[:, 0]] & ~mentioned[inferred[:, 1]]
        bonds = unique_bonds(np.concatenate([bonds, inferred[keep]]).T)
    return bonds
