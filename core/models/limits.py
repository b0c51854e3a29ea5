"""Upper bounds on model hyperparameters, checked before any model is built from a file or an option.

A checkpoint is untrusted input: a few kilobytes can claim ``num_mp_layers=10**7`` or ``hidden_channels=10**9``
and make :func:`~equiview.core.models.registry.build_model` allocate gigabytes. :func:`check_hparams` refuses such values
first. The bounds are generous for QM9-sized models (the tutorial trains hidden 64 with 2 or 4 layers); the
largest allowed EGNN has about 25 million parameters (100 MB).

Adding a model kind means adding its row to :data:`HPARAM_BOUNDS`; a kind without a row cannot be loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from equiview.core.bounds import MAX_HIDDEN, MAX_LAYERS

MAX_TARGETS = 19
"""Most predicted values per molecule: QM9 has 19 targets."""


class Bound:
    """An integer in ``low..high``, or also None when ``optional``."""

    def __init__(self, low: int, high: int, optional: bool = False) -> None:
        self.low, self.high, self.optional = low, high, optional

    def problem(self, value: Any) -> str:
        """'' when ``value`` is acceptable, else what is wrong with it."""
        if value is None and self.optional:
            return ""
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be an integer{' or None' if self.optional else ''}, got {value!r:.40}"
        if not self.low <= value <= self.high:
            return f"must lie in {self.low}..{self.high}, got {value}"
        return ""


class Flag:
    """A boolean switch (no size to bound, but it must be a real bool)."""

    def problem(self, value: Any) -> str:
        return "" if isinstance(value, bool) else f"must be true or false, got {value!r:.40}"


WIDTH = Bound(1, MAX_HIDDEN)
DEPTH = Bound(1, MAX_LAYERS)
EMBEDDING = Bound(1, MAX_HIDDEN, optional=True)

HPARAM_BOUNDS: dict[str, dict[str, Bound | Flag]] = {
    "naive": {
        "hidden_channels": WIDTH,
        "num_layers": DEPTH,
        "num_spatial_dims": Bound(1, 3),
        "final_embedding_size": EMBEDDING,
    },
    "egnn": {
        "hidden_channels": WIDTH,
        "num_mp_layers": DEPTH,
        "final_embedding_size": EMBEDDING,
        "target_size": Bound(1, MAX_TARGETS),
    },
    "naive-dipole": {
        "hidden_channels": WIDTH,
        "num_layers": DEPTH,
        "num_spatial_dims": Bound(3, 3),
        "final_embedding_size": EMBEDDING,
    },
    "dipole": {
        "hidden_channels": WIDTH,
        "num_mp_layers": DEPTH,
        "final_embedding_size": EMBEDDING,
        "atomic_dipoles": Flag(),
    },
}
"""Every hyperparameter each model kind accepts, with its bounds."""


def check_hparams(kind: str, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """``hparams`` as a plain dict if every value is within :data:`HPARAM_BOUNDS`; ``ValueError`` (one line) if not."""
    bounds = HPARAM_BOUNDS.get(kind)
    if bounds is None:
        raise ValueError(f"no hyperparameter bounds are known for model kind {kind!r}")
    unknown = sorted(str(name) for name in hparams if name not in bounds)
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {', '.join(unknown)[:200]} for model kind {kind!r}; "
            f"accepted: {', '.join(bounds)}"
        )
    for name, value in hparams.items():
        problem = bounds[name].problem(value)
        if problem:
            raise ValueError(f"hyperparameter {name} {problem}")
    return dict(hparams)
