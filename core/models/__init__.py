"""The two models of the demo and how to build them.

``NaiveEuclideanGNN`` feeds raw coordinates to a GIN (not invariant); ``EquivariantGNN`` is the
E(3)-invariant EGNN of Satorras et al. (2021) without the coordinate update.
"""

from core.models.aggregation import active_backend, scatter_sum, set_backend
from core.models.egnn import EquivariantGNN, EquivariantMPLayer
from core.models.naive import NaiveEuclideanGNN
from core.models.registry import (
    MODEL_KINDS,
    build_model,
    default_hparams,
    demo_hparams,
    demo_model,
    model_class,
)

__all__ = [
    "MODEL_KINDS",
    "EquivariantGNN",
    "EquivariantMPLayer",
    "NaiveEuclideanGNN",
    "active_backend",
    "build_model",
    "default_hparams",
    "demo_hparams",
    "demo_model",
    "model_class",
    "scatter_sum",
    "set_backend",
]
