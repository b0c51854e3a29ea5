"""Find a molecule in a :class:`~core.data.molecules.QM9Molecules` by position, QM9 name or formula.

``MoleculeSearch(ds).search("C5H7NO", current=800)`` steps through the molecules with that
(Hill-order, case-insensitive) formula, wrapping around; ``"gdb_814"`` and ``"800"`` go straight
to that molecule through :meth:`QM9Molecules.find`. Every miss is a :class:`~core.errors.MoleculeNotFoundError` (a ``KeyError``) with a one-line
message, like ``find``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.elements import formula
from core.errors import MoleculeNotFoundError

if TYPE_CHECKING:
    from core.data.molecules import QM9Molecules


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
            z = self.dataset.z.numpy()
            ptr = self.dataset.atom_ptr.numpy()
            self._formulas = [formula(z[ptr[i] : ptr[i + 1]].tolist()) for i in range(len(self.dataset))]
        return self._formulas

    def formula_of(self, index: int) -> str:
        """The formula of one molecule, without building the whole table."""
        if self._formulas is not None:
            return self._formulas[index]
        start, end = int(self.dataset.atom_ptr[index]), int(self.dataset.atom_ptr[index + 1])
        return formula(self.dataset.z[start:end].tolist())

    def matches(self, text: str) -> list[int]:
        """Positions of every molecule whose formula is ``text`` (case and blanks ignored), ascending."""
        wanted = _normalised_formula(text)
        return [i for i, f in enumerate(self.formulas()) if f.lower() == wanted]

    def search(self, text: str, current: int = -1) -> SearchHit:
        """A position, ``gdb_N`` or a formula; for a formula the first match after ``current`` (wrapping).

        Raises :class:`~core.errors.MoleculeNotFoundError` (a ``KeyError``) when nothing matches.
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
