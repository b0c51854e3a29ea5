"""One entry point for every way of getting QM9: :func:`load_dataset`.

=============  ===============================================================
source         what it reads
=============  ===============================================================
``bundled``    ``assets/qm9_filtered.npz`` (default; 21,800 filtered molecules)
``qm9pack``    the qm9pack package's CSVs, converted once into the user cache
``pyg``        ``torch_geometric.datasets.QM9`` files under ``root``
=============  ===============================================================
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from equiview.core.data.errors import DataSourceError

if TYPE_CHECKING:
    from equiview.core.data.molecules import QM9Molecules

# Nothing heavy at module level: the command line reads SOURCES to build its parser, and the
# bundle/molecule modules import torch_geometric (seconds). load_dataset imports them when called.

SOURCES: tuple[str, ...] = ("bundled", "qm9pack", "pyg")
MAX_HEAVY_ATOMS = 8
"""The tutorial keeps molecules with fewer than 9 heavy (non-hydrogen) atoms."""

__all__ = ["SOURCES", "MAX_HEAVY_ATOMS", "DataSourceError", "load_dataset"]


def _bundle_file(root: str | os.PathLike | None) -> Path:
    from equiview.core.data.bundle import BUNDLE_PATH

    if root is None:
        return BUNDLE_PATH
    root = Path(root)
    return root / BUNDLE_PATH.name if root.is_dir() else root


def load_dataset(
    source: str = "bundled",
    root: str | os.PathLike | None = None,
    filtered: bool = True,
) -> QM9Molecules:
    """Load QM9 as :class:`QM9Molecules` in PyG's order (ascending QM9 index).

    ``filtered=True`` keeps the tutorial's 21,800 molecules with at most 8 heavy atoms;
    ``filtered=False`` keeps all 130,831 (not possible for ``bundled``, which only ships
    the filtered set). ``root`` means: for ``bundled`` another bundle file (or a folder
    holding ``qm9_filtered.npz``); for ``qm9pack`` a folder with the three qm9pack CSVs
    (default: the installed package); for ``pyg`` PyG's dataset folder (default:
    ``<cache>/pyg_qm9``). Nothing is ever downloaded.

    Every failure is a :class:`DataSourceError` with a one-line message.
    """
    name = str(source).strip().lower()
    if name == "bundled":
        from equiview.core.data.bundle import load_bundle

        if not filtered:
            raise DataSourceError(
                "the bundled set only holds the 21,800 filtered molecules; use source='qm9pack' for all 130,831"
            )
        molecules = load_bundle(_bundle_file(root))
        molecules.source = "bundled"
        return molecules
    if name == "qm9pack":
        from equiview.core.data.qm9pack_source import load_qm9pack

        return load_qm9pack(filtered=filtered, root=root, max_heavy_atoms=MAX_HEAVY_ATOMS)
    if name == "pyg":
        from equiview.core.data.pyg_source import load_pyg

        return load_pyg(root, filtered=filtered, max_heavy_atoms=MAX_HEAVY_ATOMS)
    raise DataSourceError(f"unknown data source {source!r}: choose one of {', '.join(SOURCES)}")
