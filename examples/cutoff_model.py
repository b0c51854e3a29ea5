"""An invariant model on a cutoff (radius) graph that scales to equiview's 5,000-atom molecules.

Try it (this runs this file's code) on a box of 5,000 atoms of water:

    python examples/water_box.py 5000 water5000.xyz
    equiview gui --molecule-file water5000.xyz --model cutoff=examples/cutoff_model.py:make_model
    equiview check-invariance --molecule-file water5000.xyz --model cutoff=examples/cutoff_model.py:make_model

A complete graph (every pair of atoms, as the tutorial's EGNN uses) has n(n − 1) edges: 25 million at 5,000 atoms.
Atoms only feel their neighbours within a cutoff ``c`` here, found with a cell list (cells of side ``c``: an atom's
neighbours lie in its own cell or one of the 26 around it; each pair of cells is looked at once), so the graph and
the cost grow linearly with n. A
SchNet-style continuous filter turns each neighbour's features into a message,

.. math::
    h_i^{(t+1)} = h_i^{(t)} + \\mathrm{MLP}\\Big(\\sum_{j:\\, d_{ij} < c} W(\\mathrm{rbf}(d_{ij}))\\, f_c(d_{ij})\\,
    h_j^{(t)}\\Big), \\qquad f_c(d) = \\tfrac12\\big(\\cos(\\pi d / c) + 1\\big),

with the smooth cosine envelope ``f_c`` taking a neighbour's weight to 0 at the cutoff, so an atom crossing it
changes nothing abruptly. Everything depends on the atoms' elements and distances only: the per-atom features are
E(3) invariant, whatever the pose (the cell grid moves with the atoms' minimum, but the pairs within ``c`` do not
depend on it). ``batched = True``: equiview may hand it many molecules at once, numbered by ``batch``.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn

_HALF_SHELL = tuple(cell for cell in itertools.product((-1, 0, 1), repeat=3) if cell >= (0, 0, 0))
"""An atom's own cell and the 13 neighbouring cells "after" it: every pair of cells is visited once, from one side."""


def radius_graph(pos: Tensor, batch: Tensor, cutoff: float) -> tuple[Tensor, Tensor]:
    """Directed pairs (i, j), i ≠ j, of atoms of one molecule closer than ``cutoff``: both directions of
    :func:`neighbour_pairs`."""
    i, j = neighbour_pairs(pos, batch, cutoff)
    return torch.cat((i, j)), torch.cat((j, i))


def neighbour_pairs(pos: Tensor, batch: Tensor, cutoff: float) -> tuple[Tensor, Tensor]:
    """Every pair {i, j} of atoms of one molecule closer than ``cutoff``, once, by a cell list: O(n) work."""
    n = pos.shape[0]
    if n < 2:
        empty = torch.zeros(0, dtype=torch.long, device=pos.device)
        return empty, empty
    cell = torch.floor((pos - pos.min(dim=0).values) / cutoff).long() + 1  # from 1: cell − 1 stays in its row
    size = cell.max(dim=0).values + 2
    key = ((batch * size[0] + cell[:, 0]) * size[1] + cell[:, 1]) * size[2] + cell[:, 2]
    order = torch.argsort(key)
    sorted_key = key[order]
    shifts = torch.tensor([(a * int(size[1]) + b) * int(size[2]) + c for a, b, c in _HALF_SHELL], device=pos.device)
    wanted = (key[:, None] + shifts[None, :]).reshape(-1)  # [n · 14] cells to look in
    start = torch.searchsorted(sorted_key, wanted)
    counts = torch.searchsorted(sorted_key, wanted, right=True) - start
    slot = torch.repeat_interleave(torch.arange(wanted.numel(), device=pos.device), counts)
    # candidate k of a slot is the (k − first k of that slot)-th atom of the sorted cell
    within = torch.arange(slot.numel(), device=pos.device) - (torch.cumsum(counts, 0) - counts).index_select(0, slot)
    i = torch.div(slot, len(_HALF_SHELL), rounding_mode="floor")
    j = order.index_select(0, start.index_select(0, slot) + within)
    own_cell = slot % len(_HALF_SHELL) == 0  # (0, 0, 0) comes first: in its own cell a pair is seen from both atoms
    difference = pos.index_select(0, i) - pos.index_select(0, j)  # index_select: several times faster than pos[i]
    close = ((difference * difference).sum(dim=-1) < cutoff * cutoff) & ((i < j) | ~own_cell)
    close = close.nonzero().squeeze(1)
    return i.index_select(0, close), j.index_select(0, close)


class CosineCutoff(nn.Module):
    """f_c(d) = ½(cos(πd/c) + 1) below the cutoff c, 0 beyond: a neighbour fades out smoothly."""

    def __init__(self, cutoff: float) -> None:
        super().__init__()
        self.cutoff = cutoff

    def forward(self, distance: Tensor) -> Tensor:
        return 0.5 * (torch.cos(distance * (math.pi / self.cutoff)) + 1.0) * (distance < self.cutoff)


class FilterLayer(nn.Module):
    """One continuous-filter interaction: messages W(rbf(d_ij)) f_c(d_ij) h_j summed at i, then a residual MLP.

    The filter depends on d_ij = d_ji only, so it is computed once per pair {i, j} and carries h_j to i and h_i to j.
    """

    def __init__(self, width: int, radial: int) -> None:
        super().__init__()
        self.filter = nn.Sequential(nn.Linear(radial, width), nn.SiLU(), nn.Linear(width, width))
        self.update = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, h: Tensor, i: Tensor, j: Tensor, rbf: Tensor, envelope: Tensor) -> Tensor:
        weight = self.filter(rbf) * envelope[:, None]  # [pairs, width]
        summed = torch.zeros_like(h).index_add_(0, i, weight * h.index_select(0, j))
        summed.index_add_(0, j, weight * h.index_select(0, i))
        return h + self.update(summed)


class CutoffGNN(nn.Module):
    """Per-atom invariant features [n, width] from elements and distances within ``cutoff`` Å."""

    batched = True  # many molecules per call: pairs never cross molecules (the cell key holds the molecule)

    def __init__(self, width: int = 16, layers: int = 2, cutoff: float = 4.0, radial: int = 12, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.cutoff = cutoff
        self.embed = nn.Embedding(100, width)
        self.register_buffer("centres", torch.linspace(0.0, cutoff, radial))
        self.gamma = (radial / cutoff) ** 2
        self.envelope = CosineCutoff(cutoff)
        self.interactions = nn.ModuleList(FilterLayer(width, radial) for _ in range(layers))

    def forward(self, z: Tensor, pos: Tensor, batch: Tensor) -> Tensor:
        i, j = neighbour_pairs(pos, batch, self.cutoff)
        distance = (pos.index_select(0, i) - pos.index_select(0, j)).norm(dim=-1)
        rbf = torch.exp(-self.gamma * (distance[:, None] - self.centres[None, :]) ** 2)
        envelope = self.envelope(distance)
        h = self.embed(z)
        for layer in self.interactions:
            h = layer(h, i, j, rbf, envelope)
        return h


def make_model() -> nn.Module:
    """The factory equiview calls: seeded random weights (the invariance does not depend on training)."""
    return CutoffGNN()
