"""QM9 from PyG's own files (``torch_geometric.datasets.QM9``'s folder), read without PyG's loader.

PyG's ``QM9(root)`` cannot be pointed at a folder someone else made: it unpickles
``processed/pre_transform.pt`` and ``pre_filter.pt`` with ``weights_only=False`` (a crafted folder runs
code), falls back to unsafe loading when the safe loader refuses a file, and starts a download when
``raw/`` is missing. So equiview reads the two files itself, with the weights-only unpickler
(:func:`equiview.core.checkpoints.read_torch_file`), and never downloads anything:

``processed/data_v3.pt``
    what ``QM9(root)`` writes: ``(data.to_dict(), slices, Data)``, one flat store plus slice offsets, the
    same layout as ``QM9Molecules``. The only class the file may name is PyG's ``Data``.
``raw/qm9_v3.pt``
    PyG's pre-processed download: a list of per-molecule dicts of tensors (no classes at all).

Bonds are PyG's (RDKit's, from QM9's SDF file), not re-inferred; positions carry the SDF's 4 decimals.
The original ``gdb9.sdf`` files need RDKit processing, which only PyG itself does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from equiview.core.checkpoints import CheckpointError, read_torch_file
from equiview.core.data.cache import cache_dir
from equiview.core.data.errors import DataSourceError
from equiview.core.data.molecules import QM9Molecules
from equiview.core.data.targets import NUM_TARGETS

PROCESSED_FILE = Path("processed") / "data_v3.pt"
PREPROCESSED_RAW_FILE = Path("raw") / "qm9_v3.pt"
ORIGINAL_RAW_FILE = Path("raw") / "gdb9.sdf"
MAX_ATOMS_PER_MOLECULE = 255  # bonds are stored as uint8 local atom numbers; QM9 has at most 29 atoms


def default_pyg_root() -> Path:
    """``<cache>/pyg_qm9``: where the ``pyg`` source looks when no root is given."""
    return cache_dir() / "pyg_qm9"


def _tensor(value: Any, what: str, path: Path, ndim: int) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or value.dim() != ndim:
        raise DataSourceError(f"{path}: {what} must be a {ndim}-D tensor, got {type(value).__name__}")
    return value


def _names(value: Any, count: int, path: Path) -> np.ndarray:
    names = value if isinstance(value, (list, tuple)) else [value]
    if len(names) != count or not all(isinstance(name, str) for name in names):
        raise DataSourceError(f"{path}: 'name' must list one gdb_N name per molecule")
    try:
        return np.array([int(name.rsplit("_", 1)[-1]) for name in names], dtype=np.int64)
    except ValueError:
        raise DataSourceError(f"{path}: molecule names must look like gdb_N") from None


def _molecules(path: Path, z, pos, atom_ptr, edge_index, bond_ptr, y, qm9_index) -> QM9Molecules:
    """Check PyG's arrays, then build (and check) the molecule set."""
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= MAX_ATOMS_PER_MOLECULE):
        raise DataSourceError(f"{path}: bond atom numbers must lie in 0..{MAX_ATOMS_PER_MOLECULE - 1}")
    if z.numel() and (int(z.min()) < 0 or int(z.max()) > 255):
        raise DataSourceError(f"{path}: atomic numbers must lie in 1..255")
    try:
        molecules = QM9Molecules(
            z.to(torch.uint8),
            pos.to(torch.float32),
            atom_ptr,
            edge_index.t().to(torch.uint8),
            bond_ptr,
            y.reshape(-1, NUM_TARGETS).to(torch.float32),
            qm9_index,
            source="pyg",
        )
        molecules.check_contents()
    except (ValueError, RuntimeError) as error:
        raise DataSourceError(f"{path}: unexpected layout ({str(error).splitlines()[0][:200]})") from None
    return molecules


def _read(path: Path, allowed_globals: tuple = ()) -> Any:
    try:
        return read_torch_file(path, allowed_globals)
    except CheckpointError as error:  # the message already names the file
        raise DataSourceError(str(error)) from None


def read_processed(path: Path) -> QM9Molecules:
    """PyG's ``processed/data_v3.pt``: ``(store dict, slices, Data)``."""
    from torch_geometric.data import Data

    content = _read(path, (Data,))
    if not (isinstance(content, tuple) and len(content) in (2, 3) and isinstance(content[1], Mapping)):
        raise DataSourceError(f"{path}: not a PyG InMemoryDataset file (expected (data, slices[, class]))")
    store, slices = content[0], content[1]
    if len(content) == 3 and content[2] is not Data:
        raise DataSourceError(f"{path}: holds {content[2]!r:.60}, not PyG's Data")
    if not isinstance(store, Mapping):
        raise DataSourceError(f"{path}: written by a PyG older than 2.4; process the raw files again with a newer PyG")
    for key in ("z", "pos", "edge_index", "y", "name"):
        if key not in store:
            raise DataSourceError(f"{path}: the dataset has no field {key!r}")
    atom_ptr = _tensor(slices.get("z"), "slices['z']", path, 1).long()
    bond_ptr = _tensor(slices.get("edge_index"), "slices['edge_index']", path, 1).long()
    count = atom_ptr.numel() - 1
    return _molecules(
        path,
        _tensor(store["z"], "z", path, 1),
        _tensor(store["pos"], "pos", path, 2),
        atom_ptr,
        _tensor(store["edge_index"], "edge_index", path, 2),
        bond_ptr,
        _tensor(store["y"], "y", path, 2),
        _names(store["name"], count, path),
    )


def read_preprocessed(path: Path) -> QM9Molecules:
    """PyG's pre-processed download ``raw/qm9_v3.pt``: a list of per-molecule dicts of tensors."""
    records = _read(path)
    if not isinstance(records, list) or not records or not all(isinstance(r, Mapping) for r in records):
        raise DataSourceError(f"{path}: not PyG's pre-processed QM9 (expected a list of per-molecule dicts)")
    try:
        z = [_tensor(r["z"], "z", path, 1) for r in records]
        pos = [_tensor(r["pos"], "pos", path, 2) for r in records]
        edges = [_tensor(r["edge_index"], "edge_index", path, 2) for r in records]
        y = [_tensor(r["y"], "y", path, 2) for r in records]
        names = [r["name"] for r in records]
    except KeyError as error:
        raise DataSourceError(f"{path}: a molecule has no field {error.args[0]!r}") from None
    atom_ptr = torch.zeros(len(records) + 1, dtype=torch.long)
    torch.cumsum(torch.tensor([t.numel() for t in z]), 0, out=atom_ptr[1:])
    bond_ptr = torch.zeros(len(records) + 1, dtype=torch.long)
    torch.cumsum(torch.tensor([e.shape[1] if e.shape[0] == 2 else -1 for e in edges]), 0, out=bond_ptr[1:])
    if any(e.shape[0] != 2 for e in edges):
        raise DataSourceError(f"{path}: edge_index must have shape [2, E]")
    return _molecules(
        path,
        torch.cat(z),
        torch.cat(pos),
        atom_ptr,
        torch.cat(edges, dim=1),
        bond_ptr,
        torch.cat(y),
        _names(names, len(records), path),
    )


def load_pyg(root: str | os.PathLike | None = None, filtered: bool = True, max_heavy_atoms: int = 8) -> QM9Molecules:
    """QM9 from PyG's files under ``root`` as :class:`QM9Molecules` (same order as PyG).

    ``filtered=True`` keeps molecules with at most ``max_heavy_atoms`` heavy atoms. Nothing is downloaded and
    no file is unpickled beyond tensors, builtin containers and PyG's ``Data`` class.
    """
    root = Path(root) if root is not None else default_pyg_root()
    if (root / PROCESSED_FILE).is_file():
        molecules = read_processed(root / PROCESSED_FILE)
    elif (root / PREPROCESSED_RAW_FILE).is_file():
        molecules = read_preprocessed(root / PREPROCESSED_RAW_FILE)
    elif (root / ORIGINAL_RAW_FILE).is_file():
        raise DataSourceError(
            f"{root}: only the original {ORIGINAL_RAW_FILE} is there; equiview reads {PROCESSED_FILE} or "
            f"{PREPROCESSED_RAW_FILE} (let PyG process the folder first, or use --source qm9pack)"
        )
    else:
        raise DataSourceError(
            f"no PyG QM9 files under {root} (expected {PROCESSED_FILE} or {PREPROCESSED_RAW_FILE}); "
            "equiview never downloads: use --source bundled or qm9pack"
        )
    return molecules.filter_heavy_atoms(max_heavy_atoms) if filtered else molecules
