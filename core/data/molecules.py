"""``QM9Molecules``: an in-memory molecule set stored as a handful of flat arrays.

Atoms of all molecules lie back to back (``z``, ``pos``), molecule ``i`` owning rows
``atom_ptr[i]:atom_ptr[i+1]``; its directed bonds are rows ``bond_ptr[i]:bond_ptr[i+1]``
of ``bonds`` [E, 2], written with *local* atom numbers. This keeps the whole filtered
QM9 in ~10 MB, loads in well under a second and lets :meth:`QM9Molecules.collate` build a
batch with a few gathers instead of thousands of ``Data`` objects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from equiview.core.data.targets import NUM_TARGETS
from equiview.core.elements import MAX_Z


def _as_tensor(array, dtype: torch.dtype) -> torch.Tensor:
    """Zero-copy where possible: numpy arrays become tensors sharing their memory."""
    if isinstance(array, torch.Tensor):
        return array.to(dtype)
    array = np.asarray(array)
    return torch.from_numpy(np.ascontiguousarray(array)).to(dtype)


def _segments(ptr: torch.Tensor, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rows to gather for segments ``indices`` of a ptr-indexed flat array.

    Returns ``(rows, counts, new_ptr)``: the flat rows in order, each segment's length and
    the offsets of the segments in the gathered result.
    """
    starts = ptr[indices]
    counts = ptr[indices + 1] - starts
    new_ptr = torch.zeros(indices.numel() + 1, dtype=torch.long)
    torch.cumsum(counts, 0, out=new_ptr[1:])
    total = int(new_ptr[-1])
    rows = torch.arange(total, dtype=torch.long) + torch.repeat_interleave(
        starts - new_ptr[:-1], counts, output_size=total
    )
    return rows, counts, new_ptr


class QM9Molecules:
    """QM9 molecules held as flat arrays; indexing gives PyG ``Data`` objects.

    Fields of ``ds[i]`` (as in ``torch_geometric.datasets.QM9``): ``z`` LongTensor [n],
    ``pos`` float32 [n, 3] in Å, ``edge_index`` LongTensor [2, E] covalent bonds in both
    directions, ``y`` float32 [1, 19] (see ``equiview.core.data.targets``), ``name`` ``"gdb_N"`` and
    ``idx`` LongTensor [1] = N - 1, PyG's row in the full 133,885-molecule QM9 file.

    ``molecules_before_filter`` records how many molecules the source had before the
    heavy-atom filter (130,831 for QM9 without its 3,054 uncharacterized molecules).
    """

    def __init__(
        self,
        z,
        pos,
        atom_ptr,
        bonds,
        bond_ptr,
        y,
        qm9_index,
        *,
        molecules_before_filter: int | None = None,
        source: str = "memory",
    ) -> None:
        self.z = _as_tensor(z, torch.uint8)
        self.pos = _as_tensor(pos, torch.float32)
        self.atom_ptr = _as_tensor(atom_ptr, torch.long)
        self.bonds = _as_tensor(bonds, torch.uint8).reshape(-1, 2)
        self.bond_ptr = _as_tensor(bond_ptr, torch.long)
        self.y = _as_tensor(y, torch.float32)
        self.qm9_index = _as_tensor(qm9_index, torch.long)
        self.source = source
        self._check_shapes()
        self.molecules_before_filter = int(len(self) if molecules_before_filter is None else molecules_before_filter)
        self._position_by_qm9_index: dict[int, int] | None = None

    def _check_shapes(self) -> None:
        n = self.qm9_index.numel()
        atoms = self.z.numel()
        problems = []
        if self.pos.shape != (atoms, 3):
            problems.append(f"pos has shape {list(self.pos.shape)}, expected [{atoms}, 3]")
        if self.atom_ptr.shape != (n + 1,) or int(self.atom_ptr[0]) != 0 or int(self.atom_ptr[-1]) != atoms:
            problems.append("atom_ptr must have N+1 entries from 0 to the number of atoms")
        if (
            self.bond_ptr.shape != (n + 1,)
            or int(self.bond_ptr[0]) != 0
            or int(self.bond_ptr[-1]) != self.bonds.shape[0]
        ):
            problems.append("bond_ptr must have N+1 entries from 0 to the number of bonds")
        if self.y.shape != (n, NUM_TARGETS):
            problems.append(f"y has shape {list(self.y.shape)}, expected [{n}, {NUM_TARGETS}]")
        if problems:
            raise ValueError("inconsistent molecule arrays: " + "; ".join(problems))

    def check_contents(self) -> None:
        """Raise ``ValueError`` (one line) unless the arrays describe real molecules.

        Shapes are checked on construction; this checks what a damaged or crafted file can still get wrong:
        every molecule owns at least one atom (``atom_ptr`` increasing) and its bonds (``bond_ptr``
        non-decreasing), atomic numbers are known elements (1..54), positions and targets are finite, bonds
        join two different atoms of their own molecule, and QM9 indices are positive and unique.
        """
        atom_steps = self.atom_ptr[1:] - self.atom_ptr[:-1]
        bond_steps = self.bond_ptr[1:] - self.bond_ptr[:-1]
        if len(self) and int(atom_steps.min()) < 1:
            raise ValueError(f"atom_ptr must increase (molecule {int(torch.argmin(atom_steps))} has no atoms)")
        if len(self) and int(bond_steps.min()) < 0:
            raise ValueError(f"bond_ptr must not decrease (at molecule {int(torch.argmin(bond_steps))})")
        if self.z.numel() and not (int(self.z.min()) >= 1 and int(self.z.max()) <= MAX_Z):
            bad = int(self.z.max()) if int(self.z.max()) > MAX_Z else int(self.z.min())
            raise ValueError(f"atomic number {bad} is not an element this viewer knows (1..{MAX_Z})")
        if not bool(torch.isfinite(self.pos).all()):
            raise ValueError("positions contain NaN or infinite values")
        if not bool(torch.isfinite(self.y).all()):
            raise ValueError("targets contain NaN or infinite values")
        if self.bonds.shape[0]:
            owner = torch.repeat_interleave(torch.arange(len(self)), bond_steps, output_size=self.bonds.shape[0])
            limit = atom_steps[owner]
            local = self.bonds.long()
            outside = (local >= limit[:, None]).any(dim=1)
            if bool(outside.any()):
                molecule = int(owner[torch.nonzero(outside)[0, 0]])
                raise ValueError(f"a bond of molecule {molecule} names an atom it does not have")
            if bool((local[:, 0] == local[:, 1]).any()):
                raise ValueError("a bond joins an atom to itself")
        if len(self) and (int(self.qm9_index.min()) < 1 or torch.unique(self.qm9_index).numel() != len(self)):
            raise ValueError("QM9 indices must be positive and unique")

    # ----------------------------------------------------------------- basics
    def __len__(self) -> int:
        return self.qm9_index.numel()

    def __repr__(self) -> str:
        return f"QM9Molecules({len(self)} molecules, {self.z.numel()} atoms, source={self.source!r})"

    @property
    def num_atoms(self) -> torch.Tensor:
        """Atom count of every molecule, LongTensor [N]."""
        return self.atom_ptr[1:] - self.atom_ptr[:-1]

    @property
    def names(self) -> list[str]:
        """``"gdb_N"`` for every molecule, in dataset order."""
        return [f"gdb_{q}" for q in self.qm9_index.tolist()]

    def _position(self, i) -> int:
        n = len(self)
        try:
            k = int(i)
        except (TypeError, ValueError):
            raise TypeError(f"molecule index must be an integer, got {i!r}") from None
        if not -n <= k < n:
            raise IndexError(f"molecule index {k} is out of range for {n} molecules")
        return k + n if k < 0 else k

    def _index_tensor(self, indices) -> torch.Tensor:
        """Integer positions (negative allowed) or a boolean mask -> LongTensor of positions."""
        if isinstance(indices, slice):
            return torch.arange(len(self))[indices]
        index = torch.as_tensor(np.asarray(indices) if not isinstance(indices, torch.Tensor) else indices)
        if index.dtype == torch.bool:
            if index.numel() != len(self):
                raise IndexError(f"boolean mask has {index.numel()} entries for {len(self)} molecules")
            return torch.nonzero(index).reshape(-1)
        if index.numel() == 0:
            return torch.zeros(0, dtype=torch.long)
        if index.is_floating_point() or index.is_complex():
            raise TypeError(f"molecule indices must be integers, got dtype {index.dtype}")
        index = index.reshape(-1).to(torch.long)
        n = len(self)
        if int(index.min()) < -n or int(index.max()) >= n:
            bad = int(index.max()) if int(index.max()) >= n else int(index.min())
            raise IndexError(f"molecule index {bad} is out of range for {n} molecules")
        return torch.where(index < 0, index + n, index)

    def __getitem__(self, i):
        """``ds[i]`` -> ``Data``; ``ds[slice | array | tensor | mask]`` -> ``QM9Molecules``."""
        if isinstance(i, (slice, list, tuple, np.ndarray)) or (isinstance(i, torch.Tensor) and i.dim() > 0):
            return self.subset(i)
        k = self._position(i)
        a0, a1 = int(self.atom_ptr[k]), int(self.atom_ptr[k + 1])
        b0, b1 = int(self.bond_ptr[k]), int(self.bond_ptr[k + 1])
        q = int(self.qm9_index[k])
        return Data(
            z=self.z[a0:a1].long(),
            pos=self.pos[a0:a1].clone(),
            edge_index=self.bonds[b0:b1].long().t().contiguous(),
            y=self.y[k : k + 1].clone(),
            name=f"gdb_{q}",
            idx=torch.tensor([q - 1], dtype=torch.long),
        )

    def __iter__(self):
        for k in range(len(self)):
            yield self[k]

    def content_sha256(self) -> str:
        """SHA-256 (hex) of which molecules, in which order, with which atoms.

        Hashes the QM9 indices (int32), the atom offsets (int64) and the atomic numbers
        (uint8), little-endian, in that order; positions and targets are left out so the
        hash names *the set*, independent of float formatting.
        """
        digest = hashlib.sha256()
        digest.update(self.qm9_index.numpy().astype("<i4").tobytes())
        digest.update(self.atom_ptr.numpy().astype("<i8").tobytes())
        digest.update(self.z.numpy().astype("u1").tobytes())
        return digest.hexdigest()

    # ----------------------------------------------------------------- lookup
    def find(self, query) -> int:
        """Dataset position of a molecule given as ``"gdb_814"`` (also ``"dsgdb9nsd_000814"``)
        or as a position (int, or a string of digits).

        Positions count from 0; negative positions are refused (``-1`` is not "the last molecule").
        Raises :class:`~equiview.core.errors.MoleculeNotFoundError` (a ``KeyError``) with a one-line message when
        there is no such molecule.
        """
        from equiview.core.data.search import find_position

        return find_position(query, len(self), self._qm9_positions)

    def _qm9_positions(self) -> dict[int, int]:
        if self._position_by_qm9_index is None:
            self._position_by_qm9_index = {q: k for k, q in enumerate(self.qm9_index.tolist())}
        return self._position_by_qm9_index

    # ----------------------------------------------------------------- subsets
    def subset(self, indices) -> QM9Molecules:
        """A new ``QM9Molecules`` with the molecules at ``indices`` (in that order)."""
        index = self._index_tensor(indices)
        atom_rows, _, atom_ptr = _segments(self.atom_ptr, index)
        bond_rows, _, bond_ptr = _segments(self.bond_ptr, index)
        return QM9Molecules(
            self.z[atom_rows],
            self.pos[atom_rows],
            atom_ptr,
            self.bonds[bond_rows],
            bond_ptr,
            self.y[index],
            self.qm9_index[index],
            molecules_before_filter=self.molecules_before_filter,
            source=self.source,
        )

    def heavy_atom_counts(self) -> torch.Tensor:
        """Number of non-hydrogen atoms of every molecule, LongTensor [N]."""
        heavy = (self.z != 1).to(torch.long)
        csum = torch.zeros(heavy.numel() + 1, dtype=torch.long)
        torch.cumsum(heavy, 0, out=csum[1:])
        return csum[self.atom_ptr[1:]] - csum[self.atom_ptr[:-1]]

    def filter_heavy_atoms(self, max_heavy_atoms: int = 8) -> QM9Molecules:
        """The tutorial's filter: keep molecules with at most ``max_heavy_atoms`` atoms z != 1."""
        return self.subset(torch.nonzero(self.heavy_atom_counts() <= max_heavy_atoms).reshape(-1))

    # ----------------------------------------------------------------- batching
    def collate(self, indices: Iterable[int] | torch.Tensor | np.ndarray) -> Batch:
        """A PyG ``Batch`` of the molecules at ``indices``, gathered straight from the arrays.

        Equal field by field to ``Batch.from_data_list([ds[i] for i in indices])``
        (z, pos, edge_index offset per graph, y [B, 19], name, idx, batch, ptr), and
        supports ``num_graphs``, ``to_data_list()`` and ``get_example()``.
        """
        index = self._index_tensor(indices)
        num_graphs = index.numel()
        atom_rows, atom_counts, ptr = _segments(self.atom_ptr, index)
        bond_rows, bond_counts, bond_ptr = _segments(self.bond_ptr, index)
        graphs = torch.arange(num_graphs)
        edge_shift = torch.repeat_interleave(ptr[:-1], bond_counts, output_size=bond_rows.numel())
        edge_index = (self.bonds[bond_rows].long() + edge_shift[:, None]).t().contiguous()
        qm9 = self.qm9_index[index]
        batch = Batch(
            z=self.z[atom_rows].long(),
            pos=self.pos[atom_rows],
            edge_index=edge_index,
            y=self.y[index],
            name=[f"gdb_{q}" for q in qm9.tolist()],
            idx=qm9 - 1,
            batch=torch.repeat_interleave(graphs, atom_counts, output_size=atom_rows.numel()),
            ptr=ptr,
        )
        # Bookkeeping PyG's own collate leaves behind, so that to_data_list() and
        # index_select() work on this batch too.
        per_graph = torch.arange(num_graphs + 1)
        zeros = torch.zeros(num_graphs, dtype=torch.long)
        batch._num_graphs = num_graphs
        batch._slice_dict = {
            "z": ptr,
            "pos": ptr,
            "edge_index": bond_ptr,
            "y": per_graph,
            "name": per_graph,
            "idx": per_graph,
        }
        batch._inc_dict = {
            "z": zeros,
            "pos": zeros,
            "edge_index": ptr[:-1],
            "y": zeros,
            "name": None,
            "idx": zeros,
        }
        return batch
