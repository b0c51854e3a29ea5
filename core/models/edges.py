"""Which edges the EGNN passes messages along: the complete graph of each molecule."""

from __future__ import annotations

from functools import lru_cache

from torch import Tensor

from equiview.core.data.graph import batch_complete_edge_index, complete_edge_index


@lru_cache(maxsize=64)
def _complete_edge_index_cached(num_atoms: int) -> Tensor:
    # QM9 molecules have at most 29 atoms, so a handful of cached sizes serve every single-molecule
    # call (the viewer encodes one molecule per slider step); callers only read the tensor.
    return complete_edge_index(num_atoms)


def complete_edges_for(data: object) -> Tensor:
    """The complete-graph edge index of ``data`` (global atom numbering), LongTensor [2, E].

    Order of preference: ``data.complete_edge_index`` if the graph carries one; the complete graph
    of every molecule in ``data.batch`` (using ``data.ptr`` when present); otherwise ``data`` is one
    molecule and a cached complete graph of its atom count is used.
    """
    given = getattr(data, "complete_edge_index", None)
    if given is not None:
        return given
    batch = getattr(data, "batch", None)
    if batch is not None:
        return batch_complete_edge_index(batch, ptr=getattr(data, "ptr", None))
    z = data.z
    return _complete_edge_index_cached(int(z.size(0))).to(z.device)  # no copy on the CPU
