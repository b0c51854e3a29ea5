"""The model kinds of the demo and how to build them.

``NaiveEuclideanGNN`` feeds raw coordinates to a GIN (not invariant); ``EquivariantGNN`` is the E(3)-invariant
EGNN of Satorras et al. (2021) without the coordinate update. The dipole kinds predict a vector per molecule:
``DipoleEGNN`` (the full EGNN with the coordinate update, equivariant) and ``NaiveDipoleGNN`` (not).
"""

from equiview.core.models.aggregation import active_backend, scatter_sum, set_backend
from equiview.core.models.blocks import GraphModel, SumReadoutModel
from equiview.core.models.dipole import DipoleEGNN, DipoleVectors, NaiveDipoleGNN, VectorModel
from equiview.core.models.egnn import EquivariantCoordinateLayer, EquivariantGNN, EquivariantMPLayer
from equiview.core.models.naive import NaiveEuclideanGNN
from equiview.core.models.registry import (
    FAMILIES,
    FAMILY,
    MODEL_KINDS,
    VECTOR_KINDS,
    build_model,
    default_hparams,
    demo_hparams,
    demo_model,
    model_class,
)

__all__ = [
    "FAMILIES",
    "FAMILY",
    "MODEL_KINDS",
    "VECTOR_KINDS",
    "DipoleEGNN",
    "DipoleVectors",
    "EquivariantCoordinateLayer",
    "EquivariantGNN",
    "EquivariantMPLayer",
    "GraphModel",
    "NaiveDipoleGNN",
    "NaiveEuclideanGNN",
    "SumReadoutModel",
    "VectorModel",
    "active_backend",
    "build_model",
    "default_hparams",
    "demo_hparams",
    "demo_model",
    "model_class",
    "scatter_sum",
    "set_backend",
]
