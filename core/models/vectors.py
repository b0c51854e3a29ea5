"""What the two dipole models share: the vectors they return and ``forward`` = the dipole's length."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from equiview.core.models.aggregation import scatter_sum
from equiview.core.models.base import GraphModel

if TYPE_CHECKING:
    from torch_geometric.data import Data

# 1 e·Å in Debye (e = 1.602176634e-19 C, 1 D = 3.33564e-30 C·m): QM9 lists dipole moments in Debye.
DEBYE_PER_E_ANGSTROM = 4.80320
# keeps the gradient of |mu| finite for a molecule whose predicted dipole is exactly zero
_NORM_EPSILON = 1e-12


@dataclass(frozen=True)
class DipoleVectors:
    """A vector model's output: per-atom vectors ``[n, 3]``, their sum per molecule ``[B, 3]`` (Debye)
    and, for a charge model, the per-atom charges ``[n]`` in e (None otherwise)."""

    per_atom: Tensor
    molecule: Tensor
    charges: Tensor | None = None


def graph_index(data: Data, num_atoms: int) -> tuple[Tensor, int]:
    """The atom-to-molecule vector of ``data`` and the molecule count (one molecule without ``batch``)."""
    batch = getattr(data, "batch", None)
    if batch is None:
        return torch.zeros(num_atoms, dtype=torch.long, device=data.z.device), 1
    num_graphs = getattr(data, "num_graphs", None)
    return batch, int(num_graphs) if num_graphs is not None else int(batch.max()) + 1 if num_atoms else 0


def per_graph_mean(values: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """The mean of ``values`` over each molecule's atoms, broadcast back to the atoms (``[n, c]``)."""
    sums = scatter_sum(values, batch, num_graphs)
    counts = scatter_sum(values.new_ones(values.size(0), 1), batch, num_graphs).clamp(min=1)
    return (sums / counts).index_select(0, batch)


class VectorModel(GraphModel):
    r"""A model whose output is a vector per molecule (a dipole, in Debye), trained on its length:

    .. math::

        \hat y = |\mu| = \Big|\sum_i v_i\Big|

    Subclasses implement ``encode(data)`` (per-atom features) and ``encode_with_vectors(data)`` (the features and
    the :class:`DipoleVectors` from one forward pass); ``forward`` is the length, ``[num_graphs, 1]``.
    """

    @abstractmethod
    def encode_with_vectors(self, data: Data) -> tuple[Tensor, DipoleVectors]:
        """Per-atom features and the per-atom and per-molecule vectors (Debye), from one forward pass."""

    def vectors(self, data: Data) -> DipoleVectors:
        """Per-atom and per-molecule vectors (Debye)."""
        return self.encode_with_vectors(data)[1]

    def forward(self, data: Data) -> Tensor:
        """:math:`|\\mu|` per molecule, ``[num_graphs, 1]`` (Debye)."""
        molecule = self.vectors(data).molecule
        return (molecule.pow(2).sum(dim=1, keepdim=True) + _NORM_EPSILON).sqrt()
