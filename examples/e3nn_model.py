"""An e3nn network whose per-atom output is irreps "8x0e+8x1o+8x2e", checked block by block against Wigner-D.

Try it (this runs this file's code; needs e3nn: ``pip install 'equiview[e3nn]'``):

    equiview check-invariance --model e3nn=examples/e3nn_model.py:make_model --smiles "CCO" --jsonl e3nn.jsonl --json

The model returns a dict, the protocol's richer output:
``{"features": [n, 8] invariant scalars, "vectors": [n, 2, 3] Cartesian vectors, "irreps": ([n, 72], "8x0e+8x1o+8x2e")}``.
equiview checks the features for invariance, the vectors for v(g·x) = R v(x), and every irreps block for
h_l(g·x) = D_l(g) h_l(x), where D_l is e3nn's Wigner-D matrix and the parity p (e, o) enters through det R;
``--json`` reports the largest error and a verdict per irrep ("0e", "1o", "2e").

Each atom sums its neighbours' spherical harmonics, weighted by a learned function of the distance and of the
neighbour's element (a one-layer tensor field network, Thomas et al. 2018):

.. math::
    h^{(l)}_{i,c} = \\sum_{j \\ne i} R_{c,l}(|r_{ij}|, z_j)\\, Y^{(l)}(r_{ij} / |r_{ij}|), \\qquad r_{ij} = x_j - x_i .
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

# e3nn 0.4.4 (what mace-torch pins) loads its constants with torch.load; torch >= 2.6 needs slice allowed for that
torch.serialization.add_safe_globals([slice])
from e3nn import o3  # noqa: E402 - after the line above

IRREPS = "8x0e+8x1o+8x2e"
CUTOFF = 5.0  # Å


class SphericalEnvironment(nn.Module):
    """One tensor-field-network layer: per-atom irreps from the neighbours' spherical harmonics."""

    def __init__(self, channels: int = 8, gaussians: int = 12, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.channels = channels
        self.embed = nn.Embedding(100, gaussians)
        self.register_buffer("centres", torch.linspace(0.0, CUTOFF, gaussians))
        self.radial = nn.Sequential(nn.Linear(gaussians, 32), nn.SiLU(), nn.Linear(32, 3 * channels))

    def forward(self, z: Tensor, pos: Tensor, batch: Tensor) -> dict:
        i, j = ((batch[:, None] == batch[None, :]) & ~torch.eye(len(z), dtype=torch.bool)).nonzero().t()
        r = pos[j] - pos[i]
        distance = r.norm(dim=-1, keepdim=True)
        envelope = 0.5 * (torch.cos(torch.pi * distance.clamp(max=CUTOFF) / CUTOFF) + 1.0)
        basis = torch.exp(-2.0 * (distance - self.centres) ** 2) * self.embed(z[j]) * envelope
        weights = self.radial(basis).reshape(-1, 3, self.channels)  # one weight per l and channel
        harmonics = o3.spherical_harmonics([0, 1, 2], r, normalize=True, normalization="component")
        blocks, start = [], 0
        for degree in range(3):
            y = harmonics[:, start : start + 2 * degree + 1]  # [E, 2l+1]
            start += 2 * degree + 1
            edge = weights[:, degree, :, None] * y[:, None, :]  # [E, channels, 2l+1]
            blocks.append(torch.zeros(len(z), *edge.shape[1:], dtype=pos.dtype).index_add(0, i, edge).flatten(1))
        irreps = torch.cat(blocks, dim=1)
        vectors = torch.zeros(len(z), 2, 3, dtype=pos.dtype).index_add(
            0, i, (weights[:, 1, :2, None] * r[:, None, :])
        )  # two Cartesian (polar) vectors per atom
        return {"features": blocks[0], "vectors": vectors, "irreps": (irreps, IRREPS)}


def make_model() -> nn.Module:
    return SphericalEnvironment()
