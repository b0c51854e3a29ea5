"""Real molecule files, written by the tests: ethanol (xyz, sdf, pdb), several molecules in one xyz, sulfur."""

from __future__ import annotations

from pathlib import Path

# Ethanol, an MMFF-relaxed geometry (Å). Atom order: C1 C2 O H(x3 on C1) H(x2 on C2) H(on O).
ETHANOL = [
    ("C", -0.9289, 0.0632, 0.0401),
    ("C", 0.5223, -0.3835, -0.0323),
    ("O", 1.3547, 0.7545, 0.0838),
    ("H", -1.1072, 0.6214, 0.9651),
    ("H", -1.2087, 0.7016, -0.8041),
    ("H", -1.5777, -0.8149, 0.0311),
    ("H", 0.7351, -0.9462, -0.9439),
    ("H", 0.7295, -1.0430, 0.8139),
    ("H", 2.2632, 0.4250, 0.0287),
]
ETHANOL_BONDS = [(0, 1), (1, 2), (0, 3), (0, 4), (0, 5), (1, 6), (1, 7), (2, 8)]

# Methanethiol (CH3SH): the molecule with sulfur.
METHANETHIOL = [
    ("C", -0.0468, 1.1712, 0.0000),
    ("S", -0.0468, -0.6523, 0.0000),
    ("H", -1.0864, 1.5037, 0.0000),
    ("H", 0.4501, 1.5651, 0.8908),
    ("H", 0.4501, 1.5651, -0.8908),
    ("H", 1.2693, -0.9265, 0.0000),
]

WATER = [("O", 0.0, 0.0, 0.1173), ("H", 0.0, 0.7572, -0.4692), ("H", 0.0, -0.7572, -0.4692)]


def xyz_block(atoms, comment: str) -> str:
    lines = [str(len(atoms)), comment]
    lines += [f"{symbol:<2} {x:10.4f} {y:10.4f} {z:10.4f}" for symbol, x, y, z in atoms]
    return "\n".join(lines) + "\n"


def write_xyz(path: Path, atoms, comment: str = "ethanol") -> Path:
    path.write_text(xyz_block(atoms, comment))
    return path


def write_multi_xyz(path: Path) -> Path:
    path.write_text(xyz_block(WATER, "water") + xyz_block(ETHANOL, "ethanol") + xyz_block(METHANETHIOL, "methanethiol"))
    return path


def sdf_record(title: str, atoms, bonds) -> str:
    """One MDL V2000 record (header, counts line, atom block, bond block, M  END, $$$$)."""
    lines = [title, "  equiview-tests", ""]
    lines.append(f"{len(atoms):3d}{len(bonds):3d}  0  0  0  0  0  0  0  0999 V2000")
    for symbol, x, y, z in atoms:
        lines.append(f"{x:10.4f}{y:10.4f}{z:10.4f} {symbol:<3} 0  0  0  0  0  0  0  0  0  0  0  0")
    for i, j in bonds:
        lines.append(f"{i + 1:3d}{j + 1:3d}  1  0")
    lines += ["M  END", "$$$$"]
    return "\n".join(lines) + "\n"


def write_sdf(path: Path, records) -> Path:
    path.write_text("".join(sdf_record(*record) for record in records))
    return path


def write_pdb(path: Path, atoms, conect=None) -> Path:
    """HETATM records (serials from 1) and, when given, CONECT records of 1-based serial pairs."""
    lines = []
    for serial, (symbol, x, y, z) in enumerate(atoms, start=1):
        name = f"{symbol}{serial}"
        lines.append(
            f"HETATM{serial:5d} {name:<4} LIG A   1    {x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00          {symbol:>2}"
        )
    for a, b in conect or []:
        lines.append(f"CONECT{a:5d}{b:5d}")
    lines.append("END")
    path.write_text("\n".join(lines) + "\n")
    return path
