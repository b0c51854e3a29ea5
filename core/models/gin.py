"""The GIN of the naive baseline, in plain PyTorch: PyG's ``models.GIN`` for the case the tutorial uses.

``NaiveEuclideanGNN`` used ``torch_geometric.nn.models.GIN(in, hidden, num_layers, out)`` with the
defaults (no normalisation, no dropout, no jumping knowledge, ε = 0 fixed). Importing
``torch_geometric`` costs about two seconds (it imports ``torch._dynamo``), which the viewer's
start-up and ``equiview render`` cannot afford, so this module rebuilds exactly that network:

.. math::

    \\mathbf{x}_i' = \\mathrm{MLP}\\Big((1 + \\epsilon)\\,\\mathbf{x}_i + \\sum_{j \\in \\mathcal{N}(i)} \\mathbf{x}_j\\Big)

(Xu et al. 2019, eq. (4.1)), with a ReLU between layers and none after the last. Parameter names
(``convs.{k}.nn.lins.{l}.weight``, ``convs.{k}.eps``), the order in which the initialisation draws
random numbers, and every floating-point operation match PyG 2.x, so checkpoints load unchanged and
a seeded untrained model is the same model (``tests/test_models.py`` compares both bit for bit).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

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
