"""The molecules the viewer browses, as plain numpy arrays: no torch needed to draw one.

The viewer's first frame (the input row) is drawn from this table while PyTorch is still loading
in the background. :meth:`MoleculeTable.from_bundle` reads the shipped bundle with numpy alone;
:meth:`MoleculeTable.from_dataset` wraps a loaded ``QM9Molecules`` (any ``--source``) without
copying. The layout is the dataset's: flat atom and bond arrays with ``*_ptr`` offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(eq=False)
class MoleculeTable:
    """Flat arrays of a molecule set; molecule ``i`` owns atoms ``atom_ptr[i]:atom_ptr[i+1]``."""

    z: np.ndarray  # uint8 [A]
    pos: np.ndarray  # float32 [A, 3], Å
    atom_ptr: np.ndarray  # int64 [N + 1]
    bonds: np.ndarray  # uint8 [E, 2], directed, local atom numbers
    bond_ptr: np.ndarray  # int64 [N + 1]
    y: np.ndarray  # float32 [N, 19]
    qm9_index: np.ndarray  # int64 [N]
    _positions: dict[int, int] | None = field(default=None, repr=False)

    @classmethod
    def from_bundle(cls, path: str | Path | None = None) -> MoleculeTable:
        """The bundled filtered QM9 (or another bundle file), read with numpy only."""
        from equiview.core.data.bundle import BUNDLE_PATH, read_bundle_arrays

        arrays, _, _ = read_bundle_arrays(BUNDLE_PATH if path is None else path)
        return cls(**arrays)

    @classmethod
    def from_dataset(cls, dataset) -> MoleculeTable:
        """A ``QM9Molecules`` seen as numpy arrays (shared memory, no copy)."""
        if isinstance(dataset, MoleculeTable):
            return dataset
        return cls(
            z=dataset.z.numpy(),
            pos=dataset.pos.numpy(),
            atom_ptr=dataset.atom_ptr.numpy(),
            bonds=dataset.bonds.numpy(),
            bond_ptr=dataset.bond_ptr.numpy(),
            y=dataset.y.numpy(),
            qm9_index=dataset.qm9_index.numpy(),
        )

    def __len__(self) -> int:
        return int(self.qm9_index.shape[0])

    def name(self, i: int) -> str:
        return f"gdb_{int(self.qm9_index[i])}"

    def num_atoms(self, i: int) -> int:
        return int(self.atom_ptr[i + 1] - self.atom_ptr[i])

    def atoms(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Atomic numbers (int64 [n]) and positions (float32 [n, 3]) of molecule ``i``."""
        a0, a1 = int(self.atom_ptr[i]), int(self.atom_ptr[i + 1])
        return self.z[a0:a1].astype(np.int64), self.pos[a0:a1]

    def edge_index(self, i: int) -> np.ndarray:
        """Directed bonds of molecule ``i`` as int64 ``[2, E]``, in stored order (as ``QM9Molecules[i]``)."""
        b0, b1 = int(self.bond_ptr[i]), int(self.bond_ptr[i + 1])
        return np.ascontiguousarray(self.bonds[b0:b1].astype(np.int64).T)

    def targets(self, i: int) -> np.ndarray:
        """The 19 QM9 targets of molecule ``i`` (float64)."""
        return self.y[i].astype(np.float64)

    def find(self, query) -> int:
        """Position of ``"gdb_814"`` or ``800``; ``KeyError`` with a one-line message when there is none."""
        from equiview.core.data.search import find_position

        return find_position(query, len(self), self._qm9_positions)

    def _qm9_positions(self) -> dict[int, int]:
        if self._positions is None:
            self._positions = {int(q): k for k, q in enumerate(self.qm9_index.tolist())}
        return self._positions
