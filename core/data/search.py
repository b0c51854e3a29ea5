"""Find a molecule in a :class:`~equiview.core.data.molecules.QM9Molecules` by position, QM9 name or formula.

``MoleculeSearch(ds).search("C5H7NO", current=800)`` steps through the molecules with that
(Hill-order, case-insensitive) formula, wrapping around; ``"gdb_814"`` and ``"800"`` go straight
to that molecule through :meth:`QM9Molecules.find`. Every miss is a :class:`~equiview.core.errors.MoleculeNotFoundError` (a ``KeyError``) with a one-line
message, like ``find``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from equiview.core.elements import formula
from equiview.core.errors import MoleculeNotFoundError

if TYPE_CHECKING:
    from equiview.core.data.molecules import QM9Molecules


_NAME_PATTERN = re.compile(r"^\s*(?:gdb_|dsgdb9nsd_)0*(\d+)\s*$", re.IGNORECASE)


def find_position(query, count: int, position_of_qm9: Callable[[], dict[int, int]]) -> int:
    """Dataset position of a molecule given as ``"gdb_814"`` (also ``"dsgdb9nsd_000814"``) or as a
    position (an int, or a string of digits) among ``count`` molecules.

    Positions count from 0; negative positions are refused (``-1`` is not "the last molecule").
    ``position_of_qm9()`` maps QM9 numbers to positions (called only for names). Raises
    :class:`~equiview.core.errors.MoleculeNotFoundError` (a ``KeyError``) with a one-line message when there
    is no such molecule. ``QM9Molecules.find`` and the viewer's ``MoleculeTable.find`` both use it.
    """
    if isinstance(query, str) and query.strip().startswith("-") and query.strip()[1:].isdigit():
        raise MoleculeNotFoundError(f"molecule position {query.strip()} is negative: positions start at 0")
    if not isinstance(query, str) and isinstance(query, (int, np.integer)) and query < 0:
        raise MoleculeNotFoundError(f"molecule position {query} is negative: positions start at 0")
    if isinstance(query, str) and not query.strip().isdigit():
        match = _NAME_PATTERN.match(query)
        if match is None:
            raise MoleculeNotFoundError(
                f"cannot read molecule id {query!r:.60}: use a position like 800 or a name like 'gdb_814'"
            )
        qm9 = int(match.group(1))
        positions = position_of_qm9()
        if qm9 not in positions:
            raise MoleculeNotFoundError(f"molecule gdb_{qm9} is not in this dataset ({count} molecules)")
        return positions[qm9]
    try:
        k = int(query)
    except (TypeError, ValueError):
        raise MoleculeNotFoundError(f"molecule index must be an integer, got {query!r:.60}") from None
    if not 0 <= k < count:
        raise MoleculeNotFoundError(f"molecule index {k} is out of range for {count} molecules")
    return k


@dataclass(frozen=True)
class SearchHit:
    """Where a query led: dataset position ``index``, and for a formula which match of how many."""

    query: str
    index: int
    match: int = 1  # 1-based rank of ``index`` among the formula's matches
    count: int = 1  # molecules with that formula (1 for a name or position)
    by_formula: bool = False

    @property
    def status(self) -> str:
        """One line for a status label: ``gdb_814 → #800`` or ``C5H7NO: match 2 of 9``."""
        if self.by_formula:
            return f"{self.query}: match {self.match} of {self.count}"
        return f"{self.query} → #{self.index}"


def _normalised_formula(text: str) -> str:
    return text.strip().replace(" ", "").lower()


class MoleculeSearch:
    """Position, ``gdb_N`` and formula look-up over one dataset; the formula table is built on first use."""

    def __init__(self, dataset: QM9Molecules) -> None:
        self.dataset = dataset
        self._formulas: list[str] | None = None

    def formulas(self) -> list[str]:
        """Hill-order formula of every molecule, in dataset order (computed once)."""
        if self._formulas is None:
            z = np.asarray(self.dataset.z)  # torch tensors (QM9Molecules) or numpy arrays (the viewer's table)
            ptr = np.asarray(self.dataset.atom_ptr)
            self._formulas = [formula(z[ptr[i] : ptr[i + 1]].tolist()) for i in range(len(self.dataset))]
        return self._formulas

    def formula_of(self, index: int) -> str:
        """The formula of one molecule, without building the whole table."""
        if self._formulas is not None:
            return self._formulas[index]
        start, end = int(self.dataset.atom_ptr[index]), int(self.dataset.atom_ptr[index + 1])
        return formula(np.asarray(self.dataset.z[start:end]).tolist())

    def matches(self, text: str) -> list[int]:
        """Positions of every molecule whose formula is ``text`` (case and blanks ignored), ascending."""
        wanted = _normalised_formula(text)
        return [i for i, f in enumerate(self.formulas()) if f.lower() == wanted]

    def search(self, text: str, current: int = -1) -> SearchHit:
        """A position, ``gdb_N`` or a formula; for a formula the first match after ``current`` (wrapping).

        Raises :class:`~equiview.core.errors.MoleculeNotFoundError` (a ``KeyError``) when nothing matches.
        """
        query = text.strip()
        if not query:
            raise MoleculeNotFoundError("type a molecule position (e.g. 800), a name (gdb_814) or a formula (C5H7NO)")
        looks_like_name = query.lower().startswith(("gdb", "dsgdb")) or query.lstrip("-").isdigit()
        if looks_like_name:
            return SearchHit(query, self.dataset.find(query))
        hits = self.matches(query)
        if not hits:
            raise MoleculeNotFoundError(f"no molecule with formula {query!r} (and not a position or gdb_N name)")
        after = [i for i in hits if i > current]
        index = after[0] if after else hits[0]
        return SearchHit(query, index, match=hits.index(index) + 1, count=len(hits), by_formula=True)
