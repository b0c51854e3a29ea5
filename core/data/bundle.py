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
``content_sha256``            str        scalar, SHA-256 of all the arrays above (:func:`content_sha256`)
============================  =========  ==============================================

Bonds are stored, not recomputed on load. :func:`save_bundle` writes byte-identical
files for identical data (fixed zip timestamps), so a regenerated bundle diffs clean.

A bundle is untrusted input like any file: :func:`load_bundle` checks every member's declared size and
``.npy`` header before decompressing it (no zip bombs, no header claiming billions of rows), lets zipfile
verify the CRC-32s, checks the contents (:meth:`QM9Molecules.check_contents`), for the shipped file its
SHA-256 (:data:`BUNDLE_SHA256`) and for any other its recorded content hash (bundles written before it was
recorded have none). Every message names the file.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from equiview.core.assets import bundle_path
from equiview.core.atomic import atomic_write
from equiview.core.data.errors import DataSourceError
from equiview.core.zip_errors import ZIP_READ_ERRORS

if TYPE_CHECKING:  # the reader below needs only numpy: the viewer draws its first frame before torch loads
    from equiview.core.data.molecules import QM9Molecules

FORMAT_VERSION = 1
BUNDLE_PATH = bundle_path()
"""The filtered QM9 (21,800 molecules with at most 8 heavy atoms) shipped with equiview (see ``equiview.core.assets``)."""

BUNDLE_SHA256 = "f82455956efa8f60a6d3dcb8cfecfa9373fc6d6bf71105d93e306b32828fcdff"
"""SHA-256 of the shipped bundle (assets/README.md); regenerating it from qm9pack 1.0.3 gives the same bytes."""
MAX_BUNDLE_BYTES = 1 << 30
"""Largest total uncompressed size accepted (all of QM9, unfiltered, is about 40 MB)."""

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


def content_sha256(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes, in name order (``content_sha256`` left out).

    Recorded in each bundle when it is written and compared when it is read: damage the zip's CRC-32s
    cannot see (a member rewritten with a valid CRC) or a bundle edited by hand is named, not loaded.
    """
    digest = hashlib.sha256()
    for name in sorted(arrays):
        if name == "content_sha256":
            continue
        array = np.require(arrays[name], requirements="C")
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_bundle(ds: QM9Molecules, path: str | os.PathLike, *, compresslevel: int = 9, source_stamp: str = "") -> Path:
    """Write ``ds`` to ``path`` as a deterministic compressed ``.npz``; returns the path.

    The file is written next to its destination first and then moved into place, so a
    crash never leaves half a bundle behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = _arrays_of(ds, source_stamp)
    arrays["content_sha256"] = np.array(content_sha256(arrays))
    with atomic_write(path, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            # np.ascontiguousarray would turn 0-d scalars into shape [1]; np.require keeps them.
            np.lib.format.write_array(buffer, np.require(array, requirements="C"), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=compresslevel)
    return path


def read_bundle_metadata(path: str | os.PathLike) -> dict:
    """The scalar metadata of a bundle (no molecule arrays are decompressed)."""
    path = Path(path)
    try:
        _check_members(path)
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
    except DataSourceError:
        raise
    except ZIP_READ_ERRORS as error:
        raise DataSourceError(f"cannot read bundle {path}: {_first_line(error)}") from None


def read_bundle_arrays(path: str | os.PathLike = BUNDLE_PATH) -> tuple[dict[str, np.ndarray], int | None, str]:
    """The arrays of a bundle written by :func:`save_bundle` (numpy only, ``allow_pickle=False``).

    Returns ``(arrays, molecules_before_filter, source)``; ``arrays`` holds ``z``, ``pos``,
    ``atom_ptr`` and ``bond_ptr`` (int64), ``bonds``, ``y`` and ``qm9_index`` (int64). Raises
    :class:`DataSourceError` with a one-line message for a missing, truncated or foreign file.
    """
    path = Path(path)
    try:
        _check_members(path)
        if _is_shipped(path):
            _check_sha256(path)
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
            if "content_sha256" in npz.files and not _is_shipped(path):  # the shipped file's hash is checked above
                _check_content(path, npz, arrays)
            before = int(npz["molecules_before_filter"].item()) if "molecules_before_filter" in npz.files else None
            source = str(npz["source"].item()) if "source" in npz.files else "bundle"
    except FileNotFoundError:
        raise DataSourceError(f"bundle not found: {path} (regenerate it with `equiview data bundle`)") from None
    except DataSourceError:
        raise
    except MemoryError:
        raise DataSourceError(f"cannot read bundle {path}: an array does not fit in memory") from None
    except (*ZIP_READ_ERRORS, KeyError) as error:
        raise DataSourceError(f"cannot read bundle {path}: {type(error).__name__}: {_first_line(error)}") from None
    for name in ("atom_ptr", "bond_ptr", "qm9_index"):
        arrays[name] = arrays[name].astype(np.int64)
    return arrays, before, source


def load_bundle(path: str | os.PathLike = BUNDLE_PATH) -> QM9Molecules:
    """Read a bundle written by :func:`save_bundle` (``allow_pickle=False``).

    Raises :class:`DataSourceError` with a one-line message for a missing, truncated or
    foreign file.
    """
    from equiview.core.data.molecules import QM9Molecules

    path = Path(path)
    arrays, before, source = read_bundle_arrays(path)
    try:
        molecules = QM9Molecules(
            arrays["z"],
            arrays["pos"],
            arrays["atom_ptr"],
            arrays["bonds"],
            arrays["bond_ptr"],
            arrays["y"],
            arrays["qm9_index"],
            molecules_before_filter=before,
            source=source,
        )
        molecules.check_contents()
    except (ValueError, RuntimeError) as error:
        raise DataSourceError(f"{path} is inconsistent: {_first_line(error)}") from None
    return molecules


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def _is_shipped(path: Path) -> bool:
    try:
        return path.resolve() == BUNDLE_PATH.resolve()
    except (OSError, RuntimeError):
        return False


def _check_sha256(path: Path) -> None:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != BUNDLE_SHA256:
        raise DataSourceError(
            f"{path} is damaged: its SHA-256 is {digest.hexdigest()[:12]}..., the shipped bundle's "
            f"{BUNDLE_SHA256[:12]}... (reinstall equiview or regenerate it with `equiview data bundle`)"
        )


def _check_content(path: Path, npz, read: dict[str, np.ndarray]) -> None:
    """Compare the recorded content hash; ``read`` holds the arrays already decompressed (not read twice)."""
    recorded = str(npz["content_sha256"].item())
    actual = content_sha256({name: read[name] if name in read else npz[name] for name in npz.files})
    if actual != recorded:
        raise DataSourceError(
            f"{path} is damaged: its arrays hash to {actual[:12]}..., not to the {recorded[:12]}... recorded when it "
            "was written (regenerate it with `equiview data bundle`)"
        )


def _npy_header(member, where: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from an ``.npy`` header, or :class:`DataSourceError` for a damaged one."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member, max_header_size=10_000)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member, max_header_size=10_000)
        else:
            raise DataSourceError(f"{where} has npy format version {version}; expected 1.0 or 2.0")
    except DataSourceError:
        raise
    except Exception as error:  # noqa: BLE001 - numpy parses the header with ast: SyntaxError, TokenError, ...
        raise DataSourceError(f"{where} has a damaged npy header ({type(error).__name__})") from None
    return shape, dtype


def _check_members(path: Path) -> None:
    """Before decompressing anything: sizes must be bounded and every ``.npy`` header must match its member.

    A crafted bundle can declare a member that inflates to gigabytes, or an ``.npy`` header whose shape
    needs far more bytes than the member holds (numpy would allocate the array first).
    """
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > MAX_BUNDLE_BYTES:
            raise DataSourceError(f"cannot read bundle {path}: its members claim {total:,} bytes uncompressed")
        for info in infos:
            if not info.filename.endswith(".npy"):
                continue
            with archive.open(info) as member:
                shape, dtype = _npy_header(member, f"{path}: {info.filename}")
                needed = int(np.prod(shape, dtype=object)) * dtype.itemsize
                if dtype.hasobject or needed > info.file_size:
                    raise DataSourceError(
                        f"cannot read bundle {path}: {info.filename} claims shape {list(shape)} "
                        f"({needed:,} bytes) in a {info.file_size:,}-byte member"
                    )


def build_bundle(out_path: str | os.PathLike = BUNDLE_PATH) -> Path:
    """Regenerate the bundled filtered QM9 from qm9pack; returns the written path.

    Parses (or reuses the cached conversion of) all 130,831 qm9pack molecules, keeps those
    with at most 8 heavy atoms (21,800) and writes them with :func:`save_bundle`. The
    output bytes depend only on the qm9pack data, not on when or where this runs.
    """
    from equiview.core.data.qm9pack_source import load_qm9pack  # deferred: needs qm9pack only here

    filtered = load_qm9pack(filtered=True)
    filtered.source = "qm9pack"
    return save_bundle(filtered, out_path)
