"""equiview in your own test suite: ``pytest examples/test_with_equiview.py`` (equiview's CI runs this file).

``assert_invariant`` / ``assert_equivariant`` raise one AssertionError naming the case (rotation, reflection,
translation), the molecule and the error against its tolerance, like e3nn's ``assert_equivariant``.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from equiview.testing import assert_equivariant, assert_invariant


class PairDistances(nn.Module):
    """Per-atom features from the distances to the other atoms: invariant under E(3)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(100, width)
        self.radial = nn.Linear(1, width)

    def forward(self, z, pos, batch):
        same = batch[:, None] == batch[None, :]
        distance = torch.cdist(pos, pos)[..., None]
        messages = torch.tanh(self.radial(distance)) * self.embed(z)[None, :, :]
        return self.embed(z) + (messages * same[..., None]).sum(dim=1)


class PairForces(PairDistances):
    """Also a vector per atom, sum_j w(|x_i - x_j|) (x_i - x_j): a polar vector, like a force."""

    def forward(self, z, pos, batch):
        features = super().forward(z, pos, batch)
        same = (batch[:, None] == batch[None, :]).to(pos.dtype)
        difference = pos[:, None, :] - pos[None, :, :]
        weight = torch.exp(-difference.norm(dim=-1)) * same
        return features, (weight[..., None] * difference).sum(dim=1)


class RawCoordinates(nn.Module):
    """Uses the coordinates as features: neither rotation nor translation invariant."""

    def forward(self, z, pos, batch):
        return torch.cat((pos, z[:, None].to(pos.dtype)), dim=1)


def test_distances_are_invariant():
    torch.manual_seed(0)
    assert_invariant(PairDistances(), molecules=4, trials=3)


def test_forces_are_equivariant_in_double_precision():
    torch.manual_seed(0)
    assert_equivariant(PairForces(), molecules=["CCO", "c1ccccc1O"], trials=2, dtype="float64")


def test_raw_coordinates_are_caught():
    with pytest.raises(AssertionError, match=r"not invariant: case '(rotation|reflection)', molecule"):
        assert_invariant(RawCoordinates(), molecules=2, trials=2)
