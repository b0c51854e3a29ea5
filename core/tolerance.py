"""The one tolerance policy of equiview's verdicts, torch-free (``--help`` and the viewer's first frame need no PyTorch).

An error passes when ``error <= absolute + relative * scale``, where ``scale`` is the largest |h(x)| (features) or
|v(x)| (vectors) of the original pose: floating-point rounding is relative to the size of the numbers. The
precision the model ran in picks the pair. :mod:`equiview.core.equivariance` computes the errors; docs/verdicts.md
explains the policy.
"""

from __future__ import annotations

from dataclasses import dataclass

DTYPE_NAMES = ("float32", "float64")
"""The precisions a model can be run in (``--dtype``)."""
DEFAULT_DTYPE = "float32"


@dataclass(frozen=True)
class Tolerance:
    """``error`` passes when ``error <= absolute + relative * scale`` (NaN never passes)."""

    absolute: float
    relative: float

    def bound(self, scale: float) -> float:
        """The largest error that passes for outputs of size ``scale`` (max |h(x)| or max |v(x)|)."""
        return self.absolute + self.relative * abs(float(scale))

    def accepts(self, error: float, scale: float) -> bool:
        return bool(float(error) <= self.bound(scale))  # False for NaN


TOLERANCES: dict[str, Tolerance] = {
    "float32": Tolerance(absolute=1e-4, relative=1e-5),
    "float64": Tolerance(absolute=1e-9, relative=1e-12),
}
"""The one tolerance policy, per precision the model ran in."""

TOLERANCE_TEXT = (
    "a row is invariant (features) or equivariant (vectors) when every error <= absolute + relative x scale, "
    "scale = the largest |h(x)| or |v(x)|; float32: 1e-4 + 1e-5 x scale, float64: 1e-9 + 1e-12 x scale"
)
"""The policy in one sentence, for ``--help`` (docs/verdicts.md explains it)."""


def passes(error: float, scale: float, dtype: str = DEFAULT_DTYPE) -> bool:
    """One error judged by :data:`TOLERANCES` for the precision ``dtype`` ("float32" or "float64")."""
    return TOLERANCES[dtype].accepts(error, scale)
