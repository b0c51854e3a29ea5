"""QM9 through ``torch_geometric.datasets.QM9`` (PyG's own files), with the tutorial's filter.

PyG keeps its processed dataset as one flat store plus slice offsets, the same layout as
``QM9Molecules``, so the conversion is a handful of tensor copies. Bonds are PyG's
(RDKit's, from QM9's SDF file), not re-inferred; positions carry the SDF's 4 decimals.

Without local files nothing is downloaded unless ``download=True``: a missing dataset is
reported at once instead of waiting for a network that may not be there.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from core.data.cache import cache_dir
from core.data.errors import DataSourceError
from core.data.molecules import QM9Molecules
from core.data.targets import NUM_TARGETS

# Files QM9(root) can start from: its processed file, the pre-processed download (no
# RDKit installed) or the original QM9 files (RDKit installed).
PROCESSED_FILE = Path("processed") / "data_v3.pt"
PREPROCESSED_RAW_FILE = Path("raw") / "qm9_v3.pt"
ORIGINAL_RAW_FILES = (Path("raw") / "gdb9.sdf", Path("raw") / "gdb9.sdf.csv", Path("raw") / "uncharacterized.txt")


def default_pyg_root() -> Path:
    """``<cache>/pyg_qm9``: where the ``pyg`` source looks when no root is given."""
    return cache_dir() / "pyg_qm9"


def _has_local_files(root: Path) -> bool:
    if (root / PROCESSED_FILE).is_file() or (root / PREPROCESSED_RAW_FILE).is_file():
        return True
    return all((root / f).is_file() for f in ORIGINAL_RAW_FILES)


def _qm9_class(root: Path):
    """PyG's ``QM9``, or a subclass that starts from the pre-processed file unless QM9's original files are there.

    With RDKit installed (equiview needs it for SMILES) PyG's ``QM9`` insists on the original SDF files and would
    download them even next to the pre-processed ``qm9_v3.pt``.
    """
    from torch_geometric.datasets import QM9

    if all((root / f).is_file() for f in ORIGINAL_RAW_FILES):
        return QM9

    class PreprocessedQM9(QM9):
        @property
        def raw_file_names(self) -> list[str]:
            return [PREPROCESSED_RAW_FILE.name]

        def download(self) -> None:
            from torch_geometric.data import download_url, extract_zip

            path = download_url(self.processed_url, self.raw_dir)
            extract_zip(path, self.raw_dir)
            os.unlink(path)

        def process(self) -> None:
            from torch_geometric.data import Data
            from torch_geometric.io import fs

            self.save([Data(**record) for record in fs.torch_load(self.raw_paths[0])], self.processed_paths[0])

    return PreprocessedQM9


def _open_pyg_qm9(root: Path, download: bool):
    if not _has_local_files(root) and not download:
        raise DataSourceError(
            f"no PyG QM9 files under {root} (expected {PROCESSED_FILE} or {PREPROCESSED_RAW_FILE}); "
            "pass download=True with network access, or use source='bundled'"
        )
    try:
        return _qm9_class(root)(str(root))
    except DataSourceError:
        raise
    except Exception as error:  # noqa: BLE001 - download and unpickling failures come in many types
        message = str(error).splitlines()[0] if str(error) else ""
        raise DataSourceError(f"cannot load PyG QM9 from {root}: {type(error).__name__}: {message}") from None


def load_pyg(
    root: str | os.PathLike | None = None, filtered: bool = True, download: bool = False, max_heavy_atoms: int = 8
) -> QM9Molecules:
    """QM9 from PyG's files under ``root`` as :class:`QM9Molecules` (same order as PyG).

    ``filtered=True`` keeps molecules with at most ``max_heavy_atoms`` heavy atoms.
    """
    root = Path(root) if root is not None else default_pyg_root()
    dataset = _open_pyg_qm9(root, download)
    store, slices = dataset._data, dataset.slices
    try:
        names = store.name if isinstance(store.name, (list, tuple)) else [store.name]
        qm9_index = np.array([int(str(name).rsplit("_", 1)[-1]) for name in names], dtype=np.int64)
        molecules = QM9Molecules(
            store.z.to(torch.uint8),
            store.pos.to(torch.float32),
            slices["z"],
            store.edge_index.t().to(torch.uint8),
            slices["edge_index"],
            store.y.reshape(-1, NUM_TARGETS).to(torch.float32),
            qm9_index,
            source="pyg",
        )
    except (AttributeError, KeyError, ValueError, RuntimeError) as error:
        raise DataSourceError(f"PyG QM9 under {root} has an unexpected layout: {error}") from None
    return molecules.filter_heavy_atoms(max_heavy_atoms) if filtered else molecules
