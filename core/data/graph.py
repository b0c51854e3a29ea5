"""Complete graphs (every ordered pair of distinct atoms) for the EGNN's message passing.

Order matches the tutorial's definition
``[e for e in itertools.product(range(n), range(n)) if e[0] != e[1]]``:
sources ascending, and for each source the targets ascending, skipping the self loop.
Everything is computed with tensor arithmetic; nothing is stored per molecule.
"""

from __future__ import annotations

import torch


def _pairs_for_sizes(sizes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Complete-graph edges for consecutive graphs of ``sizes`` atoms starting at ``offsets``."""
    device = sizes.device
    sizes = sizes.to(torch.long)
    per_graph = sizes * (sizes - 1)
    total = int(per_graph.sum())
    if total == 0:
        return torch.zeros(2, 0, dtype=torch.long, device=device)
    graph = torch.repeat_interleave(torch.arange(sizes.numel(), device=device), per_graph)
    first_edge = torch.cumsum(per_graph, 0) - per_graph
    k = torch.arange(total, device=device) - first_edge[graph]  # edge number inside its graph
    others = (sizes - 1)[graph]  # every source has n - 1 targets
    source = torch.div(k, others, rounding_mode="floor")
    target = k - source * others
    target = target + (target >= source).to(torch.long)  # skip the self loop
    shift = offsets.to(torch.long)[graph]
    return torch.stack([source + shift, target + shift])


def complete_edge_index(n: int, device: torch.device | str | None = None) -> torch.Tensor:
    """All ordered pairs ``(i, j)``, ``i != j``, of ``n`` nodes: LongTensor [2, n(n-1)].

    ``complete_edge_index(1)`` is an empty [2, 0] tensor.
    """
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"complete_edge_index needs a non-negative integer node count, got {n!r}")
    sizes = torch.tensor([int(n)], dtype=torch.long, device=device)
    return _pairs_for_sizes(sizes, torch.zeros(1, dtype=torch.long, device=device))


def batch_complete_edge_index(batch: torch.Tensor, ptr: torch.Tensor | None = None) -> torch.Tensor:
    """Complete graph of every molecule in a PyG batch: LongTensor [2, Σ n(n-1)].

    ``batch`` is the node-to-graph vector of a ``Batch`` (graphs stored contiguously, as
    PyG does); ``ptr`` (the batch's node offsets, [B+1]) avoids recounting when given.
    Edges use the batch's global node numbering, graph after graph.
    """
    if ptr is None:
        batch = torch.as_tensor(batch)
        if batch.dim() != 1:
            raise ValueError(f"batch must be a 1-D node-to-graph vector, got shape {list(batch.shape)}")
        if batch.numel() == 0:
            return torch.zeros(2, 0, dtype=torch.long, device=batch.device)
        if bool((batch[1:] < batch[:-1]).any()):
            raise ValueError("batch must list each graph's nodes contiguously in ascending graph order")
        sizes = torch.bincount(batch.to(torch.long))
        offsets = torch.cumsum(sizes, 0) - sizes
    else:
        ptr = torch.as_tensor(ptr).to(torch.long)
        sizes = ptr[1:] - ptr[:-1]
        offsets = ptr[:-1]
    return _pairs_for_sizes(sizes, offsets)
