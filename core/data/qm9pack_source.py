"""QM9 from the ``qm9pack`` package's CSV files (all 130,831 characterized molecules).

qm9pack ships QM9 as three CSV files (``qm9_part{1,2,3}.csv``). The first load parses
them with the stdlib ``csv`` module, converts units to PyG's, infers covalent bonds from
geometry (``equiview.core.data.bonds``) and caches the result as a bundle-format ``.npz`` in
``equiview.core.data.cache.cache_dir()``; later loads read the cache (about a second).

The package is located with ``importlib.util.find_spec`` rather than imported, because
importing qm9pack pulls in pandas and setuptools.
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import os
from pathlib import Path

import numpy as np

from equiview.core.data.bonds import infer_bonds_flat
from equiview.core.data.bundle import FORMAT_VERSION, load_bundle, read_bundle_metadata, save_bundle
from equiview.core.data.cache import cache_dir
from equiview.core.data.errors import DataSourceError
from equiview.core.data.molecules import QM9Molecules
from equiview.core.data.targets import ATOM_REFERENCE_HARTREE, HARTREE_TO_EV, NUM_TARGETS
from equiview.core.elements import atomic_number

QM9PACK_MISSING = "qm9pack is not installed: pip install 'equiview[qm9]'"
CSV_NAMES = ("qm9_part1.csv", "qm9_part2.csv", "qm9_part3.csv")
CACHE_REVISION = 1  # bump when the conversion below changes, to invalidate old caches

# (CSV column, factor) for y[:, 0..11] and y[:, 16..18]; columns 12..15 are derived.
_DIRECT_TARGETS: tuple[tuple[int, str, float], ...] = (
    (0, "Dipole_debye", 1.0),
    (1, "Polarizability_bohr3", 1.0),
    (2, "HOMO_au", HARTREE_TO_EV),
    (3, "LUMO_au", HARTREE_TO_EV),
    (4, "HOMO_LUMO_gap_au", HARTREE_TO_EV),
    (5, "R2_bohr2", 1.0),
    (6, "ZPVE_au", HARTREE_TO_EV),
    (7, "InternalEnergy_0K_au", HARTREE_TO_EV),
    (8, "InternalEnergy_298K_au", HARTREE_TO_EV),
    (9, "Enthalphy_298K_au", HARTREE_TO_EV),
    (10, "GibbsFreeEnergy_298K_au", HARTREE_TO_EV),
    (11, "Heatcapacity_Cv_cal_mol_K", 1.0),
    (16, "RotA_GHz", 1.0),
    (17, "RotB_GHz", 1.0),
    (18, "RotC_GHz", 1.0),
)
# Atomization energy k (12..15) = total energy in Hartree (U0, U, H, G) minus atom references.
_ATOMIZATION_FROM = {
    12: "InternalEnergy_0K_au",
    13: "InternalEnergy_298K_au",
    14: "Enthalphy_298K_au",
    15: "GibbsFreeEnergy_298K_au",
}
_NEEDED = ("Index", "N_atoms", "Elements", "XYZ_Ang") + tuple(c for _, c, _ in _DIRECT_TARGETS)


def qm9pack_data_dir() -> Path:
    """Folder holding the installed qm9pack CSVs; ``DataSourceError`` when qm9pack is absent."""
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or not spec.submodule_search_locations:
        raise DataSourceError(QM9PACK_MISSING)
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def qm9pack_csv_paths(root: str | os.PathLike | None = None) -> list[Path]:
    """The three CSV files, from ``root`` when given, else from the installed qm9pack."""
    folder = Path(root) if root is not None else qm9pack_data_dir()
    paths = [folder / name for name in CSV_NAMES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise DataSourceError(f"qm9pack CSV files missing in {folder}: {', '.join(missing)}")
    return paths


def _numbers(text: str, expected: int, what: str) -> np.ndarray:
    """Parse comma-separated floats (``0.`` and ``1.`` included) and check their count."""
    values = np.array(text.split(","), dtype=np.float64) if text else np.zeros(0)
    if values.size != expected:
        raise DataSourceError(f"qm9pack CSV is malformed: expected {expected} {what} values, found {values.size}")
    return values


def parse_qm9pack_csv(paths: list[Path], max_rows: int | None = None) -> QM9Molecules:
    """Parse qm9pack CSV files into ``QM9Molecules`` sorted by QM9 index (no filter).

    ``max_rows`` stops after that many molecules in file order (for quick tests).
    """
    indices, counts, elements, xyz, properties = [], [], [], [], []
    remaining = max_rows
    for path in paths:
        if remaining is not None and remaining <= 0:
            break
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DataSourceError(f"qm9pack CSV {path} is empty")
            missing = [name for name in _NEEDED if name not in header]
            if missing:
                raise DataSourceError(f"qm9pack CSV {path} lacks columns: {', '.join(missing)}")
            col = {name: header.index(name) for name in _NEEDED}
            c_index, c_count, c_elements, c_xyz = col["Index"], col["N_atoms"], col["Elements"], col["XYZ_Ang"]
            c_props = [col[name] for _, name, _ in _DIRECT_TARGETS]
            for row in reader:
                if remaining is not None:
                    if remaining <= 0:
                        break
                    remaining -= 1
                indices.append(row[c_index])
                counts.append(row[c_count])
                elements.append(row[c_elements])
                xyz.append(row[c_xyz])
                properties.append(",".join([row[c] for c in c_props]))

    n = len(indices)
    if n == 0:
        raise DataSourceError("qm9pack CSV files hold no molecules")
    qm9_index = np.array(indices, dtype=np.int64)
    num_atoms = np.array(counts, dtype=np.int64)
    total_atoms = int(num_atoms.sum())

    # One big string per column instead of per-row parsing: brackets and quotes go,
    # commas stay (rows are joined by commas too), then a single split.
    symbols = ",".join(elements).translate(str.maketrans("", "", "[]'\" ")).split(",")
    if len(symbols) != total_atoms:
        raise DataSourceError(f"qm9pack CSV is malformed: N_atoms sums to {total_atoms}, Elements lists {len(symbols)}")
    try:
        z_of = {s: atomic_number(s) for s in set(symbols)}
    except KeyError as error:
        raise DataSourceError(f"qm9pack CSV is malformed: {error.args[0]}") from None
    z = np.array([z_of[s] for s in symbols], dtype=np.uint8)
    pos = _numbers(",".join(xyz).translate(str.maketrans("", "", "[] ")), 3 * total_atoms, "coordinate")
    pos = pos.reshape(total_atoms, 3)
    raw = _numbers(",".join(properties), n * len(_DIRECT_TARGETS), "property").reshape(n, len(_DIRECT_TARGETS))

    atom_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(num_atoms, out=atom_ptr[1:])
    y = _targets(raw, z, atom_ptr)
    bonds, bond_ptr = infer_bonds_flat(z, pos.astype(np.float32), atom_ptr)
    molecules = QM9Molecules(
        z, pos.astype(np.float32), atom_ptr, bonds, bond_ptr, y, qm9_index, molecules_before_filter=n, source="qm9pack"
    )
    if len(np.unique(qm9_index)) != n:
        raise DataSourceError("qm9pack CSV is malformed: duplicate molecule indices")
    if np.any(np.diff(qm9_index) < 0):
        molecules = molecules.subset(np.argsort(qm9_index, kind="stable"))
    return molecules


def _targets(raw: np.ndarray, z: np.ndarray, atom_ptr: np.ndarray) -> np.ndarray:
    """Convert the CSV's properties to PyG's 19 targets (float64 arithmetic, float32 out)."""
    n = raw.shape[0]
    y = np.zeros((n, NUM_TARGETS), dtype=np.float64)
    column = {name: k for k, (_, name, _) in enumerate(_DIRECT_TARGETS)}
    for target, name, factor in _DIRECT_TARGETS:
        y[:, target] = raw[:, column[name]] * factor
    unknown = sorted(set(np.unique(z).tolist()) - set(ATOM_REFERENCE_HARTREE))
    if unknown:
        raise DataSourceError(f"no QM9 atom reference energy for atomic number(s) {unknown}")
    references = np.zeros((int(z.max()) + 1, 4))
    for element, values in ATOM_REFERENCE_HARTREE.items():
        if element < references.shape[0]:
            references[element] = values
    per_atom = references[z]  # [A, 4]
    csum = np.zeros((per_atom.shape[0] + 1, 4))
    np.cumsum(per_atom, axis=0, out=csum[1:])
    reference_sum = csum[atom_ptr[1:]] - csum[atom_ptr[:-1]]  # [N, 4]
    for k, (target, name) in enumerate(_ATOMIZATION_FROM.items()):
        y[:, target] = (raw[:, column[name]] - reference_sum[:, k]) * HARTREE_TO_EV
    return y.astype(np.float32)


def _source_stamp(paths: list[Path], max_rows: int | None) -> str:
    """Identifies the input: qm9pack version, file sizes and times, row limit, conversion revision."""
    try:
        version = importlib.metadata.version("qm9pack")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    files = ";".join(f"{p.resolve()}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in paths)
    return f"qm9pack={version};rev={CACHE_REVISION};format={FORMAT_VERSION};rows={max_rows};{files}"


def qm9pack_cache_path(max_rows: int | None = None) -> Path:
    """Cache file of the (unfiltered) conversion; row-limited conversions get their own file."""
    suffix = "" if max_rows is None else f"-rows{int(max_rows)}"
    return cache_dir() / f"qm9pack-r{CACHE_REVISION}{suffix}.npz"


def convert_qm9pack(
    root: str | os.PathLike | None = None, max_rows: int | None = None, out_path: str | os.PathLike | None = None
) -> Path:
    """Parse the qm9pack CSVs and write the processed cache; returns the cache path."""
    paths = qm9pack_csv_paths(root)
    molecules = parse_qm9pack_csv(paths, max_rows=max_rows)
    target = Path(out_path) if out_path is not None else qm9pack_cache_path(max_rows)
    try:
        # Level 1: the cache is private and rewritten rarely; fast writing matters more than size.
        return save_bundle(molecules, target, compresslevel=1, source_stamp=_source_stamp(paths, max_rows))
    except OSError as error:
        raise DataSourceError(f"cannot write the qm9pack cache {target}: {error}") from None


def load_qm9pack(
    filtered: bool = True, root: str | os.PathLike | None = None, max_rows: int | None = None, max_heavy_atoms: int = 8
) -> QM9Molecules:
    """QM9 from qm9pack, converted once and then read from the cache.

    ``filtered=True`` applies the tutorial's filter (at most ``max_heavy_atoms`` heavy
    atoms: 21,800 molecules); ``filtered=False`` gives all 130,831.
    """
    paths = qm9pack_csv_paths(root)
    stamp = _source_stamp(paths, max_rows)
    cache = qm9pack_cache_path(max_rows)
    fresh = False
    if cache.is_file():
        try:
            fresh = read_bundle_metadata(cache)["source_stamp"] == stamp
        except DataSourceError:
            fresh = False  # unreadable cache: convert again
    if not fresh:
        convert_qm9pack(root, max_rows=max_rows, out_path=cache)
    try:
        molecules = load_bundle(cache)
    except DataSourceError:
        if not fresh:
            raise  # just written and already unreadable: say so (the message names the file)
        # a damaged cache (a bad member behind valid metadata) is rebuilt once, automatically
        convert_qm9pack(root, max_rows=max_rows, out_path=cache)
        molecules = load_bundle(cache)
    molecules.source = "qm9pack"
    return molecules.filter_heavy_atoms(max_heavy_atoms) if filtered else molecules
