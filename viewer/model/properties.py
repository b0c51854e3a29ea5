"""QM9 properties as a student reads them: symbol and name with the unit (μ dipole moment (D))."""

from __future__ import annotations

from equiview.core.data.targets import Target

TARGET_SYMBOLS = {
    "mu": "μ",
    "alpha": "α",
    "homo": "ε_HOMO",
    "lumo": "ε_LUMO",
    "gap": "Δε",
    "r2": "⟨R²⟩",
    "zpve": "ZPVE",
    "U0": "U₀",
    "U": "U",
    "H": "H",
    "G": "G",
    "cv": "c_v",
    "U0_atom": "U₀",
    "U_atom": "U",
    "H_atom": "H",
    "G_atom": "G",
    "A": "A",
    "B": "B",
    "C": "C",
}


def symbol(target: Target) -> str:
    return TARGET_SYMBOLS.get(target.name, target.name)


def property_name(target: Target) -> str:
    """``μ dipole moment``, ``⟨R²⟩ electronic spatial extent``: the symbol, then the description without it."""
    sign = symbol(target)
    description = target.description.replace(sign, "").strip()
    return f"{sign} {description}" if description else sign


def property_label(target: Target) -> str:
    """``μ dipole moment (D)``."""
    return f"{property_name(target)} ({target.unit})"
