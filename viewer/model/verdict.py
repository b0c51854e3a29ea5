"""The one-line verdict on a model row: did g change the embeddings?

Shown in the readouts, in a badge inside each transformed model view (so it is part of every
screenshot) and in ``equiview render --json``. At the exact identity nothing can change, so the
verdict says so instead of claiming invariance.
"""

from __future__ import annotations

from dataclasses import dataclass

from equiview.viewer.model.snapshot import TransformParams

INVARIANT_TOLERANCE = 1e-4
"""Below this max |Δh| (or max |v(g·x) − R·v(x)|, Debye) a row is reported as invariant (equivariant)."""
RELATIVE_TOLERANCE = 1e-5
"""...or below this fraction of max |h(x)|: float32 rounding is relative, and the dipole model's features reach
~10³ (max |Δh| ~4e-4 there, 1e-7 of the features)."""


def invariance_tolerance(embedding_scale: float = 1.0) -> float:
    return max(INVARIANT_TOLERANCE, RELATIVE_TOLERANCE * embedding_scale)


VERDICT_COLOURS = {
    "changed": (0.76, 0.25, 0.05),  # warning orange (#c2410c)
    "invariant": (0.10, 0.50, 0.22),  # green (#1a7f37)
    "identity": (0.42, 0.45, 0.50),  # neutral grey (#6b7280)
}


def format_change(error: float) -> str:
    """``9.5e-07`` for tiny values, three significant digits otherwise, zeros kept (``0.600``, ``35.9``, ``123``).

    The one format of max|Δh| and max|v(g·x) − R·v(x)|: the badge in the view, the readouts and the titles agree.
    """
    return f"{error:.1e}" if error < 1e-2 else f"{error:#.3g}".rstrip(".")


@dataclass(frozen=True)
class Verdict:
    kind: str  # "changed" | "invariant" | "identity"
    max_error: float

    @property
    def text(self) -> str:
        if self.kind == "identity":
            return "identity: move a slider"
        if self.kind == "invariant":
            return f"invariant: {format_change(self.max_error)}"
        return f"changed: max|Δh| = {format_change(self.max_error)}"

    @property
    def colour(self) -> tuple[float, float, float]:
        return VERDICT_COLOURS[self.kind]

    @property
    def hex_colour(self) -> str:
        return "#" + "".join(f"{round(255 * c):02x}" for c in self.colour)


def verdict(max_error: float, transform: TransformParams, embedding_scale: float = 1.0) -> Verdict:
    """``identity`` at the exact identity, else ``invariant`` below :func:`invariance_tolerance`, else ``changed``."""
    if transform.is_identity:
        return Verdict("identity", float(max_error))
    invariant = max_error < invariance_tolerance(embedding_scale)
    return Verdict("invariant" if invariant else "changed", float(max_error))
