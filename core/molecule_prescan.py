"""Check a molecule file's own header numbers before a parser believes them, and hand the parser checked text.

ASE's readers trust the counts a file states: a POSCAR whose counts line says ``1000000000`` made ASE build a
symbol list of a billion entries (15 GB) before equiview's atom limit was checked, and an XYZ file saying
``1000000000`` spun for ever in ``for _ in range(natoms): readline()``. This pre-scan reads the (at most 10 MB)
text once, line by line, and checks every count that sizes what a reader builds against equiview's bounds: atoms
per molecule (``MAX_ATOMS``), molecules per file (``MAX_MOLECULES``) and a volumetric grid against the bytes the
file has. A lie is one :class:`MoleculeInputError` line naming the file, the line and the number. What passes is
bounded by the file's size, so the parse that follows costs time and memory linear in at most 10 MB.

The text it returns is what the parser reads (never the path again, so ASE looks at no other file, such as a
POTCAR beside a POSCAR). Two repairs are made on the way, each stated in the molecule's title:

* deuterium and tritium (``D``, ``T``) are hydrogen (Z = 1) in every format, as RDKit reads them in SDF and SMILES;
* a PDB's alternate locations (column 17): for each atom the first location in the file is kept, the others
  dropped (two copies of one oxygen 0.1 Å apart are not a molecule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from equiview.core.molecule import MAX_ATOMS
from equiview.core.user_input_errors import MoleculeInputError

MAX_MOLECULES = 10_000
"""At most this many molecules (frames, models, records, data blocks) are read from one file."""
ISOTOPES = {"D": "H", "T": "H"}
_ISOTOPE_TOKEN = re.compile(r"^(\s*)([DT])(?=[\s\d_:.]|$)")


@dataclass(frozen=True)
class Prescanned:
    """The text a parser may read, and what the pre-scan changed in it (empty when nothing)."""

    text: str
    notes: tuple[str, ...] = ()


def prescan(path: Path, fmt: str, text: str) -> Prescanned:
    """``text`` (the file at ``path`` in ASE format ``fmt``) checked and repaired; :class:`MoleculeInputError` for a
    count outside the bounds or a count the file does not hold."""
    scan = _SCANNERS.get(fmt)
    return scan(path, text) if scan else Prescanned(text)


def _int(path: Path, number: int, token: str, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise MoleculeInputError(f"{path}: line {number}: {what} {token[:20]!r} is not an integer") from None


def _atoms(path: Path, number: int, count: int, what: str = "the atom count") -> int:
    if count < 0:
        raise MoleculeInputError(f"{path}: line {number}: {what} {count} is negative")
    if count > MAX_ATOMS:
        raise MoleculeInputError(
            f"{path}: line {number}: {what} says {count} atoms; equiview reads molecules of at most {MAX_ATOMS} atoms"
        )
    return count


def _frames(path: Path, count: int) -> None:
    if count > MAX_MOLECULES:
        raise MoleculeInputError(f"{path}: more than {MAX_MOLECULES} molecules in one file")


def _hydrogen(line: str) -> tuple[str, bool]:
    """``line`` with a leading D or T symbol (deuterium, tritium) written as H."""
    match = _ISOTOPE_TOKEN.match(line)
    if not match:
        return line, False
    return line[: match.start(2)] + "H" + line[match.end(2) :], True


def _isotope_note(changed: bool) -> tuple[str, ...]:
    return ("D/T read as hydrogen",) if changed else ()


# ----------------------------------------------------------------------------------------- XYZ, extended XYZ
def _xyz(path: Path, text: str) -> Prescanned:
    lines = text.splitlines()
    out: list[str] = []
    row, frames, changed = 0, 0, False
    while row < len(lines):
        if not lines[row].strip():  # blank lines between or after frames
            out.append(lines[row])
            row += 1
            continue
        count = _atoms(path, row + 1, _int(path, row + 1, lines[row].split()[0], "the atom count"))
        if row + 2 + count > len(lines):
            have = max(0, len(lines) - row - 2)
            raise MoleculeInputError(
                f"{path}: line {row + 1}: the atom count says {count} atoms, the file has {have} more lines"
            )
        frames += 1
        _frames(path, frames)
        out += lines[row : row + 2]
        for line in lines[row + 2 : row + 2 + count]:
            line, isotope = _hydrogen(line)
            changed |= isotope
            out.append(line)
        row += 2 + count
    return Prescanned("\n".join(out) + "\n", _isotope_note(changed))


# ----------------------------------------------------------------------------------------- POSCAR / CONTCAR
def _vasp(path: Path, text: str) -> Prescanned:
    lines = text.splitlines()
    if len(lines) < 7:
        raise MoleculeInputError(f"{path}: a POSCAR needs at least 7 lines (title, scale, 3 cell vectors, counts)")
    species = lines[5].split()
    changed = False
    if species and all(token.lstrip("+").isdigit() for token in species):
        counts_row = 5
    else:
        counts_row = 6
        repaired = [ISOTOPES.get(token, token) for token in species]
        changed = repaired != species
        if changed:
            lines[5] = " ".join(repaired)
    tokens = lines[counts_row].split()
    if not tokens:
        raise MoleculeInputError(f"{path}: line {counts_row + 1}: no atom counts")
    total = 0
    for token in tokens:
        total += _atoms(path, counts_row + 1, _int(path, counts_row + 1, token, "the atom count"))
        _atoms(path, counts_row + 1, total, "the atom counts")
    return Prescanned("\n".join(lines) + "\n", _isotope_note(changed))


# ----------------------------------------------------------------------------------------- Gaussian cube
def _grid(path: Path, number: int, sizes: list[int], room: int) -> None:
    """A grid of ``sizes`` values must fit the ``room`` bytes left (each value takes at least 2: digit, separator)."""
    values = 1
    for size in sizes:
        values *= abs(size)
    if values > room // 2 + 1:
        raise MoleculeInputError(
            f"{path}: line {number}: a grid of {' x '.join(str(abs(s)) for s in sizes)} values, "
            f"more than the {room} bytes after it can hold"
        )


def _cube(path: Path, text: str) -> Prescanned:
    lines = text.splitlines()
    if len(lines) < 6:
        raise MoleculeInputError(f"{path}: a cube file needs at least 6 header lines")
    head = [line.split() for line in lines[2:6]]
    if any(not fields for fields in head):
        raise MoleculeInputError(f"{path}: a cube header line (3 to 6) is empty")
    count = abs(_int(path, 3, head[0][0], "the atom count"))  # negative: molecular orbitals follow
    _atoms(path, 3, count)
    if len(lines) < 6 + count:
        raise MoleculeInputError(f"{path}: line 3: the atom count says {count} atoms, the file has fewer lines")
    sizes = [_int(path, 4 + axis, head[1 + axis][0], "the grid size") for axis in range(3)]
    room = sum(len(line) + 1 for line in lines[6 + count :])
    _grid(path, 4, sizes, room)
    return Prescanned(text)


# ----------------------------------------------------------------------------------------- DFTB+ gen
def _gen(path: Path, text: str) -> Prescanned:
    lines = text.splitlines()
    if len(lines) < 2 or not lines[0].split():
        raise MoleculeInputError(f"{path}: a gen file needs a counts line and a species line")
    count = _atoms(path, 1, _int(path, 1, lines[0].split()[0], "the atom count"))
    if len(lines) < 2 + count:
        raise MoleculeInputError(f"{path}: line 1: the atom count says {count} atoms, the file has fewer lines")
    species = lines[1].split()
    repaired = [ISOTOPES.get(token, token) for token in species]
    lines[1] = " ".join(repaired)
    return Prescanned("\n".join(lines) + "\n", _isotope_note(repaired != species))


# ----------------------------------------------------------------------------------------- XSF
def _xsf(path: Path, text: str) -> Prescanned:
    lines = text.splitlines()
    changed = False
    for row, line in enumerate(lines):
        fields = line.split()
        if not fields:
            continue
        key = fields[0].upper()
        if key == "ANIMSTEPS" and len(fields) > 1:
            _frames(path, _int(path, row + 1, fields[1], "ANIMSTEPS"))
        elif key.startswith(("PRIMCOORD", "CONVCOORD")) and row + 1 < len(lines) and lines[row + 1].split():
            _atoms(path, row + 2, _int(path, row + 2, lines[row + 1].split()[0], "the atom count"))
        elif key.startswith("DATAGRID_3D") or key.startswith("BEGIN_DATAGRID_3D"):
            if row + 1 < len(lines) and len(lines[row + 1].split()) == 3:
                sizes = [_int(path, row + 2, token, "the grid size") for token in lines[row + 1].split()]
                _grid(path, row + 2, sizes, sum(len(rest) + 1 for rest in lines[row + 2 :]))
        else:
            lines[row], isotope = _hydrogen(line)
            changed |= isotope
    return Prescanned("\n".join(lines) + "\n", _isotope_note(changed))


# ----------------------------------------------------------------------------------------- PDB
def _pdb(path: Path, text: str) -> Prescanned:
    lines = text.splitlines()
    out: list[str] = []
    models, atoms, dropped, changed = 0, 0, 0, False
    first_location: dict[tuple[str, ...], str] = {}
    for number, line in enumerate(lines, start=1):
        record = line[:6].strip().upper()
        if record == "MODEL":
            models += 1
            _frames(path, models)
            atoms = 0
            first_location.clear()
        elif record in ("ATOM", "HETATM"):
            location = line[16:17].strip()
            if location:
                atom = (line[12:16], line[17:20], line[21:22], line[22:27])  # name, residue, chain, number+icode
                kept = first_location.setdefault(atom, location)
                if location != kept:
                    dropped += 1
                    continue
            atoms += 1
            _atoms(path, number, atoms, "the ATOM/HETATM records of one model")
            element = line[76:78].strip()
            if element in ISOTOPES:
                line = line[:76] + "H".rjust(2) + line[78:]
                changed = True
            elif (
                not element and line[12:16].strip()[:1] in ISOTOPES and line[12:16].strip()[1:2] in ("", *"0123456789")
            ):
                line = line[:12] + line[12:16].replace(line[12:16].strip()[0], "H", 1) + line[16:]
                changed = True
        out.append(line)
    notes = _isotope_note(changed)
    if dropped:
        notes += (f"{dropped} alternate atom locations dropped, the first kept",)
    return Prescanned("\n".join(out) + "\n", notes)


# ----------------------------------------------------------------------------------------- CIF
def _cif(path: Path, text: str) -> Prescanned:
    """Data blocks (molecules) and the rows of each ``_atom_site`` loop (atoms before symmetry)."""
    blocks, rows, in_loop, header, site_loop, changed = 0, 0, False, False, False, False
    lines = text.splitlines()
    symbol_column, columns = None, 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        lowered = stripped.lower()
        if lowered.startswith("data_"):
            blocks += 1
            _frames(path, blocks)
            rows, in_loop, header, site_loop = 0, False, False, False
        elif lowered == "loop_":
            in_loop, header, site_loop, columns, symbol_column = True, True, False, 0, None
        elif in_loop and header and stripped.startswith("_"):
            if lowered.startswith("_atom_site_") and not lowered.startswith("_atom_site_aniso"):
                site_loop = True
                if lowered.split()[0] == "_atom_site_type_symbol":
                    symbol_column = columns
            columns += 1
        elif in_loop and stripped and not stripped.startswith("#"):
            if stripped.startswith("_"):
                in_loop = False
                continue
            header = False
            if site_loop:
                rows += 1
                _atoms(path, number, rows, "the _atom_site loop")
                if symbol_column is not None:
                    fields = stripped.split()
                    if len(fields) == columns and fields[symbol_column] in ISOTOPES:
                        fields[symbol_column] = "H"
                        lines[number - 1] = " ".join(fields)
                        changed = True
    return Prescanned("\n".join(lines) + "\n", _isotope_note(changed))


_SCANNERS = {
    "xyz": _xyz,
    "extxyz": _xyz,
    "vasp": _vasp,
    "cube": _cube,
    "gen": _gen,
    "xsf": _xsf,
    "proteindatabank": _pdb,
    "cif": _cif,
}
