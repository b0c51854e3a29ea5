"""The model kinds equiview knows, their default hyperparameters and the untrained demo models."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from equiview.core.models.dipole import DipoleEGNN, NaiveDipoleGNN
from equiview.core.models.egnn import EquivariantGNN
from equiview.core.models.naive import NaiveEuclideanGNN

MODEL_KINDS = ("naive", "egnn", "naive-dipole", "dipole")

_CLASSES: dict[str, type[nn.Module]] = {
    "naive": NaiveEuclideanGNN,
    "egnn": EquivariantGNN,
    "naive-dipole": NaiveDipoleGNN,
    "dipole": DipoleEGNN,
}

# The viewer's rows: every kind belongs to the naive (raw coordinates) or the equivariant family.
FAMILIES = ("naive", "egnn")
FAMILY: dict[str, str] = {"naive": "naive", "egnn": "egnn", "naive-dipole": "naive", "dipole": "egnn"}
# Kinds whose output is a vector per molecule (``model.vectors(data)``), trained on its length.
VECTOR_KINDS = frozenset({"naive-dipole", "dipole"})
# The QM9 target each kind predicts unless trained otherwise: ⟨R²⟩ (5, the tutorial's) or the dipole moment (0).
DEFAULT_TARGETS: dict[str, int] = {"naive": 5, "egnn": 5, "naive-dipole": 0, "dipole": 0}
# The constructor argument that counts message-passing layers (``--layers``).
LAYERS_HPARAM: dict[str, str] = {
    "naive": "num_layers",
    "egnn": "num_mp_layers",
    "naive-dipole": "num_layers",
    "dipole": "num_mp_layers",
}

# The tutorial's training configuration (hidden 64; 4 GIN layers / 2 EGNN layers).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "naive": {"hidden_channels": 64, "num_layers": 4, "num_spatial_dims": 3, "final_embedding_size": None},
    "egnn": {"hidden_channels": 64, "num_mp_layers": 2, "final_embedding_size": None},
    "naive-dipole": {"hidden_channels": 64, "num_layers": 4, "num_spatial_dims": 3, "final_embedding_size": None},
    "dipole": {"hidden_channels": 64, "num_mp_layers": 3, "final_embedding_size": None, "atomic_dipoles": True},
}
# Hyperparameters accepted beyond the defaults (the EGNN can predict several targets at once).
_OPTIONAL: dict[str, dict[str, Any]] = {"naive": {}, "egnn": {"target_size": 1}, "naive-dipole": {}, "dipole": {}}

# The seed's untrained demo: 32 channels, 2 layers, a 1-D embedding to colour atoms with.
_DEMO: dict[str, dict[str, Any]] = {
    "naive": {"hidden_channels": 32, "num_layers": 2, "num_spatial_dims": 3, "final_embedding_size": 1},
    "egnn": {"hidden_channels": 32, "num_mp_layers": 2, "final_embedding_size": 1},
    "naive-dipole": {"hidden_channels": 32, "num_layers": 2, "num_spatial_dims": 3, "final_embedding_size": 1},
    "dipole": {"hidden_channels": 32, "num_mp_layers": 2, "final_embedding_size": 1, "atomic_dipoles": True},
}


def check_kind(kind: str) -> str:
    """Return ``kind`` if it is one of :data:`MODEL_KINDS`, else raise ``ValueError``."""
    if kind not in _CLASSES:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {', '.join(MODEL_KINDS)}")
    return kind


def default_hparams(kind: str) -> dict[str, Any]:
    """A fresh copy of the default hyperparameters of ``kind``."""
    return dict(_DEFAULTS[check_kind(kind)])


def model_class(kind: str) -> type[nn.Module]:
    """The ``nn.Module`` class that implements ``kind``."""
    return _CLASSES[check_kind(kind)]


def build_model(kind: str, **hparams: Any) -> nn.Module:
    """Build a freshly initialised model of ``kind``; ``hparams`` override :func:`default_hparams`.

    An unknown hyperparameter name raises ``ValueError`` naming it.
    """
    allowed = {**_DEFAULTS[check_kind(kind)], **_OPTIONAL[kind]}
    unknown = sorted(set(hparams) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {', '.join(unknown)} for model kind {kind!r}; "
            f"accepted: {', '.join(sorted(allowed))}"
        )
    return _CLASSES[kind](**{**_DEFAULTS[kind], **hparams})


def demo_hparams(kind: str) -> dict[str, Any]:
    """Hyperparameters of the seed's untrained demo model of ``kind``."""
    return dict(_DEMO[check_kind(kind)])


def demo_model(kind: str, seed: int = 0) -> nn.Module:
    """The seed's untrained demo model (hidden 32, 2 layers, 1-D final embedding), in eval mode.

    Weights are drawn after ``torch.manual_seed(seed)`` so a seed always gives the same model;
    the global random state is restored afterwards so callers are not affected.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(kind, **_DEMO[check_kind(kind)])
    return model.eval()
