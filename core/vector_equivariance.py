"""The vectors of a dipole model for one pose, and how far they are from turning with the molecule.

An E(3) element g acts on positions as x -> R x + t. A dipole is a polar vector: an equivariant model must give
v(g·x) = R v(x) for every rotation and reflection (det R = -1 included) and ignore t. The measured error is the
largest Euclidean length |v(g·x) - R v(x)| over the per-atom vectors and the molecule's vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from equiview.core.embeddings import transformed
from equiview.core.models.dipole import DipoleVectors, VectorModel
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


def rotate_vectors(vectors: Tensor, transform: E3Transform) -> Tensor:
    """R·v for row vectors ``[n, 3]`` (the translation does not act on a vector)."""
    rotation = transform.rotation.to(dtype=vectors.dtype, device=vectors.device)
    return vectors @ rotation.T


def largest_deviation(given: Tensor, expected: Tensor) -> float:
    """max over rows of |given - expected| (Euclidean), 0 for no rows."""
    if given.numel() == 0:
        return 0.0
    return float(torch.linalg.vector_norm(given - expected, dim=-1).max())


def compare_vectors(model: nn.Module, data: Data, transform: E3Transform) -> VectorComparison:
    """The model's vectors for ``data`` and for ``transform`` applied to it, with R·v(x) and the error."""
    original = model_vectors(model, data)
    moved = model_vectors(model, transformed(data, transform))
    expected_per_atom = rotate_vectors(original.per_atom, transform)
    expected_molecule = rotate_vectors(original.molecule, transform)
    error = max(
        largest_deviation(moved.per_atom, expected_per_atom),
        largest_deviation(moved.molecule, expected_molecule),
    )
    return VectorComparison(original, moved, expected_per_atom, expected_molecule, error)
