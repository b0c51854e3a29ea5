r"""The tutorial's naive baseline: raw coordinates fed as node features to a GIN over the bonds.

Because ``f_pos_embed`` sees the coordinates themselves, rotating or translating a molecule changes every atom
embedding: this model is *not* E(3)-invariant, which is the point of the demo. This file holds the model and its
layers: the GIN (Xu et al. 2019, eq. (4.1)) rebuilt in plain PyTorch, then :class:`NaiveEncoder` and
:class:`NaiveEuclideanGNN`.

The GIN is PyG's ``torch_geometric.nn.models.GIN(in, hidden, num_layers, out)`` with the tutorial's defaults (no
normalisation, no dropout, no jumping knowledge, ε = 0 fixed), rebuilt because importing ``torch_geometric`` costs
about two seconds (it imports ``torch._dynamo``) that the viewer's start-up and ``equiview render`` cannot afford:

.. math::

    \mathbf{x}_i' = \mathrm{MLP}\Big((1 + \epsilon)\,\mathbf{x}_i + \sum_{j \in \mathcal{N}(i)} \mathbf{x}_j\Big)
    \qquad \text{(Xu et al. 2019, eq. (4.1))}

with a ReLU between layers and none after the last. Parameter names (``convs.{k}.nn.lins.{l}.weight``,
``convs.{k}.eps``), the order in which the initialisation draws random numbers, and every floating-point
operation match PyG 2.x, so checkpoints load unchanged and a seeded untrained model is the same model
(``tests/test_models_without_pyg.py`` compares both bit for bit).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from equiview.core.models.blocks import (
    AtomTypeEmbedding,
    GraphModel,
    SumReadoutModel,
    check_positions,
    final_embedding_width,
    require_attributes,
)

if TYPE_CHECKING:
    from torch_geometric.data import Data


# ---------------------------------------------------------------------- the GIN (Xu et al. 2019, eq. (4.1))
_KAIMING_A = math.sqrt(5.0)


class PygLinear(nn.Linear):
    """``nn.Linear`` initialised like ``torch_geometric.nn.Linear`` (kaiming-uniform weight, uniform bias)."""

    def reset_parameters(self) -> None:
        fan = self.in_features
        bound = math.sqrt(6.0 / ((1.0 + _KAIMING_A**2) * fan))
        self.weight.data.uniform_(-bound, bound)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(fan)
            self.bias.data.uniform_(-bound, bound)


class MLP(nn.Module):
    """``torch_geometric.nn.MLP([c_in, c_out, c_out], act)`` without norm or dropout: Linear, act, Linear."""

    def __init__(self, in_channels: int, out_channels: int, act: nn.Module) -> None:
        super().__init__()
        self.lins = nn.ModuleList([PygLinear(in_channels, out_channels), PygLinear(out_channels, out_channels)])
        self.act = act
        self.reset_parameters()  # PyG's MLP initialises its layers once more after building them

    def reset_parameters(self) -> None:
        for lin in self.lins:
            lin.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return self.lins[1](self.act(self.lins[0](x)))


class GINLayer(nn.Module):
    """``torch_geometric.nn.GINConv(mlp)`` with ε = 0 kept fixed (a buffer, as in PyG)."""

    def __init__(self, mlp: MLP, eps: float = 0.0) -> None:
        super().__init__()
        self.nn = mlp
        self.initial_eps = eps
        self.register_buffer("eps", torch.empty(1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.nn.reset_parameters()
        self.eps.data.fill_(self.initial_eps)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        # messages x_j flow along edge_index[0] -> edge_index[1] and are summed at the target
        messages = x.index_select(0, edge_index[0])
        target = edge_index[1].view(-1, 1).expand_as(messages)
        summed = x.new_zeros(x.shape).scatter_add_(0, target, messages)
        return self.nn(summed + (1 + self.eps) * x)


class GIN(nn.Module):
    """``torch_geometric.nn.models.GIN(in_channels, hidden_channels, num_layers, out_channels, act=act)``."""

    def __init__(self, in_channels: int, hidden_channels: int, num_layers: int, out_channels: int, act: nn.Module):
        super().__init__()
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.out_channels = out_channels
        self.act = act
        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(GINLayer(MLP(c_in, c_out, act)) for c_in, c_out in zip(widths[:-1], widths[1:]))

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        last = len(self.convs) - 1
        for k, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if k < last:
                x = self.act(x)
        return x

    def __repr__(self) -> str:
        return f"GIN({self.in_channels}, {self.out_channels}, num_layers={self.num_layers})"


# ---------------------------------------------------------------------------------------------- the model
class NaiveEncoder(GraphModel):
    r"""Atom-type embedding + linear embedding of raw positions, combined and passed through
    a GIN over the *bond* graph (``data.edge_index``): PyG's ``models.GIN`` rebuilt in plain PyTorch
    (:class:`GIN` above, same parameters and numbers) so that using the model does not import PyG:

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
    (:class:`~equiview.core.models.blocks.SumReadoutModel`).

    Args: those of :class:`NaiveEncoder`.
    """

    def _add_head(self) -> None:
        self._add_readout(self.final_embedding_size, 1, nn.ReLU())
