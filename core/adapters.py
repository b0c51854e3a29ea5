"""Adapters from other libraries' model conventions to equiview's protocol, ``forward(z, pos, batch)``.

:func:`from_pyg` wraps a PyTorch Geometric model whose ``forward(data)`` takes a ``Data``/``Batch`` (``z``,
``pos``, ``batch`` and, if asked, a radius graph in ``edge_index``) and returns per-atom features, or anything from
which ``select`` picks them. The wrapper declares ``batched = True``: PyG models take many molecules at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from torch import Tensor, nn

from equiview.core.neighbours import radius_edges


class PyGModel(nn.Module):
    """``forward(z, pos, batch)`` -> ``select(model(Data(z, pos, batch[, edge_index])))``."""

    batched = True

    def __init__(
        self,
        model: nn.Module,
        cutoff: float | None = None,
        select: Callable[[object], object] | None = None,
        known_elements: Iterable | None = None,
        vector_parity: str = "polar",
        needs_grad: bool = False,
    ) -> None:
        super().__init__()
        self.model = model
        self.cutoff = cutoff
        self.select = select
        self.vector_parity = vector_parity
        self.needs_grad = needs_grad
        if known_elements is not None:
            self.known_elements = tuple(known_elements)

    def forward(self, z: Tensor, pos: Tensor, batch: Tensor):
        from torch_geometric.data import Batch

        fields = {"z": z, "pos": pos, "batch": batch}
        if self.cutoff is not None:
            fields["edge_index"] = radius_edges(pos, batch, self.cutoff)
        data = Batch(**fields)
        data._num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        output = self.model(data)
        return self.select(output) if self.select is not None else output


def from_pyg(
    model: nn.Module,
    *,
    cutoff: float | None = None,
    select: Callable[[object], object] | None = None,
    known_elements: Iterable | None = None,
    vector_parity: str = "polar",
    needs_grad: bool = False,
) -> nn.Module:
    """An equiview model from a PyG ``forward(data)`` model.

    ``cutoff`` (Å) adds a radius graph as ``data.edge_index``; ``select`` turns the model's output into
    features ``[n, d]`` or ``(features, vectors)`` (default: the output as it is); ``known_elements``,
    ``vector_parity`` and ``needs_grad`` are the protocol's attributes.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"from_pyg expects a torch.nn.Module, got {type(model).__name__}")
    if cutoff is not None and not cutoff > 0:
        raise ValueError(f"cutoff must be positive, got {cutoff!r}")
    return PyGModel(model, cutoff, select, known_elements, vector_parity, needs_grad)
