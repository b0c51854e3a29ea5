"""The initial node embedding h_i^0 = psi_0(z_i): the tutorial's eq. (1) (the paper's input features h^0)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

# The tutorial's lookup table has one row per atomic number 0..99.
NUM_ATOM_TYPES = 100


class AtomTypeEmbedding(nn.Embedding):
    r"""The tutorial's eq. (1), a learnable vector per atomic number:

    .. math::

        h_i^0 = \psi_0(z_i) \qquad (1)

    A plain ``nn.Embedding`` (so its state_dict key stays ``<name>.weight``) that rejects
    atomic numbers outside the table with a clear message instead of an index error.
    """

    def __init__(self, embedding_size: int, num_atom_types: int = NUM_ATOM_TYPES) -> None:
        super().__init__(num_atom_types, embedding_size)

    def forward(self, z: Tensor) -> Tensor:
        if z.dtype.is_floating_point or z.dtype == torch.bool:
            raise ValueError(f"atomic numbers z must be an integer tensor, got dtype {z.dtype}")
        if z.numel() and (int(z.min()) < 0 or int(z.max()) >= self.num_embeddings):
            raise ValueError(
                f"atomic numbers must lie in 0..{self.num_embeddings - 1}, got {int(z.min())}..{int(z.max())}"
            )
        return super().forward(z)
