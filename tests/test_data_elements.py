"""Periodic-table facts in core.elements."""

import pytest

from equiview.core.elements import (
    COVALENT_RADII,
    CPK_COLORS,
    DISPLAY_RADII,
    MAX_Z,
    SYMBOLS,
    VDW_RADII,
    atomic_number,
    formula,
    symbol,
)


def test_tables_are_indexed_by_atomic_number():
    assert SYMBOLS[1] == "H" and SYMBOLS[6] == "C" and SYMBOLS[8] == "O" and SYMBOLS[54] == "Xe"
    assert len(SYMBOLS) == len(COVALENT_RADII) == len(CPK_COLORS) == len(VDW_RADII) == len(DISPLAY_RADII) == MAX_Z + 1


def test_cordero_radii_of_qm9_elements():
    assert [COVALENT_RADII[z] for z in (1, 6, 7, 8, 9)] == [0.31, 0.76, 0.71, 0.66, 0.57]
    assert COVALENT_RADII[17] == 1.02 and COVALENT_RADII[35] == 1.20


def test_cpk_colours_are_unit_rgb():
    assert CPK_COLORS[1] == (1.0, 1.0, 1.0)
    assert CPK_COLORS[8] == pytest.approx((1.0, 13 / 255, 13 / 255))
    assert all(0.0 <= c <= 1.0 for rgb in CPK_COLORS for c in rgb)


def test_display_radii_keep_hydrogen_smallest_among_qm9_atoms():
    assert DISPLAY_RADII[1] < min(DISPLAY_RADII[z] for z in (6, 7, 8, 9))


def test_atomic_number_round_trips_and_rejects_unknown_symbols():
    assert all(atomic_number(SYMBOLS[z]) == z for z in range(1, MAX_Z + 1))
    assert atomic_number(" cl ") == 17
    with pytest.raises(KeyError, match="unknown element symbol 'Qq'"):
        atomic_number("Qq")
    with pytest.raises(ValueError, match="outside"):
        symbol(0)


@pytest.mark.parametrize(
    "z, expected",
    [
        ([6, 1, 1, 1, 1], "CH4"),
        ([6, 6, 8, 1, 1, 1, 1, 1, 1], "C2H6O"),
        ([7, 1, 1, 1], "H3N"),
        ([8, 6, 17, 1, 9], "CHClFO"),
        ([8, 1, 1], "H2O"),
    ],
)
def test_formula_uses_hill_order(z, expected):
    assert formula(z) == expected


def test_every_element_from_hydrogen_to_radon_has_a_symbol_colour_and_radii():
    """Checked against ASE's copies of the same sources (Cordero 2008 radii, Jmol colours)."""
    from ase.data import chemical_symbols, covalent_radii
    from ase.data.colors import jmol_colors

    assert MAX_Z == 86 and SYMBOLS[86] == "Rn" and symbol(86) == "Rn"
    high_spin = {25, 26, 27}  # Mn, Fe, Co: Cordero's high-spin radii (ASE lists the low-spin ones)
    for z in range(1, MAX_Z + 1):
        assert SYMBOLS[z] == chemical_symbols[z]
        assert CPK_COLORS[z] == pytest.approx(tuple(jmol_colors[z]), abs=1.5 / 255), SYMBOLS[z]
        if z not in high_spin:
            assert COVALENT_RADII[z] == pytest.approx(covalent_radii[z]), SYMBOLS[z]
        assert 0.2 <= DISPLAY_RADII[z] <= 0.6 and 0.2 < COVALENT_RADII[z] < 2.5
    with pytest.raises(ValueError, match="outside"):
        symbol(87)
