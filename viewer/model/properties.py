"""QM9 properties as a student reads them: symbol and name with the unit (μ dipole moment (D))."""

from __future__ import annotations

from equiview.core.data.targets import Target


def symbol(target: Target) -> str:
    return target.symbol


def property_name(target: Target) -> str:
    """``μ dipole moment``, ``⟨R²⟩ electronic spatial extent``: the symbol, then the description without it."""
    sign = symbol(target)
    description = target.description.replace(sign, "").strip()
    return f"{sign} {description}" if description else sign


def property_label(target: Target) -> str:
    """``μ dipole moment (D)``."""
    return f"{property_name(target)} ({target.unit})"
