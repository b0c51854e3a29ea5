r"""The two dipole models: the equivariant :class:`DipoleEGNN` and its naive counterpart :class:`NaiveDipoleGNN`.

Both predict QM9's dipole moment as the length of a vector per molecule, :math:`\hat y = |\mu|`, and share
:class:`VectorModel` and :class:`DipoleVectors`. :class:`DipoleEGNN` is the full EGNN of Satorras et al. (2021)
with the coordinate update (its eqs. (3)-(6), layers in :mod:`equiview.core.models.egnn`) and a charge head; its
dipole turns with the molecule. :class:`NaiveDipoleGNN` reads a 3-vector per atom straight off the naive GNN's
features (:mod:`equiview.core.models.naive`); its does not.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from equiview.core.models.aggregation import scatter_sum
from equiview.core.models.blocks import (
    AtomTypeEmbedding,
    GraphModel,
    PredictionHead,
    check_positions,
    final_embedding_width,
    require_attributes,
)
from equiview.core.models.egnn import EquivariantCoordinateLayer, complete_edges_for
from equiview.core.models.naive import NaiveEncoder

if TYPE_CHECKING:
    from torch_geometric.data import Data


# ------------------------------------------------------------------------- what both dipole models share
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


# ------------------------------------------------------------------------------------ the equivariant model
class DipoleEGNN(VectorModel):
    r"""EGNN of Satorras et al. (2021) with the coordinate update, and a charge head for the dipole moment.

    The features follow the paper's eqs. (3), (5), (6) (the tutorial's eqs. (1)-(4): embedding, squared
    distance, message, update) and the positions its eq. (4); each layer measures its distances on the
    positions the previous layers moved:

    .. math::

        m_{ij} = \phi_e(h_i^l, h_j^l, \|x_i^l - x_j^l\|^2) \qquad (3) \\
        x_i^{l+1} = x_i^l + C \sum_{j \neq i} (x_i^l - x_j^l)\, \phi_x(m_{ij}) \qquad (4) \\
        m_i = \sum_{j \neq i} m_{ij} \qquad (5) \\
        h_i^{l+1} = W h_i^l + \phi_h(h_i^l, m_i) \qquad (6)

    From the last features :math:`h_i^L` (invariant) a small MLP gives a charge :math:`\tilde q_i`, made
    neutral per molecule, and the per-atom vectors are the point-charge dipoles plus, with
    ``atomic_dipoles``, each atom's total coordinate update read as an atomic dipole (in e·Å):

    .. math::

        q_i = \tilde q_i - \frac{1}{n} \sum_k \tilde q_k, \qquad
        v_i = k_D \left[ q_i (x_i - \bar x) + (x_i^L - x_i^0) \right], \qquad
        \mu = \sum_i v_i

    with :math:`\bar x` the molecule's centroid and :math:`k_D = 4.80320` D per e·Å (positions in Å; the
    conversion is fixed, not learned). Because :math:`\sum_i q_i = 0`, the charge term does not depend on the
    origin; every term is a scalar times a difference of positions, so :math:`\mu(g\cdot x) = R\,\mu(x)` for
    every rotation and reflection :math:`R` and translation: a polar vector. ``forward`` returns
    :math:`|\mu|` (Debye), the quantity QM9 lists (target 0).

    Args:
        hidden_channels: width of the atom-type embedding and of every hidden layer.
        num_mp_layers: number of :class:`~equiview.core.models.egnn.EquivariantCoordinateLayer` layers.
        final_embedding_size: width of the last layer's features (default: ``hidden_channels``).
        atomic_dipoles: add each atom's total coordinate update to its vector (False: charges only).
    """

    def __init__(
        self,
        hidden_channels: int,
        num_mp_layers: int = 3,
        final_embedding_size: int | None = None,
        atomic_dipoles: bool = True,
    ) -> None:
        super().__init__()
        if hidden_channels < 1 or num_mp_layers < 1:
            raise ValueError(
                f"DipoleEGNN needs hidden_channels and num_mp_layers >= 1, got {hidden_channels}, {num_mp_layers}"
            )
        final_embedding_size = final_embedding_width(final_embedding_size, hidden_channels)
        self.hidden_channels = hidden_channels
        self.num_mp_layers = num_mp_layers
        self.final_embedding_size = final_embedding_size
        self.atomic_dipoles = bool(atomic_dipoles)

        self.act = nn.SiLU()
        self.f_initial_embed = AtomTypeEmbedding(hidden_channels)
        channels = [hidden_channels] * num_mp_layers + [final_embedding_size]
        self.message_passing_layers = nn.ModuleList(
            EquivariantCoordinateLayer(d_in, d_out, self.act) for d_in, d_out in zip(channels[:-1], channels[1:])
        )
        self.f_charge = PredictionHead(final_embedding_size, 1, self.act)

    def _features_and_vectors(self, data: Data, with_vectors: bool) -> tuple[Tensor, DipoleVectors | None]:
        require_attributes(data, type(self).__name__, "z", "pos")
        node_embed = self.f_initial_embed(data.z)
        pos = data.pos.to(node_embed.dtype)
        num_atoms = node_embed.size(0)
        check_positions(pos, num_atoms)
        batch, num_graphs = graph_index(data, num_atoms)
        # work relative to each molecule's centroid: translations cancel here, before any rounding could
        # make a far-away copy of the molecule differ from the original
        relative = pos - per_graph_mean(pos, batch, num_graphs)
        edge_index = complete_edges_for(data)
        atoms_per_graph = scatter_sum(node_embed.new_ones(num_atoms, 1), batch, num_graphs)
        inverse_neighbours = 1.0 / (atoms_per_graph - 1).clamp(min=1).index_select(0, batch)  # C of eq. (4)
        moved = relative
        for layer in self.message_passing_layers:
            node_embed, displacement = layer(node_embed, moved, edge_index, inverse_neighbours)
            moved = moved + displacement
        if not with_vectors:
            return node_embed, None
        raw_charge = self.f_charge(node_embed)
        charge = raw_charge - per_graph_mean(raw_charge, batch, num_graphs)  # neutral molecule: sum q_i = 0
        per_atom = charge * relative
        if self.atomic_dipoles:
            per_atom = per_atom + (moved - relative)
        per_atom = per_atom * DEBYE_PER_E_ANGSTROM
        return node_embed, DipoleVectors(per_atom, scatter_sum(per_atom, batch, num_graphs), charge.squeeze(1))

    def encode(self, data: Data) -> Tensor:
        """Invariant per-atom features :math:`h^L`, ``[num_atoms, final_embedding_size]``."""
        return self._features_and_vectors(data, with_vectors=False)[0]

    def encode_with_vectors(self, data: Data) -> tuple[Tensor, DipoleVectors]:
        """:math:`h^L`, per-atom vectors ``[num_atoms, 3]``, the dipole ``[num_graphs, 3]`` (Debye) and the charges."""
        node_embed, vectors = self._features_and_vectors(data, with_vectors=True)
        assert vectors is not None
        return node_embed, vectors

    def extra_repr(self) -> str:
        return (
            f"hidden_channels={self.hidden_channels}, num_mp_layers={self.num_mp_layers}, "
            f"final_embedding_size={self.final_embedding_size}, atomic_dipoles={self.atomic_dipoles}"
        )


# ----------------------------------------------------------------------------------- the naive counterpart
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
