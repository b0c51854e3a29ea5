"""The vectors of a dipole model for one pose, and how far they are from turning with the molecule.

An E(3) element g acts on positions as x -> R x + t. A dipole is a polar vector: an equivariant model must give
v(g·x) = R v(x) for every rotation and reflection (det R = -1 included) and ignore t. The measured error is the
largest Euclidean length |v(g·x) - R v(x)| over the per-atom vectors and the molecule's vector, computed by the
engine (:mod:`equiview.core.equivariance`), which also knows pseudo-vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from equiview.core.embeddings import transformed
from equiview.core.equivariance import Poses, expected_vectors, vector_errors
from equiview.core.models.vectors import DipoleVectors, VectorModel
from equiview.core.transforms import E3Transform

if TYPE_CHECKING:
    from torch_geometric.data import Data


@dataclass(frozen=True)
class VectorComparison:
    """A vector model's output before and after ``g``, and what an equivariant model must give after it.

    ``expected_per_atom`` / ``expected_molecule`` are R·v(x) (the viewer's ghost arrows); ``max_error`` is
    max |v(g·x) - R·v(x)| over atoms and the molecule vector (Debye).
    """

    original: DipoleVectors
    transformed: DipoleVectors
    expected_per_atom: Tensor
    expected_molecule: Tensor
    max_error: float


def is_vector_model(model: nn.Module) -> bool:
    """True for the models whose output is a vector per molecule (the dipole kinds)."""
    return isinstance(model, VectorModel)


def _require_vector_model(model: nn.Module) -> VectorModel:
    if not is_vector_model(model):
        raise TypeError(f"{type(model).__name__} predicts no vectors; expected a dipole model")
    return model  # type: ignore[return-value]


def model_features_and_vectors(model: nn.Module, data: Data) -> tuple[Tensor, DipoleVectors]:
    """The model's per-atom features and vectors for ``data`` from one forward pass (no gradients; the caller's
    train/eval mode is restored)."""
    vector_model = _require_vector_model(model)
    was_training = vector_model.training
    vector_model.eval()
    try:
        with torch.no_grad():
            return vector_model.encode_with_vectors(data)
    finally:
        vector_model.train(was_training)


def model_vectors(model: nn.Module, data: Data) -> DipoleVectors:
    """The model's vectors for ``data`` (no gradients; the caller's train/eval mode is restored)."""
    return model_features_and_vectors(model, data)[1]


def compare_vectors(model: nn.Module, data: Data, transform: E3Transform) -> VectorComparison:
    """The model's vectors for ``data`` and for ``transform`` applied to it, with R·v(x) and the error (the engine's
    :func:`~equiview.core.equivariance.vector_errors` over the atoms' vectors and the molecule's, one row more)."""
    original = model_vectors(model, data)
    moved = model_vectors(model, transformed(data, transform))
    pose = Poses.of([transform])
    rows = torch.cat((original.per_atom, original.molecule))
    moved_rows = torch.cat((moved.per_atom, moved.molecule))
    expected = expected_vectors(rows, pose)[0]
    error = float(vector_errors(rows, moved_rows[None], pose)[0])
    n = original.per_atom.shape[0]
    return VectorComparison(original, moved, expected[:n], expected[n:], error)
