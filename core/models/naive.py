"""The tutorial's naive baseline: raw coordinates fed as node features to a GIN.

Because ``f_pos_embed`` sees the coordinates themselves, rotating or translating a molecule
changes every atom embedding: this model is *not* E(3)-invariant, which is the point of the demo.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from equiview.core.models.base import GraphModel, SumReadoutModel
from equiview.core.models.embedding import AtomTypeEmbedding
from equiview.core.models.gin import GIN
from equiview.core.models.inputs import check_positions, require_attributes
from equiview.core.models.readout import final_embedding_width

if TYPE_CHECKING:
    from torch_geometric.data import Data


class NaiveEncoder(GraphModel):
    r"""Atom-type embedding + linear embedding of raw positions, combined and passed through
    a GIN over the *bond* graph (``data.edge_index``): PyG's ``models.GIN`` rebuilt in plain PyTorch
    (:mod:`equiview.core.models.gin`, same parameters and numbers) so that using the model does not import PyG:

    .. math::

        h_i^0 = \mathrm{ReLU}\big(W_c\,[\psi_0(z_i) \,\|\, W_x x_i + b_x] + b_c\big), \qquad
        h^{l+1} = \mathrm{GIN}_l(h^l, \text{bonds})

    :math:`\psi_0` is the tutorial's eq. (1); the raw coordinates :math:`x_i` enter as features, so a rotation or
    translation changes every :math:`h_i` (none of the EGNN's eqs. (3)-(6) apply here).

    The encoder shared by :class:`NaiveEuclideanGNN` and the naive dipole model; the heads are theirs
    (:meth:`_add_head`).

    Args:
        hidden_channels: width of the embeddings and of the GIN's hidden layers.
        num_layers: number of GIN convolutions.
        num_spatial_dims: coordinates per atom (3 for molecules).
        final_embedding_size: width of the GIN's output (default: ``hidden_channels``).
    """

    def __init__(
        self,
        hidden_channels: int,
        num_layers: int,
        num_spatial_dims: int = 3,
        final_embedding_size: int | None = None,
    ) -> None:
        super().__init__()
        if hidden_channels < 1 or num_layers < 1 or num_spatial_dims < 1:
            raise ValueError(
                f"{type(self).__name__} needs hidden_channels, num_layers and num_spatial_dims >= 1, "
                f"got {hidden_channels}, {num_layers}, {num_spatial_dims}"
            )
        final_embedding_size = final_embedding_width(final_embedding_size, hidden_channels)
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.num_spatial_dims = num_spatial_dims
        self.final_embedding_size = final_embedding_size

        act = nn.ReLU()
        self.f_initial_embed = AtomTypeEmbedding(hidden_channels)
        self.f_pos_embed = nn.Linear(num_spatial_dims, hidden_channels)
        self.f_combine = nn.Sequential(nn.Linear(2 * hidden_channels, hidden_channels), act)
        self.gnn = GIN(
            in_channels=hidden_channels,
            hidden_channels=hidden_channels,
            num_layers=num_layers,
            out_channels=final_embedding_size,
            act=act,
        )
        self._add_head()  # last, so the head's state_dict keys follow the encoder's (the tutorial's order)

    @abstractmethod
    def _add_head(self) -> None:
        """The model's own layers on top of the encoder (``self.final_embedding_size`` wide per atom)."""

    def encode(self, data: Data) -> Tensor:
        """Per-atom embeddings ``[num_atoms, final_embedding_size]``; uses the bonds in ``data.edge_index``."""
        require_attributes(data, type(self).__name__, "z", "pos", "edge_index")
        atom_embedding = self.f_initial_embed(data.z)
        pos = data.pos.to(atom_embedding.dtype)
        check_positions(pos, atom_embedding.size(0), self.num_spatial_dims)
        # the raw coordinates enter as ordinary features: the source of the missing invariance
        pos_embedding = self.f_pos_embed(pos)
        initial_node_embed = self.f_combine(torch.cat((atom_embedding, pos_embedding), dim=-1))
        return self.gnn(initial_node_embed, data.edge_index)

    def extra_repr(self) -> str:
        return (
            f"hidden_channels={self.hidden_channels}, num_layers={self.num_layers}, "
            f"num_spatial_dims={self.num_spatial_dims}, final_embedding_size={self.final_embedding_size}"
        )


class NaiveEuclideanGNN(NaiveEncoder, SumReadoutModel):
    """The tutorial's naive GNN: :class:`NaiveEncoder`, summed per molecule, then ``f_predict``
    (:class:`~equiview.core.models.base.SumReadoutModel`).

    Args: those of :class:`NaiveEncoder`.
    """

    def _add_head(self) -> None:
        self._add_readout(self.final_embedding_size, 1, nn.ReLU())
