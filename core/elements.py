"""Periodic-table facts for the elements up to radon (Z = 1..86).

Every table is a tuple indexed by atomic number Z; index 0 is a placeholder so that
``COVALENT_RADII[6]`` is carbon. QM9 only contains H, C, N, O and F, but the tables are
complete up to Rn so that any molecule a user opens (an SDF, a PDB, a SMILES) can be drawn.

Sources
-------
* Covalent radii: B. Cordero, V. Gómez, A. E. Platero-Prats, M. Revés, J. Echeverría,
  E. Cremades, F. Barragán, S. Alvarez, "Covalent radii revisited", Dalton Trans. 2008,
  2832-2838 (doi:10.1039/b801115j). Carbon uses the sp3 value, Mn/Fe/Co the high-spin values.
* Colours: the Jmol/CPK element colours (jmol.sourceforge.net/jscolors).
* Van der Waals radii: A. Bondi, J. Phys. Chem. 68, 441 (1964); elements without a Bondi
  value get 2.0 Å.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

SYMBOLS: tuple[str, ...] = (
    "X",
    "H",
    "He",
    "Li",
    "Be",
    "B",
    "C",
    "N",
    "O",
    "F",
    "Ne",
    "Na",
    "Mg",
    "Al",
    "Si",
    "P",
    "S",
    "Cl",
    "Ar",
    "K",
    "Ca",
    "Sc",
    "Ti",
    "V",
    "Cr",
    "Mn",
    "Fe",
    "Co",
    "Ni",
    "Cu",
    "Zn",
    "Ga",
    "Ge",
    "As",
    "Se",
    "Br",
    "Kr",
    "Rb",
    "Sr",
    "Y",
    "Zr",
    "Nb",
    "Mo",
    "Tc",
    "Ru",
    "Rh",
    "Pd",
    "Ag",
    "Cd",
    "In",
    "Sn",
    "Sb",
    "Te",
    "I",
    "Xe",
    "Cs",
    "Ba",
    "La",
    "Ce",
    "Pr",
    "Nd",
    "Pm",
    "Sm",
    "Eu",
    "Gd",
    "Tb",
    "Dy",
    "Ho",
    "Er",
    "Tm",
    "Yb",
    "Lu",
    "Hf",
    "Ta",
    "W",
    "Re",
    "Os",
    "Ir",
    "Pt",
    "Au",
    "Hg",
    "Tl",
    "Pb",
    "Bi",
    "Po",
    "At",
    "Rn",
)
"""Element symbol by atomic number (``SYMBOLS[8] == "O"``); index 0 is the placeholder "X"."""

MAX_Z = len(SYMBOLS) - 1

COVALENT_RADII: tuple[float, ...] = (
    0.0,
    0.31,
    0.28,
    1.28,
    0.96,
    0.84,
    0.76,
    0.71,
    0.66,
    0.57,
    0.58,
    1.66,
    1.41,
    1.21,
    1.11,
    1.07,
    1.05,
    1.02,
    1.06,
    2.03,
    1.76,
    1.70,
    1.60,
    1.53,
    1.39,
    1.61,
    1.52,
    1.50,
    1.24,
    1.32,
    1.22,
    1.22,
    1.20,
    1.19,
    1.20,
    1.20,
    1.16,
    2.20,
    1.95,
    1.90,
    1.75,
    1.64,
    1.54,
    1.47,
    1.46,
    1.42,
    1.39,
    1.45,
    1.44,
    1.42,
    1.39,
    1.39,
    1.38,
    1.39,
    1.40,
    2.44,
    2.15,
    2.07,
    2.04,
    2.03,
    2.01,
    1.99,
    1.98,
    1.98,
    1.96,
    1.94,
    1.92,
    1.92,
    1.89,
    1.90,
    1.87,
    1.87,
    1.75,
    1.70,
    1.62,
    1.51,
    1.44,
    1.41,
    1.36,
    1.36,
    1.32,
    1.45,
    1.46,
    1.48,
    1.40,
    1.50,
    1.50,
)
"""Cordero et al. (2008) single-bond covalent radii in Å, indexed by Z."""

_JMOL_HEX: tuple[str, ...] = (
    "FF1493",
    "FFFFFF",
    "D9FFFF",
    "CC80FF",
    "C2FF00",
    "FFB5B5",
    "909090",
    "3050F8",
    "FF0D0D",
    "90E050",
    "B3E3F5",
    "AB5CF2",
    "8AFF00",
    "BFA6A6",
    "F0C8A0",
    "FF8000",
    "FFFF30",
    "1FF01F",
    "80D1E3",
    "8F40D4",
    "3DFF00",
    "E6E6E6",
    "BFC2C7",
    "A6A6AB",
    "8A99C7",
    "9C7AC7",
    "E06633",
    "F090A0",
    "50D050",
    "C88033",
    "7D80B0",
    "C28F8F",
    "668F8F",
    "BD80E3",
    "FFA100",
    "A62929",
    "5CB8D1",
    "702EB0",
    "00FF00",
    "94FFFF",
    "94E0E0",
    "73C2C9",
    "54B5B5",
    "3B9E9E",
    "248F8F",
    "0A7D8C",
    "006985",
    "C0C0C0",
    "FFD98F",
    "A67573",
    "668080",
    "9E63B5",
    "D47A00",
    "940094",
    "429EB0",
    "57178F",
    "00C900",
    "70D4FF",
    "FFFFC7",
    "D9FFC7",
    "C7FFC7",
    "A3FFC7",
    "8FFFC7",
    "61FFC7",
    "45FFC7",
    "30FFC7",
    "1FFFC7",
    "00FF9C",
    "00E675",
    "00D452",
    "00BF38",
    "00AB24",
    "4DC2FF",
    "4DA6FF",
    "2194D6",
    "267DAB",
    "266696",
    "175487",
    "D0D0E0",
    "FFD123",
    "B8B8D0",
    "A6544D",
    "575961",
    "9E4FB5",
    "AB5C00",
    "754F45",
    "428296",
)

CPK_COLORS: tuple[tuple[float, float, float], ...] = tuple(
    (int(h[0:2], 16) / 255.0, int(h[2:4], 16) / 255.0, int(h[4:6], 16) / 255.0) for h in _JMOL_HEX
)
"""Jmol/CPK colours as float RGB in 0..1, indexed by Z (index 0: deep pink for 'unknown')."""

_BONDI_VDW: dict[int, float] = {
    1: 1.20,
    2: 1.40,
    3: 1.82,
    6: 1.70,
    7: 1.55,
    8: 1.52,
    9: 1.47,
    10: 1.54,
    11: 2.27,
    12: 1.73,
    14: 2.10,
    15: 1.80,
    16: 1.80,
    17: 1.75,
    18: 1.88,
    19: 2.75,
    28: 1.63,
    29: 1.40,
    30: 1.39,
    31: 1.87,
    33: 1.85,
    34: 1.90,
    35: 1.85,
    36: 2.02,
    46: 1.63,
    47: 1.72,
    48: 1.58,
    49: 1.93,
    50: 2.17,
    52: 2.06,
    53: 1.98,
    54: 2.16,
    78: 1.72,
    79: 1.66,
    80: 1.55,
    81: 1.96,
    82: 2.02,
}

VDW_RADII: tuple[float, ...] = tuple(_BONDI_VDW.get(z, 2.0) for z in range(MAX_Z + 1))
"""Bondi (1964) van der Waals radii in Å, indexed by Z (2.0 Å where Bondi gives none)."""

DISPLAY_RADIUS_SCALE = 0.2
"""Jmol's ball-and-stick style draws atoms at 20 % of their van der Waals radius."""

DISPLAY_RADII: tuple[float, ...] = tuple(DISPLAY_RADIUS_SCALE * r for r in VDW_RADII)
"""Sphere radii in Å for a ball-and-stick view, indexed by Z (H 0.24, C 0.34, O 0.30)."""

_Z_BY_SYMBOL = {symbol.lower(): z for z, symbol in enumerate(SYMBOLS) if z > 0}


def atomic_number(symbol: str) -> int:
    """Return Z for an element symbol (case-insensitive, surrounding blanks ignored).

    Raises ``KeyError`` with a one-line message for an unknown symbol.
    """
    try:
        return _Z_BY_SYMBOL[str(symbol).strip().lower()]
    except KeyError:
        raise KeyError(f"unknown element symbol {symbol!r} (known: H..Rn)") from None


def symbol(z: int) -> str:
    """Return the element symbol for atomic number ``z``; ``ValueError`` outside 1..86."""
    z = int(z)
    if not 1 <= z <= MAX_Z:
        raise ValueError(f"atomic number {z} is outside the supported range 1..{MAX_Z}")
    return SYMBOLS[z]


def formula(z: Iterable[int]) -> str:
    """Hill-order chemical formula of a list/array/tensor of atomic numbers.

    Hill order: with carbon present, C first, then H, then the rest alphabetically;
    without carbon, every element alphabetically. Counts of one are omitted
    (``formula([6, 1, 1, 1, 1]) == "CH4"``).
    """
    counts = Counter(symbol(int(v)) for v in z)
    if "C" in counts:
        order = ["C"] + (["H"] if "H" in counts else [])
        order += sorted(s for s in counts if s not in ("C", "H"))
    else:
        order = sorted(counts)
    return "".join(s if counts[s] == 1 else f"{s}{counts[s]}" for s in order)
