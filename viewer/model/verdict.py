"""The one-line verdict on a model row: did g change the embeddings?

Shown in the readouts, in a badge inside each transformed model view (so it is part of every
screenshot) and in ``equiview render --json``. At the exact identity nothing can change, so the
verdict says so instead of claiming invariance. The threshold is the engine's (:mod:`equiview.core.equivariance`).
"""

from __future__ import annotations

from dataclasses import dataclass

from equiview.viewer.model.snapshot import TransformParams


def within_tolerance(error: float, scale: float) -> bool:
    """The engine's one tolerance policy (:mod:`equiview.core.equivariance`, float32: the viewer runs the models
    in float32): ``error <= 1e-4 + 1e-5 * scale``, scale = max |h(x)| or max |v(x)|."""
    from equiview.core.tolerance import passes  # torch-free: the first frame comes before PyTorch

    return passes(error, scale, "float32")


VERDICT_COLOURS = {
    "changed": (0.76, 0.25, 0.05),  # warning orange (#c2410c)
    "invariant": (0.10, 0.50, 0.22),  # green (#1a7f37)
    "equivariant": (0.10, 0.50, 0.22),
    "identity": (0.42, 0.45, 0.50),  # neutral grey (#6b7280)
}


def format_change(error: float) -> str:
    """``9.5e-07`` for tiny values, three significant digits otherwise, zeros kept (``0.600``, ``35.9``, ``123``).

    The one format of max|Δh| and max|v(g·x) − R·v(x)|: the badge in the view, the readouts and the titles agree.
    """
    return f"{error:.1e}" if error < 1e-2 else f"{error:#.3g}".rstrip(".")


@dataclass(frozen=True)
class Verdict:
    """``kind`` "changed" | "invariant" | "equivariant" (features and vectors pass) | "identity"; ``max_error`` is
    max|Δh|, ``vector_error`` max|v(g·x) − s(R) R v(x)| for a model with vectors."""

    kind: str
    max_error: float
    vector_error: float | None = None
    vectors_failed: bool = False
    failed_block: tuple[str, float] | None = None  # an irreps output's first failing block: (irrep "1o", its error)
    zero_output: bool = False  # every output of x is 0: equal in every pose, so "invariant" shows nothing

    @property
    def text(self) -> str:
        if self.kind == "identity":
            return "identity: move a slider"
        if self.kind in ("invariant", "equivariant") and self.zero_output:
            return f"{self.kind}, but the output is 0 on every atom: nothing to compare"
        if self.kind in ("invariant", "equivariant"):
            return f"{self.kind}: {format_change(self.max_error)}"
        if self.failed_block is not None:
            label, error = self.failed_block
            return f"changed: {label} block max|h(g·x) − D(g)·h(x)| = {format_change(error)}"
        if self.vectors_failed and self.vector_error is not None:
            return f"changed: max|v(g·x) − R·v(x)| = {format_change(self.vector_error)}"
        return f"changed: max|Δh| = {format_change(self.max_error)}"

    @property
    def colour(self) -> tuple[float, float, float]:
        return VERDICT_COLOURS["identity" if self.zero_output else self.kind]  # no green for an empty proof

    @property
    def hex_colour(self) -> str:
        return "#" + "".join(f"{round(255 * c):02x}" for c in self.colour)


def verdict(
    max_error: float,
    transform: TransformParams,
    embedding_scale: float = 1.0,
    vector_error: float | None = None,
    vector_scale: float = 0.0,
    blocks: dict[str, tuple[float, bool]] | None = None,
) -> Verdict:
    """``identity`` at the exact identity; else ``changed`` when max|Δh| (or, for a model with vectors, max|v(g·x) −
    s(R) R v(x)|) is beyond the engine's tolerance for outputs of that size; else ``equivariant`` (with vectors) or
    ``invariant``. ``blocks`` (an irreps output: per irrep type its error and whether it passes) must pass too, and
    the first failing one is named. NaN is ``changed``."""
    if transform.is_identity:
        return Verdict("identity", float(max_error), vector_error)
    features_pass = within_tolerance(max_error, embedding_scale)
    vectors_pass = vector_error is None or within_tolerance(vector_error, vector_scale)
    if not features_pass or not vectors_pass:
        return Verdict("changed", float(max_error), vector_error, vectors_failed=features_pass)
    failed = next(((label, error) for label, (error, ok) in (blocks or {}).items() if not ok), None)
    if failed is not None:
        return Verdict("changed", float(max_error), vector_error, failed_block=failed)
    kind = "equivariant" if vector_error is not None or blocks else "invariant"
    zero = embedding_scale == 0 and (vector_error is None or vector_scale == 0)
    return Verdict(kind, float(max_error), vector_error, zero_output=zero)
