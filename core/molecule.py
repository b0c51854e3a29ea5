"""One molecule from outside QM9 (a file or a SMILES), as plain arrays.

QM9 molecules come from :class:`equiview.core.data.molecules.QM9Molecules`; a user's molecule is a :class:`Molecule`,
which turns into the same kind of PyG ``Data`` (``z``, ``pos``, ``edge_index`` of its bonds, ``name``) without
QM9's targets, so the models and the viewer treat both alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equiview.core.elements import MAX_Z, formula

MAX_ATOMS = 5000
"""The largest molecule equiview reads from a file and shows: a ligand in its pocket or a small protein. The viewer
draws it with imposters and a user's model gets all of it; a built-in model computes up to its own limit
(:mod:`equiview.core.atom_limits`) and says "not available: more than N atoms" beyond it."""
MAX_COORDINATE_ANGSTROM = 1e4
"""Every coordinate of a molecule from outside QM9 lies within this many Å of the origin: float32 (what the models
read) still resolves 1e-3 Å there, while 1e308 (finite in float64) is inf in float32 and 3e38 overflows on the
first rotation."""


def coordinate_problem(pos) -> str | None:
    """None when every coordinate is finite and within :data:`MAX_COORDINATE_ANGSTROM`, else what is wrong."""
    values = np.asarray(pos, dtype=np.float64)
    if not np.isfinite(values).all():
        return "coordinates are not finite numbers"
    if values.size and float(np.abs(values).max()) > MAX_COORDINATE_ANGSTROM:
        return f"a coordinate lies {float(np.abs(values).max()):.3g} Å from the origin; equiview accepts at most {MAX_COORDINATE_ANGSTROM:.0e} Å"
    return None


@dataclass(frozen=True, eq=False)
class Molecule:
    """Atoms, positions and bonds of one molecule, with where it came from.

    ``z`` int64 [n] atomic numbers 1..86, ``pos`` float32 [n, 3] in Å, ``bonds`` int64 [m, 2] each bond once
    (i < j); ``bonds_from_file`` says whether they were read (SDF bond block, PDB CONECT, RDKit's SMILES graph)
    or inferred from distances. ``origin`` names the file or the SMILES, ``index`` is the molecule's position
    in a file holding several, ``title`` its name in that file (or a made-up one).
    """

    z: np.ndarray
    pos: np.ndarray
    bonds: np.ndarray
    title: str
    origin: str
    index: int = 0
    bonds_from_file: bool = False

    def __post_init__(self) -> None:
        n = self.z.shape[0]
        if self.z.ndim != 1 or self.pos.shape != (n, 3) or self.bonds.ndim != 2 or self.bonds.shape[1] != 2:
            raise ValueError(f"inconsistent molecule arrays: z {self.z.shape}, pos {self.pos.shape}")
        if n and (int(self.z.min()) < 1 or int(self.z.max()) > MAX_Z):
            raise ValueError(f"atomic numbers must lie in 1..{MAX_Z}")
        if self.bonds.size and (int(self.bonds.min()) < 0 or int(self.bonds.max()) >= n):
            raise ValueError("bond indices out of range")

    @property
    def num_atoms(self) -> int:
        return int(self.z.shape[0])

    @property
    def formula(self) -> str:
        return formula(self.z)

    @property
    def elements(self) -> set[int]:
        return {int(v) for v in np.unique(self.z)}

    def label(self) -> str:
        """'caffeine (C8H10N4O2, 24 atoms)': what a list or a title bar shows."""
        return f"{self.title} ({self.formula}, {self.num_atoms} atoms)"

    def to_data(self):
        """The molecule as a PyG ``Data``: ``z`` long [n], ``pos`` float32 [n, 3], ``edge_index`` [2, 2m], ``name``."""
        import torch
        from torch_geometric.data import Data

        both = np.concatenate([self.bonds, self.bonds[:, ::-1]]) if self.bonds.size else np.zeros((0, 2), np.int64)
        both = both[np.lexsort((both[:, 1], both[:, 0]))]
        return Data(
            z=torch.from_numpy(self.z.astype(np.int64)),
            pos=torch.from_numpy(np.ascontiguousarray(self.pos, dtype=np.float32)),
            edge_index=torch.from_numpy(np.ascontiguousarray(both.T, dtype=np.int64)),
            name=self.title,
        )
