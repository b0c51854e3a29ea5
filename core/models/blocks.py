r"""What the model files share: input checks, the atom-type embedding, the sum readout and its MLP head.

Every model starts from :class:`AtomTypeEmbedding` (the tutorial's eq. (1), :math:`h_i^0 = \psi_0(z_i)`) and is a
:class:`GraphModel`: ``encode(data)`` gives per-atom features, ``forward(data)`` the graph-level prediction. A
*scalar* model (the naive GNN, the EGNN) sums its atom features per molecule and maps the sum with a small MLP
(:class:`SumReadoutModel`); a *vector* model (the dipole models, :mod:`equiview.core.models.dipole`) builds a
vector per molecule and predicts its length.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from torch_geometric.data import Data


# ---------------------------------------------------------------------------------------------- input checks
def require_attributes(data: object, model_name: str, *names: str) -> None:
    """Raise ``ValueError`` naming every attribute in ``names`` that ``data`` lacks (or holds as None)."""
    missing = [name for name in names if getattr(data, name, None) is None]
    if missing:
        raise ValueError(f"{model_name} needs graph attribute(s) {', '.join(missing)}, which the input lacks")


def check_positions(pos: Tensor, num_atoms: int, num_spatial_dims: int = 3) -> None:
    """Positions must be a float tensor ``[num_atoms, num_spatial_dims]``."""
    if pos.dim() != 2 or pos.size(0) != num_atoms or pos.size(1) != num_spatial_dims:
        raise ValueError(
            f"positions must have shape [{num_atoms}, {num_spatial_dims}] (one row per atom), got {list(pos.shape)}"
        )
    if not pos.dtype.is_floating_point:
        raise ValueError(f"positions must be a floating-point tensor, got dtype {pos.dtype}")


# ------------------------------------------------------------------------------------ tutorial eq. (1): h^0
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


# ------------------------------------------------------------------------------------------- the readout
def sum_pool(x: Tensor, batch: Tensor | None = None) -> Tensor:
    """Sum of the rows of ``x`` per graph (``batch`` assigns rows to graphs; None: one graph).

    What ``torch_geometric.nn.aggr.SumAggregation()(x, batch)`` computes, the same way.
    """
    if batch is None:
        batch = x.new_zeros(x.size(0), dtype=torch.long)
    size = int(batch.max()) + 1 if batch.numel() > 0 else 0
    index = batch.view(-1, 1).expand_as(x)
    return x.new_zeros((size, x.size(1))).scatter_add_(0, index, x)


class SumPool(nn.Module):
    """:func:`sum_pool` as a module (no parameters), where the models used ``SumAggregation``."""

    def forward(self, x: Tensor, batch: Tensor | None = None) -> Tensor:
        return sum_pool(x, batch)


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


class GraphModel(nn.Module, ABC):
    """A model of one molecule or a batch of molecules: ``encode(data)`` -> ``[num_atoms, d]``,
    ``forward(data)`` -> ``[num_graphs, target_size]``."""

    @abstractmethod
    def encode(self, data: Data) -> Tensor:
        """Per-atom features ``[num_atoms, d]``."""


class SumReadoutModel(GraphModel):
    r"""A scalar model: the atom features of each molecule are summed, then mapped by ``f_predict``:

    .. math::

        \hat y = f_{\mathrm{predict}}\Big(\sum_{i} h_i^L\Big)

    Subclasses call :meth:`_add_readout` last in ``__init__`` (so the state_dict keys keep the tutorial's order:
    ``f_predict.0.*``, ``f_predict.2.*`` after the encoder's).
    """

    def _add_readout(self, embedding_size: int, target_size: int, act: nn.Module) -> None:
        self.aggregation = SumPool()
        self.f_predict = PredictionHead(embedding_size, target_size, act)

    def readout(self, node_embed: Tensor, batch_index: Tensor | None = None) -> Tensor:
        """Sum the atom features of each molecule (all atoms when ``batch_index`` is None), then f_predict."""
        return self.f_predict(self.aggregation(node_embed, batch_index))

    def forward(self, data: Data) -> Tensor:
        """Graph-level predictions ``[num_graphs, target_size]`` (normalised units if trained so)."""
        return self.readout(self.encode(data), getattr(data, "batch", None))
