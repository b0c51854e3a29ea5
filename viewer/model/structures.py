"""The user's molecules: files and SMILES read once, and the Open Recent list.

Qt-free. A :class:`~equiview.viewer.model.snapshot.StructureRef` names a molecule (a file and the molecule's index in
it, or a SMILES); :class:`StructureLibrary` reads it through core (``equiview.core.molecule_files``, ``equiview.core.smiles``) and
keeps the result, so browsing a multi-molecule file or going back to a SMILES does not parse again. Bad input
raises core's one-line ``MoleculeInputError``.
"""

from __future__ import annotations

from pathlib import Path

from equiview.core.molecule import Molecule
from equiview.core.user_input_errors import MoleculeInputError
from equiview.viewer.model.snapshot import StructureRef

MAX_RECENT = 8
"""How many molecule files File ▸ Open Recent remembers."""


class StructureLibrary:
    """Reads molecule files and SMILES once; hands out :class:`equiview.core.molecule.Molecule` objects."""

    def __init__(self) -> None:
        self._files: dict[str, list[Molecule]] = {}
        self._smiles: dict[str, Molecule] = {}

    def file(self, path: str | Path) -> list[Molecule]:
        """Every molecule of the file (read on first use)."""
        from equiview.core.molecule_files import read_molecule_file

        key = str(Path(path).expanduser().resolve())
        molecules = self._files.get(key)
        if molecules is not None and not Path(key).is_file():
            del self._files[key]  # removed since it was read (Open Recent): do not pretend it is still there
            molecules = None
        if molecules is None:
            if len(self._files) > 16:
                self._files.clear()
            molecules = read_molecule_file(key)
            self._files[key] = molecules
        return molecules

    def smiles(self, smiles: str) -> Molecule:
        from equiview.core.smiles import molecule_from_smiles

        key = str(smiles).strip()
        molecule = self._smiles.get(key)
        if molecule is None:
            if len(self._smiles) > 64:
                self._smiles.clear()
            molecule = molecule_from_smiles(key)
            self._smiles[key] = molecule
        return molecule

    def molecule(self, ref: StructureRef) -> Molecule:
        """The molecule ``ref`` names; an index past the file's end is a one-line error."""
        if ref.origin == "smiles":
            return self.smiles(ref.text)
        molecules = self.file(ref.text)
        if not 0 <= ref.index < len(molecules):
            raise MoleculeInputError(
                f"{ref.text}: has {len(molecules)} molecule{'s' if len(molecules) != 1 else ''}; "
                f"there is no molecule {ref.index}"
            )
        return molecules[ref.index]


def add_recent(recent: list[str], path: str | Path) -> list[str]:
    """``recent`` with ``path`` (absolute) moved to the front, without duplicates, at most :data:`MAX_RECENT`."""
    path = str(Path(path).expanduser().resolve())
    return [path, *[p for p in recent if p != path]][:MAX_RECENT]
