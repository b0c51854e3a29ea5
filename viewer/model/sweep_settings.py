"""Limits of a sweep (axes, angle counts, sphere resolution), their checks, and which state changes need a new
sweep, without importing torch.

The command line checks its options with these before it loads any data or model.
"""

from __future__ import annotations

import numpy as np

AXES: dict[str, tuple[float, float, float]] = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}
"""The spin axes a user can choose, as unit vectors of the fixed frame."""

MIN_STEPS, MAX_STEPS = 2, 720
"""How many angles a sweep may have (720 = every half degree)."""

DEFAULT_STEPS = 72
"""Every 5 degrees."""


def check_axis(axis: str) -> str:
    """``axis`` lower-cased if it is x, y or z; otherwise ``ValueError`` with a one-line message."""
    name = str(axis).strip().lower()
    if name not in AXES:
        raise ValueError(f"axis must be x, y or z; got {axis!r}")
    return name


def check_steps(steps: int, what: str = "steps") -> int:
    """``steps`` if it is an integer in ``MIN_STEPS..MAX_STEPS``; otherwise ``ValueError``."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not MIN_STEPS <= steps <= MAX_STEPS:
        raise ValueError(f"{what} must be an integer from {MIN_STEPS} to {MAX_STEPS}; got {steps!r}")
    return int(steps)


MIN_SPHERE, MAX_SPHERE = 2, 64
"""Latitude bands of the invariance sphere (an even number; twice as many longitude sectors)."""


def check_sphere_resolution(bands: int) -> int:
    if isinstance(bands, bool) or not isinstance(bands, (int, np.integer)):
        raise ValueError(f"sphere resolution must be an even integer from {MIN_SPHERE} to {MAX_SPHERE}; got {bands!r}")
    if not MIN_SPHERE <= bands <= MAX_SPHERE or bands % 2:
        raise ValueError(f"sphere resolution must be an even integer from {MIN_SPHERE} to {MAX_SPHERE}; got {bands}")
    return int(bands)


SWEEP_INPUTS = ("molecule", "structure", "rows", "sources", "projections", "layers")
"""The state fields a sweep depends on besides the pose: when one changes, the curves are of another sweep."""


def same_sweep_inputs(a, b) -> bool:
    """Whether two snapshots sweep the same molecule with the same model rows and projections (the pose aside)."""
    return all(getattr(a, name) == getattr(b, name) for name in SWEEP_INPUTS)
