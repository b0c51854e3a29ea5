"""Forces as researchers write them, F = −∂E/∂x, checked for equivariance by equiview.

Try it (this runs this file's code):

    equiview check-invariance --model forces=examples/forces_model.py:make_model --smiles "CCO" --json
    equiview gui --model forces=examples/forces_model.py:make_model --atom-vectors

``needs_grad = True`` tells equiview to run ``forward`` with gradients enabled (it runs every other model under
``torch.no_grad()``). The energy is a sum of learned pair terms of the interatomic distances,

.. math::
    E = \\sum_{i<j} \\phi_{z_i z_j}(|x_i - x_j|), \\qquad F_i = -\\partial E / \\partial x_i ,

so the per-atom features (each atom's share of E, and its embedding) are invariant and the forces are polar
vectors: F(g·x) = R F(x) for every rotation or reflection R, and translations change nothing.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PairEnergy(nn.Module):
    """A small learned pair potential; returns (per-atom features [n, 1 + width], forces [n, 3])."""

    needs_grad = True  # forward takes torch.autograd.grad: equiview enables gradients for it

    def __init__(self, width: int = 16, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.embed = nn.Embedding(100, width)
        self.pair = nn.Sequential(nn.Linear(2 * width + 1, width), nn.SiLU(), nn.Linear(width, 1))

    def forward(self, z: Tensor, pos: Tensor, batch: Tensor) -> tuple[Tensor, Tensor]:
        pos = pos.requires_grad_(True)
        i, j = torch.triu_indices(len(z), len(z), offset=1)
        keep = batch[i] == batch[j]
        i, j = i[keep], j[keep]
        distance = (pos[i] - pos[j]).norm(dim=-1, keepdim=True)
        h = self.embed(z)
        symmetric = torch.cat((h[i] + h[j], h[i] * h[j], distance), dim=-1)  # the same for (i, j) and (j, i)
        pair_energy = self.pair(symmetric).squeeze(-1)
        atom_energy = (
            torch.zeros(len(z), dtype=pos.dtype).index_add(0, i, pair_energy / 2).index_add(0, j, pair_energy / 2)
        )
        (gradient,) = torch.autograd.grad(atom_energy.sum(), pos)
        return torch.cat((atom_energy[:, None], h), dim=1), -gradient


def make_model() -> nn.Module:
    return PairEnergy()
