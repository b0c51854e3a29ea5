"""The 19 QM9 regression targets in PyTorch Geometric's order and units.

``y[:, k]`` of every molecule follows this table, which mirrors
``torch_geometric.datasets.QM9``: energies are in eV (Hartree × 27.211386246),
⟨R²⟩ in a0², the dipole moment in Debye. Columns 12-15 are atomization energies:
the total energy minus QM9's reference energies of the free atoms.
"""

from __future__ import annotations

from typing import NamedTuple

HARTREE_TO_EV = 27.211386246
"""CODATA 2018 value, the one PyG uses (``HAR2EV``)."""


class Target(NamedTuple):
    """One QM9 property: short name, unit and a human description."""

    name: str
    unit: str
    description: str
    symbol: str  # as a student reads it (⟨R²⟩, μ); ``name`` is the short key for the command line and files


TARGETS: tuple[Target, ...] = (
    Target("mu", "D", "dipole moment", "μ"),
    Target("alpha", "a0³", "isotropic polarizability", "α"),
    Target("homo", "eV", "HOMO energy", "ε_HOMO"),
    Target("lumo", "eV", "LUMO energy", "ε_LUMO"),
    Target("gap", "eV", "HOMO-LUMO gap", "Δε"),
    Target("r2", "a0²", "electronic spatial extent ⟨R²⟩", "⟨R²⟩"),
    Target("zpve", "eV", "zero-point vibrational energy", "ZPVE"),
    Target("U0", "eV", "internal energy at 0 K", "U₀"),
    Target("U", "eV", "internal energy at 298.15 K", "U"),
    Target("H", "eV", "enthalpy at 298.15 K", "H"),
    Target("G", "eV", "free energy at 298.15 K", "G"),
    Target("cv", "cal/mol·K", "heat capacity at 298.15 K", "c_v"),
    Target("U0_atom", "eV", "atomization energy at 0 K", "U₀"),
    Target("U_atom", "eV", "atomization energy at 298.15 K", "U"),
    Target("H_atom", "eV", "atomization enthalpy at 298.15 K", "H"),
    Target("G_atom", "eV", "atomization free energy at 298.15 K", "G"),
    Target("A", "GHz", "rotational constant A", "A"),
    Target("B", "GHz", "rotational constant B", "B"),
    Target("C", "GHz", "rotational constant C", "C"),
)

NUM_TARGETS = len(TARGETS)
DEFAULT_TARGET = 5
"""⟨R²⟩, the tutorial's target."""

# QM9's energies of the isolated atoms (Hartree) for U0, U, H, G, keyed by Z; the
# atomization energy of a molecule is its total energy minus the sum over its atoms.
ATOM_REFERENCE_HARTREE: dict[int, tuple[float, float, float, float]] = {
    1: (-0.500273, -0.498857, -0.497912, -0.510927),
    6: (-37.846772, -37.845355, -37.844411, -37.861317),
    7: (-54.583861, -54.582445, -54.581501, -54.598897),
    8: (-75.064579, -75.063163, -75.062219, -75.079532),
    9: (-99.718730, -99.717314, -99.716370, -99.733544),
}


def target_index(name_or_index: int | str) -> int:
    """Column of a target given its index (0..18) or name (``"r2"``, ``"gap"``, case-insensitive).

    Raises ``KeyError`` with a one-line message for anything else.
    """
    if isinstance(name_or_index, str) and not name_or_index.strip().lstrip("-").isdigit():
        wanted = name_or_index.strip().lower()
        for k, target in enumerate(TARGETS):
            if target.name.lower() == wanted:
                return k
        names = ", ".join(t.name for t in TARGETS)
        raise KeyError(f"unknown QM9 target {name_or_index!r} (known: {names})")
    k = int(name_or_index)
    if not 0 <= k < NUM_TARGETS:
        raise KeyError(f"QM9 target index {k} is outside 0..{NUM_TARGETS - 1}")
    return k
