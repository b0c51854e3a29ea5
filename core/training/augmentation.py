"""Random-rotation augmentation (``--augment-rotations``): each training molecule is turned by its own uniformly
random rotation about its centroid before every step.

The EGNN needs none of this (its embeddings are exactly invariant). The naive GNN reads raw coordinates, so it
can fit the particular orientation QM9 happened to store each molecule in; on the seed-420 split it reaches a
training MAE far below its validation MAE. Showing it every molecule in many orientations is a regulariser. The
model stays non-invariant (it still reads raw coordinates), which is what the viewer shows.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter

from equiview.core.transforms import random_orthogonal_matrices


def random_rotations(count: int, generator: torch.Generator) -> Tensor:
    """``count`` rotation matrices ``[count, 3, 3]`` drawn uniformly (Haar measure) from SO(3).

    Haar-uniform elements of O(3), with the improper ones multiplied by diag(−1, 1, 1) on the right, which maps
    them onto SO(3) without changing the measure.
    """
    q = random_orthogonal_matrices(count, generator)
    q[:, :, 0] *= torch.linalg.det(q).unsqueeze(-1)
    return q


def rotate_each_molecule(pos: Tensor, batch: Tensor, num_graphs: int, generator: torch.Generator) -> Tensor:
    """Positions with every molecule of the batch rotated about its own centroid by its own random rotation."""
    rotations = random_rotations(num_graphs, generator).to(pos.dtype)
    centroids = scatter(pos, batch, dim=0, dim_size=num_graphs, reduce="mean")
    centred = pos - centroids.index_select(0, batch)
    rotated = torch.einsum("nij,nj->ni", rotations.index_select(0, batch), centred)
    return rotated + centroids.index_select(0, batch)


def epoch_generator(seed: int, epoch: int, rank: int) -> torch.Generator:
    """The rotations' random stream for one epoch on one rank: a pure function of its arguments, so that a resumed
    run draws the same rotations as an uninterrupted one."""
    return torch.Generator().manual_seed(((seed * 1_000_003) + epoch) * 1_009 + rank)
