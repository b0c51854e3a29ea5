"""Graph-level readout shared by both models: sum the atom embeddings, then a small MLP."""

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
