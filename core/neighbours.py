"""Neighbour pairs within a cutoff by a cell list, in plain PyTorch (no torch-cluster): O(n) work, for molecules of
up to equiview's 5,000 atoms and for batches of many molecules (pairs never cross molecules)."""

from __future__ import annotations

import itertools

import torch
from torch import Tensor

_HALF_SHELL = tuple(cell for cell in itertools.product((-1, 0, 1), repeat=3) if cell >= (0, 0, 0))
"""An atom's own cell and the 13 neighbouring cells "after" it: every pair of cells is visited once, from one side."""


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


def radius_edges(pos: Tensor, batch: Tensor, cutoff: float) -> Tensor:
    """Every ordered pair (i, j), i ≠ j, of one molecule closer than ``cutoff`` Å: ``edge_index`` [2, E], sorted by
    (i, j). Both directions of :func:`neighbour_pairs`."""
    i, j = neighbour_pairs(pos, batch, cutoff)
    source, target = torch.cat((i, j)), torch.cat((j, i))
    order = torch.argsort(source * pos.shape[0] + target)
    return torch.stack((source[order], target[order]))
