"""The one stand-in for PyG's ``Data``/``Batch`` that equiview hands its models: :class:`Graph`, without PyG or torch.

The models read ``z``, ``pos``, ``edge_index`` and, for a batch, ``batch`` and ``ptr`` (like PyG's ``Batch``). Importing
PyG costs seconds that the viewer's start-up and loading a checkpoint cannot afford, and this module imports not even
torch, so the viewer's first frame does not wait for it. The pipeline's molecules, the sweep's batches of poses and the
checkpoint probe are all this type.
"""

from __future__ import annotations

from typing import Any


class Graph:
    """One molecule (``batch`` None) or a batch of molecules, with the fields of PyG's ``Data``/``Batch`` models read.

    ``z`` LongTensor [n], ``pos`` float [n, 3], ``edge_index`` LongTensor [2, E] (bonds, both directions), ``batch``
    LongTensor [n] (the molecule of each atom) and ``ptr`` LongTensor [B + 1] (where each molecule's atoms start).
    """

    def __init__(self, z: Any, pos: Any, edge_index: Any, batch: Any = None, ptr: Any = None) -> None:
        self.z, self.pos, self.edge_index, self.batch, self.ptr = z, pos, edge_index, batch, ptr

    @property
    def num_graphs(self) -> int:
        """How many molecules: from ``ptr``, else from ``batch``, else one."""
        if self.ptr is not None:
            return int(self.ptr.numel()) - 1
        if self.batch is not None:
            return int(self.batch.max()) + 1 if self.batch.numel() else 0
        return 1
