"""What every model kind shares: ``encode`` gives per-atom features, ``forward`` the graph-level prediction.

Two readouts exist. A *scalar* model (the naive GNN, the EGNN) sums its atom features per molecule and maps the
sum with a small MLP (:class:`SumReadoutModel`); a *vector* model (the dipole kinds,
:class:`~equiview.core.models.vectors.VectorModel`) builds a vector per molecule and predicts its length.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from torch import Tensor, nn

from equiview.core.models.gin import SumPool
from equiview.core.models.readout import PredictionHead

if TYPE_CHECKING:
    from torch_geometric.data import Data


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
