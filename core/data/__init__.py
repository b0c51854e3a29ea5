"""The QM9 data layer: molecules, bonds, complete graphs, sources, splits.

Typical use::

    from core.data import load_dataset, QM9DataModule
    ds = load_dataset()              # the bundled 21,800 molecules
    data = ds[ds.find("gdb_814")]    # a torch_geometric Data
    dm = QM9DataModule(ds)           # the tutorial's 80/10/10 split, seed 420
"""

from core.data.bonds import BOND_TOLERANCE, infer_bonds, infer_bonds_flat
from core.data.bundle import BUNDLE_PATH, build_bundle, load_bundle, save_bundle
from core.data.cache import cache_dir
from core.data.datamodule import QM9DataModule, split_sha256
from core.data.errors import DataSourceError
from core.data.graph import batch_complete_edge_index, complete_edge_index
from core.data.info import dataset_info
from core.data.molecules import QM9Molecules
from core.data.sources import MAX_HEAVY_ATOMS, SOURCES, load_dataset
from core.data.targets import DEFAULT_TARGET, HARTREE_TO_EV, NUM_TARGETS, TARGETS, Target, target_index

__all__ = [
    "BOND_TOLERANCE", "BUNDLE_PATH", "DEFAULT_TARGET", "DataSourceError", "HARTREE_TO_EV", "MAX_HEAVY_ATOMS",
    "NUM_TARGETS", "QM9DataModule", "QM9Molecules", "SOURCES", "TARGETS", "Target", "batch_complete_edge_index",
    "build_bundle", "cache_dir", "complete_edge_index", "dataset_info", "infer_bonds", "infer_bonds_flat",
    "load_bundle", "load_dataset", "save_bundle", "split_sha256", "target_index",
]
