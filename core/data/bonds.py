"""Covalent bonds inferred from 3D geometry.

Rule: atoms i and j are bonded when their distance is below
``factor · (r_i + r_j)`` with ``factor = 1.15`` and ``r`` the Cordero et al. (2008)
covalent radius (``equiview.core.elements.COVALENT_RADII``). For QM9's equilibrium geometries
this reproduces every C-H, N-H and O-H bond (each H gets exactly one partner) and the
heavy-atom skeleton.

Distances are computed in float64 from the float32 positions the dataset stores, so the
same molecule gives the same bonds whichever source it came from.
"""

from __future__ import annotations

import numpy as np
import torch

from equiview.core.elements import COVALENT_RADII, MAX_Z

BOND_TOLERANCE = 1.15
"""Multiplier on the sum of covalent radii below which two atoms count as bonded."""

_RADII = np.asarray(COVALENT_RADII, dtype=np.float64)
_MAX_MOLECULES_PER_CHUNK = 4096  # bounds the [M, n, n] distance block to a few tens of MB
_MAX_PAIRS_PER_BLOCK = 1 << 20  # atom pairs per distance block of one large molecule (~25 MB of float64)


def _radii_of(z: np.ndarray) -> np.ndarray:
    if z.size and (int(z.min()) < 1 or int(z.max()) > MAX_Z):
        bad = int(z.max()) if int(z.max()) > MAX_Z else int(z.min())
        raise ValueError(f"atomic number {bad} has no covalent radius (supported: 1..{MAX_Z})")
    return _RADII[z]


def infer_bonds_flat(
    z: np.ndarray, pos: np.ndarray, atom_ptr: np.ndarray, factor: float = BOND_TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Bonds of many molecules stored back to back.

    ``z`` [A] atomic numbers, ``pos`` [A, 3] positions in Å and ``atom_ptr`` [N+1] the
    offsets of each molecule's atoms. Returns ``(bonds, bond_ptr)``: ``bonds`` [E, 2]
    int64 *local* atom indices of every directed bond (both directions), sorted by
    (source, target) inside each molecule, and ``bond_ptr`` [N+1] int64 offsets into it.

    Molecules of equal size are processed together as one [M, n, n] distance block, so
    the only Python loop is over distinct molecule sizes.
    """
    z = np.asarray(z).astype(np.int64, copy=False)
    pos = np.asarray(pos, dtype=np.float32).astype(np.float64)
    atom_ptr = np.asarray(atom_ptr, dtype=np.int64)
    if pos.ndim != 2 or pos.shape[1] != 3 or pos.shape[0] != z.shape[0]:
        raise ValueError(f"pos must have shape [{z.shape[0]}, 3], got {list(pos.shape)}")
    if atom_ptr.ndim != 1 or atom_ptr.size < 1 or atom_ptr[0] != 0 or atom_ptr[-1] != z.shape[0]:
        raise ValueError("atom_ptr must start at 0 and end at the number of atoms")
    radii = _radii_of(z)
    counts = np.diff(atom_ptr)
    num_molecules = counts.size

    found_molecule, found_source, found_target = [], [], []
    for n in np.unique(counts):
        if n < 2:
            continue
        molecules = np.flatnonzero(counts == n)
        offsets = np.arange(n)
        off_diagonal = ~np.eye(n, dtype=bool)
        # a large molecule (up to 5,000 atoms) is taken in blocks of source atoms: [1, b, n] instead of [1, n, n]
        block = n if n * n <= _MAX_PAIRS_PER_BLOCK else max(1, _MAX_PAIRS_PER_BLOCK // n)
        for start in range(0, molecules.size, _MAX_MOLECULES_PER_CHUNK if block == n else 1):
            chunk = molecules[start : start + (_MAX_MOLECULES_PER_CHUNK if block == n else 1)]
            atoms = atom_ptr[chunk][:, None] + offsets  # [M, n]
            xyz = pos[atoms]  # [M, n, 3]
            r = radii[atoms]
            for first in range(0, n, block):
                last = min(n, first + block)
                squared = ((xyz[:, first:last, None, :] - xyz[:, None, :, :]) ** 2).sum(-1)
                limit = factor * (r[:, first:last, None] + r[:, None, :])
                m, i, j = np.nonzero((squared < limit * limit) & off_diagonal[first:last])
                found_molecule.append(chunk[m])
                found_source.append(i + first)
                found_target.append(j)

    if found_molecule:
        molecule = np.concatenate(found_molecule)
        source = np.concatenate(found_source)
        target = np.concatenate(found_target)
    else:
        molecule = source = target = np.zeros(0, dtype=np.int64)
    # np.nonzero already yields (i, j) order inside a molecule; a stable sort on the
    # molecule id restores dataset order without disturbing it.
    order = np.argsort(molecule, kind="stable")
    bonds = np.stack([source[order], target[order]], axis=1).astype(np.int64)
    bond_ptr = np.zeros(num_molecules + 1, dtype=np.int64)
    np.cumsum(np.bincount(molecule, minlength=num_molecules), out=bond_ptr[1:])
    return bonds, bond_ptr


def infer_bonds(z, pos, factor: float = BOND_TOLERANCE) -> torch.Tensor:
    """Covalent bonds of one molecule as a PyG ``edge_index`` (LongTensor [2, E]).

    Bonded when ``d_ij < factor · (r_i + r_j)`` (Cordero covalent radii, factor 1.15).
    Both directions are listed, sorted by (source, target) like PyG's QM9.
    """
    z_np = torch.as_tensor(z).detach().cpu().numpy().reshape(-1)
    pos_np = torch.as_tensor(pos).detach().cpu().numpy()
    bonds, _ = infer_bonds_flat(z_np, pos_np, np.array([0, z_np.size]), factor)
    return torch.from_numpy(bonds.T.copy())


def unique_bonds(edge_index: torch.Tensor | np.ndarray) -> np.ndarray:
    """Every bond once, as ``int64 [m, 2]`` rows ``(i, j)`` with i < j in ascending order.

    ``edge_index`` [2, E] lists directed edges (both directions, as in ``Data.edge_index``);
    duplicates and self-loops are dropped. This is the list a viewer draws one stick for.
    """
    edges = edge_index.detach().cpu().numpy() if isinstance(edge_index, torch.Tensor) else np.asarray(edge_index)
    pairs = edges.reshape(2, -1).T.astype(np.int64)
    if pairs.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0)
