"""Per-atom embeddings of a model for one pose, and the comparison of two poses of a molecule."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from equiview.core.equivariance import feature_errors
from equiview.core.transforms import E3Transform

if TYPE_CHECKING:  # only for annotations: using a model must not import PyG (seconds)
    from torch_geometric.data import Data


@dataclass(frozen=True)
class PoseComparison:
    """A model's outputs for a molecule before and after an E(3) transform.

    ``max_error`` is max |h(g·x) - h(x)| over all atoms and channels; ``prediction_error`` the
    same for the graph-level prediction (both by the engine, :func:`equiview.core.equivariance.feature_errors`).
    Both are 0 (up to rounding) for an invariant model.
    """

    h_original: Tensor
    h_transformed: Tensor
    prediction_original: Tensor
    prediction_transformed: Tensor
    max_error: float
    prediction_error: float


def _run_in_eval_mode(model: nn.Module, fn):
    if not model.training:  # the viewer's case: skip walking the module tree every slider step
        with torch.no_grad():
            return fn()
    # Restore the caller's mode afterwards: encode() may be called in the middle of training.
    model.eval()
    try:
        with torch.no_grad():
            return fn()
    finally:
        model.train()


def _model_method(model: nn.Module, name: str, signature: str):
    """``model.<name>``, or a ``TypeError`` saying the model is not one of equiview's."""
    method = getattr(model, name, None)
    if method is None:
        raise TypeError(f"{type(model).__name__} has no {signature} method; expected an equiview model")
    return method


def _encoder(model: nn.Module):
    return _model_method(model, "encode", "encode(data)")


def encode(model: nn.Module, data: Data) -> Tensor:
    """Per-atom embeddings ``[num_atoms, d]`` of ``data`` (no gradients, eval mode)."""
    encoder = _encoder(model)
    return _run_in_eval_mode(model, lambda: encoder(data))


def predict(model: nn.Module, data: Data) -> Tensor:
    """Graph-level prediction ``[num_graphs, target_size]`` (no gradients, eval mode), in model units."""
    return _run_in_eval_mode(model, lambda: model(data))


def transformed(data: Data, transform: E3Transform) -> Data:
    """A shallow copy of ``data`` whose positions are moved by ``transform``.

    Only ``pos`` is replaced; atom types and edge indices are shared with ``data`` (they do not
    change under E(3)), which keeps this cheap enough for every slider step.
    """
    moved = copy.copy(data)  # PyG's shallow copy: new attribute store, same tensors, same class (Batch stays Batch)
    moved.pos = transform.apply(data.pos)
    return moved


def compare_poses(model: nn.Module, data: Data, transform: E3Transform) -> PoseComparison:
    """Encode and predict ``data`` and ``transform`` applied to it, and measure the difference."""
    moved = transformed(data, transform)
    encoder = _encoder(model)

    readout = getattr(model, "readout", None)

    def run():
        h0, h1 = encoder(data), encoder(moved)
        if readout is None:  # a model without a separate readout: run it twice more
            return h0, h1, model(data), model(moved)
        batch = getattr(data, "batch", None)
        return h0, h1, readout(h0, batch), readout(h1, batch)

    h0, h1, p0, p1 = _run_in_eval_mode(model, run)
    return PoseComparison(
        h_original=h0,
        h_transformed=h1,
        prediction_original=p0,
        prediction_transformed=p1,
        max_error=float(feature_errors(h0, h1[None])[0]),
        prediction_error=float(feature_errors(p0, p1[None])[0]),
    )
