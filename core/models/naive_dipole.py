"""The naive counterpart of the dipole model: a 3-vector per atom read straight off the naive GNN's features."""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import Tensor, nn

from equiview.core.models.aggregation import scatter_sum
from equiview.core.models.naive import NaiveEncoder
from equiview.core.models.readout import PredictionHead
from equiview.core.models.vectors import DipoleVectors, VectorModel, graph_index

if TYPE_CHECKING:
    from torch_geometric.data import Data


class NaiveDipoleGNN(NaiveEncoder, VectorModel):
    r"""The naive GNN's per-atom features (raw coordinates in) mapped to a vector per atom, summed per molecule:

    .. math::

        v_i = f_{\mathrm{vec}}(h_i), \qquad \mu = \sum_i v_i

    :math:`f_{\mathrm{vec}}` is an MLP to three numbers taken as x, y, z (Debye). Nothing ties those numbers to
    the molecule's axes: turning the molecule changes :math:`h_i` instead of turning :math:`v_i`, so
    :math:`\mu(g\cdot x) \neq R\,\mu(x)` in general. Trained, like the dipole model, on :math:`|\mu|`.

    Args: those of :class:`~equiview.core.models.naive.NaiveEuclideanGNN`.
    """

    def _add_head(self) -> None:
        self.f_vector = PredictionHead(self.final_embedding_size, 3, nn.ReLU())

    def encode_with_vectors(self, data: Data) -> tuple[Tensor, DipoleVectors]:
        """Per-atom features, vectors ``[num_atoms, 3]`` and their sum per molecule ``[num_graphs, 3]`` (Debye)."""
        node_embed = self.encode(data)
        per_atom = self.f_vector(node_embed)
        batch, num_graphs = graph_index(data, node_embed.size(0))
        return node_embed, DipoleVectors(per_atom, scatter_sum(per_atom, batch, num_graphs))
