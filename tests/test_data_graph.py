"""Complete graphs equal the seed's itertools definition, per molecule and per batch."""

import itertools

import pytest
import torch

from equiview.core.data import batch_complete_edge_index, complete_edge_index


def seed_complete_edge_index(n: int) -> torch.Tensor:
    edges = [e for e in itertools.product(range(n), range(n)) if e[0] != e[1]]
    return torch.tensor(edges, dtype=torch.long).reshape(-1, 2).T


@pytest.mark.parametrize("n", range(1, 30))
def test_complete_edge_index_matches_itertools(n):
    got = complete_edge_index(n)
    assert got.dtype == torch.long and got.shape == (2, n * (n - 1))
    assert torch.equal(got, seed_complete_edge_index(n))


def test_single_atom_has_no_edges():
    assert complete_edge_index(1).shape == (2, 0)
    assert complete_edge_index(0).shape == (2, 0)


def test_complete_edge_index_rejects_bad_counts():
    with pytest.raises(ValueError, match="non-negative integer"):
        complete_edge_index(-1)
    with pytest.raises(ValueError, match="non-negative integer"):
        complete_edge_index(2.5)


def test_batch_matches_per_molecule_definition_with_offsets():
    sizes = [5, 1, 29, 3, 14, 1, 2]
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    offsets = [0] + list(itertools.accumulate(sizes))[:-1]
    expected = torch.cat([seed_complete_edge_index(n) + off for n, off in zip(sizes, offsets)], dim=1)
    assert torch.equal(batch_complete_edge_index(batch), expected)
    ptr = torch.tensor([0] + list(itertools.accumulate(sizes)))
    assert torch.equal(batch_complete_edge_index(batch, ptr=ptr), expected)


def test_batch_from_real_collated_molecules(dataset):
    data = dataset.collate([0, 800, 5, 21799])
    expected = []
    for g in range(data.num_graphs):
        n = int(data.ptr[g + 1] - data.ptr[g])
        expected.append(seed_complete_edge_index(n) + int(data.ptr[g]))
    assert torch.equal(batch_complete_edge_index(data.batch), torch.cat(expected, dim=1))


def test_batch_must_be_contiguous():
    with pytest.raises(ValueError, match="contiguously"):
        batch_complete_edge_index(torch.tensor([0, 1, 0]))
    assert batch_complete_edge_index(torch.zeros(0, dtype=torch.long)).shape == (2, 0)
