"""Scatter-sum backend used to aggregate messages (the sum over j != i of the paper's eqs. (4) and (5)).

The default backend, still named ``torch_geometric``, computes what ``torch_geometric.utils.scatter``
computes for a sum, the same way (``scatter_add_`` into zeros), in plain PyTorch: importing PyG
costs about two seconds that the viewer's start-up cannot afford. The optional extra ``equiview[scatter]`` installs
``torch_scatter``; it is used only when it is installed *and* requested with the
environment variable ``EQUIVIEW_SCATTER=torch_scatter``, because the native path is
fast enough for molecules with at most 29 atoms and needs no compiled extension.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Callable

from torch import Tensor

ENV_VAR = "EQUIVIEW_SCATTER"
BACKENDS = ("torch_geometric", "torch_scatter")
DEFAULT_BACKEND = "torch_geometric"

ScatterSum = Callable[[Tensor, Tensor, int], Tensor]

# Resolved lazily on first use, so that a bad environment variable does not break `import equiview.core`.
_active_backend: str | None = None


def torch_scatter_available() -> bool:
    """True when the optional ``torch_scatter`` package can be imported."""
    return importlib.util.find_spec("torch_scatter") is not None


def _scatter_sum_pyg(src: Tensor, index: Tensor, dim_size: int) -> Tensor:
    # torch_geometric.utils.scatter(src, index, dim=0, dim_size=dim_size, reduce="sum"), step for step
    size = (dim_size,) + tuple(src.shape[1:])
    broadcast = index.view((-1,) + (1,) * (src.dim() - 1)).expand_as(src)
    return src.new_zeros(size).scatter_add_(0, broadcast, src)


def _scatter_sum_torch_scatter(src: Tensor, index: Tensor, dim_size: int) -> Tensor:
    import torch_scatter  # optional extra; only imported when selected

    return torch_scatter.scatter(src, index, dim=0, dim_size=dim_size, reduce="sum")


_IMPLEMENTATIONS: dict[str, ScatterSum] = {
    "torch_geometric": _scatter_sum_pyg,
    "torch_scatter": _scatter_sum_torch_scatter,
}


def resolve_backend(requested: str | None = None) -> str:
    """Name of the backend to use for ``requested`` (default: the ``EQUIVIEW_SCATTER`` variable).

    An unknown name is an error; ``torch_scatter`` requested but not installed falls back to
    ``torch_geometric`` with a warning (the results are identical, only speed differs).
    """
    name = requested if requested is not None else os.environ.get(ENV_VAR, "") or DEFAULT_BACKEND
    name = name.strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown scatter backend {name!r} (from {ENV_VAR}); choose one of {', '.join(BACKENDS)}")
    if name == "torch_scatter" and not torch_scatter_available():
        warnings.warn(
            f"{ENV_VAR}=torch_scatter but torch_scatter is not installed; using torch_geometric's scatter",
            RuntimeWarning,
            stacklevel=2,
        )
        return DEFAULT_BACKEND
    return name


def get_scatter_sum(backend: str) -> ScatterSum:
    """The scatter-sum function of one backend (``torch_scatter`` must be installed to get it)."""
    if backend not in _IMPLEMENTATIONS:
        raise ValueError(f"unknown scatter backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "torch_scatter" and not torch_scatter_available():
        raise ImportError("scatter backend 'torch_scatter' needs the optional extra: pip install 'equiview[scatter]'")
    return _IMPLEMENTATIONS[backend]


def set_backend(backend: str | None) -> str:
    """Select the backend for all models (``None`` re-reads ``EQUIVIEW_SCATTER``); returns the active name."""
    global _active_backend
    _active_backend = resolve_backend(backend)
    return _active_backend


def active_backend() -> str:
    """Name of the backend the models use now."""
    if _active_backend is None:
        return set_backend(None)
    return _active_backend


def scatter_sum(src: Tensor, index: Tensor, dim_size: int) -> Tensor:
    """Sum rows of ``src`` into ``dim_size`` buckets given by ``index`` (rows of an empty bucket are 0)."""
    return _IMPLEMENTATIONS[active_backend()](src, index, dim_size)
