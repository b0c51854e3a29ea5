"""The small MLP heads: the scalar models' readout after the sum over atoms, the dipole models' per-atom heads."""

from __future__ import annotations

from torch import nn


class PredictionHead(nn.Sequential):
    """f_predict: Linear(d, d) -> activation -> Linear(d, target_size), applied to the summed
    atom embeddings of each molecule. A ``Sequential`` so the keys are ``f_predict.0.*`` and
    ``f_predict.2.*`` as in the tutorial."""

    def __init__(self, embedding_size: int, target_size: int, act: nn.Module) -> None:
        super().__init__(
            nn.Linear(embedding_size, embedding_size),
            act,
            nn.Linear(embedding_size, target_size),
        )


def final_embedding_width(final_embedding_size: int | None, hidden_channels: int) -> int:
    """Width of the atom embeddings the readout sums: ``final_embedding_size``, by default ``hidden_channels``."""
    width = hidden_channels if final_embedding_size is None else final_embedding_size
    if width < 1:
        raise ValueError(f"final_embedding_size must be >= 1, got {width}")
    return width
