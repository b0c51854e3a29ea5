"""The QM9 data layer: molecules, bonds, complete graphs, sources, splits.

Typical use::

    from equiview.core.data import load_dataset, QM9DataModule
    ds = load_dataset()              # the bundled 21,800 molecules
    data = ds[ds.find("gdb_814")]    # a torch_geometric Data
    dm = QM9DataModule(ds)           # the tutorial's 80/10/10 split, seed 420

The names below are imported on first use (PEP 562): most submodules pull in torch_geometric
(seconds), and ``equiview --help`` only needs :data:`SOURCES`, so importing the package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    "BOND_TOLERANCE": "bonds",
    "infer_bonds": "bonds",
    "infer_bonds_flat": "bonds",
    "BUNDLE_PATH": "bundle",
    "build_bundle": "bundle",
    "load_bundle": "bundle",
    "save_bundle": "bundle",
    "cache_dir": "cache",
    "QM9DataModule": "datamodule",
    "split_sha256": "datamodule",
    "DataSourceError": "errors",
    "batch_complete_edge_index": "graph",
    "complete_edge_index": "graph",
    "dataset_info": "info",
    "QM9Molecules": "molecules",
    "MoleculeSearch": "search",
    "SearchHit": "search",
    "MAX_HEAVY_ATOMS": "sources",
    "SOURCES": "sources",
    "load_dataset": "sources",
    "DEFAULT_TARGET": "targets",
    "HARTREE_TO_EV": "targets",
    "NUM_TARGETS": "targets",
    "TARGETS": "targets",
    "Target": "targets",
    "target_index": "targets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from equiview.core.data.bonds import BOND_TOLERANCE, infer_bonds, infer_bonds_flat
    from equiview.core.data.bundle import BUNDLE_PATH, build_bundle, load_bundle, save_bundle
    from equiview.core.data.cache import cache_dir
    from equiview.core.data.datamodule import QM9DataModule, split_sha256
    from equiview.core.data.errors import DataSourceError
    from equiview.core.data.graph import batch_complete_edge_index, complete_edge_index
    from equiview.core.data.info import dataset_info
    from equiview.core.data.molecules import QM9Molecules
    from equiview.core.data.search import MoleculeSearch, SearchHit
    from equiview.core.data.sources import MAX_HEAVY_ATOMS, SOURCES, load_dataset
    from equiview.core.data.targets import DEFAULT_TARGET, HARTREE_TO_EV, NUM_TARGETS, TARGETS, Target, target_index
