"""The ``.npz`` file format for ``QM9Molecules`` and the bundled filtered QM9.

A bundle is a zip of ``.npy`` arrays, readable with ``np.load(path, allow_pickle=False)``:

============================  =========  ==============================================
array                         dtype      meaning
============================  =========  ==============================================
``z``                         uint8      [A] atomic numbers, molecules back to back
``pos``                       float32    [A, 3] positions in Å
``atom_ptr``                  int32      [N+1] molecule i owns atoms atom_ptr[i]:atom_ptr[i+1]
``bonds``                     uint8      [E, 2] directed bonds, local atom numbers
``bond_ptr``                  int32      [N+1] molecule i owns bonds bond_ptr[i]:bond_ptr[i+1]
``y``                         float32    [N, 19] targets in PyG's order and units
``qm9_index``                 int32      [N] QM9 molecule number (gdb_N)
``molecules_before_filter``   int64      scalar, molecules in the source before filtering
``format_version``            int32      scalar, currently 1
``source``                    str        scalar, where the molecules came from
``source_stamp``              str        scalar, identifies the source files (caches)
============================  =========  ==============================================

Bonds are stored, not recomputed on load. :func:`save_bundle` writes byte-identical
files for identical data (fixed zip timestamps), so a regenerated bundle diffs clean.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from core.assets import bundle_path
from core.data.errors import DataSourceError
from core.data.molecules import QM9Molecules

FORMAT_VERSION = 1
BUNDLE_PATH = bundle_path()
"""The filtered QM9 (21,800 molecules with at most 8 heavy atoms) shipped with equiview (see ``core.assets``)."""

_REQUIRED = ("z", "pos", "atom_ptr", "bonds", "bond_ptr", "y", "qm9_index")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _arrays_of(ds: QM9Molecules, source_stamp: str) -> dict[str, np.ndarray]:
    return {
        "z": ds.z.numpy().astype(np.uint8),
        "pos": ds.pos.numpy().astype(np.float32),
        "atom_ptr": ds.atom_ptr.numpy().astype(np.int32),
        "bonds": ds.bonds.numpy().astype(np.uint8),
        "bond_ptr": ds.bond_ptr.numpy().astype(np.int32),
        "y": ds.y.numpy().astype(np.float32),
        "qm9_index": ds.qm9_index.numpy().astype(np.int32),
        "molecules_before_filter": np.array(ds.molecules_before_filter, dtype=np.int64),
        "format_version": np.array(FORMAT_VERSION, dtype=np.int32),
        "source": np.array(ds.source),
        "source_stamp": np.array(source_stamp),
    }


def save_bundle(ds: QM9Molecules, path: str | os.PathLike, *, compresslevel: int = 9, source_stamp: str = "") -> Path:
    """Write ``ds`` to ``path`` as a deterministic compressed ``.npz``; returns the path.

    The file is written next to its destination first and then moved into place, so a
    crash never leaves half a bundle behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".partial-{os.getpid()}")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for name, array in _arrays_of(ds, source_stamp).items():
                buffer = io.BytesIO()
                # np.ascontiguousarray would turn 0-d scalars into shape [1]; np.require keeps them.
                np.lib.format.write_array(buffer, np.require(array, requirements="C"), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, buffer.getvalue(), compresslevel=compresslevel)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return path


def read_bundle_metadata(path: str | os.PathLike) -> dict:
    """The scalar metadata of a bundle (no molecule arrays are decompressed)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {
                "format_version": int(npz["format_version"].item()) if "format_version" in npz.files else None,
                "molecules_before_filter": int(npz["molecules_before_filter"].item())
                if "molecules_before_filter" in npz.files
                else None,
                "source": str(npz["source"].item()) if "source" in npz.files else "",
                "source_stamp": str(npz["source_stamp"].item()) if "source_stamp" in npz.files else "",
            }
    except FileNotFoundError:
        raise DataSourceError(f"bundle not found: {path}") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DataSourceError(f"cannot read bundle {path}: {error}") from None


def load_bundle(path: str | os.PathLike = BUNDLE_PATH) -> QM9Molecules:
    """Read a bundle written by :func:`save_bundle` (``allow_pickle=False``).

    Raises :class:`DataSourceError` with a one-line message for a missing, truncated or
    foreign file.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [name for name in _REQUIRED if name not in npz.files]
            if missing:
                raise DataSourceError(f"{path} is not an equiview bundle: missing arrays {', '.join(missing)}")
            version = int(npz["format_version"].item()) if "format_version" in npz.files else FORMAT_VERSION
            if version > FORMAT_VERSION:
                raise DataSourceError(
                    f"{path} uses bundle format {version}; this equiview reads up to {FORMAT_VERSION}"
                )
            arrays = {name: npz[name] for name in _REQUIRED}
            before = int(npz["molecules_before_filter"].item()) if "molecules_before_filter" in npz.files else None
            source = str(npz["source"].item()) if "source" in npz.files else "bundle"
    except FileNotFoundError:
        raise DataSourceError(f"bundle not found: {path} (regenerate it with `equiview data bundle`)") from None
    except DataSourceError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise DataSourceError(f"cannot read bundle {path}: {type(error).__name__}: {error}") from None
    try:
        return QM9Molecules(
            arrays["z"],
            arrays["pos"],
            arrays["atom_ptr"].astype(np.int64),
            arrays["bonds"],
            arrays["bond_ptr"].astype(np.int64),
            arrays["y"],
            arrays["qm9_index"].astype(np.int64),
            molecules_before_filter=before,
            source=source,
        )
    except ValueError as error:
        raise DataSourceError(f"{path} is inconsistent: {error}") from None


def build_bundle(out_path: str | os.PathLike = BUNDLE_PATH) -> Path:
    """Regenerate the bundled filtered QM9 from qm9pack; returns the written path.

    Parses (or reuses the cached conversion of) all 130,831 qm9pack molecules, keeps those
    with at most 8 heavy atoms (21,800) and writes them with :func:`save_bundle`. The
    output bytes depend only on the qm9pack data, not on when or where this runs.
    """
    from core.data.qm9pack_source import load_qm9pack  # deferred: needs qm9pack only here

    filtered = load_qm9pack(filtered=True)
    filtered.source = "qm9pack"
    return save_bundle(filtered, out_path)
