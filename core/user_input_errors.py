"""Errors about what a user hands equiview beyond QM9: molecule files, SMILES and Python model files.

Both are :class:`equiview.core.errors.EquiviewError` subclasses (and ``ValueError``), so the command line reports them as one
line with exit code 2 and the window shows them in the row or dialog concerned. Each message names the file, the
SMILES or the model.
"""

from __future__ import annotations

from equiview.core.errors import EquiviewError


class MoleculeInputError(EquiviewError, ValueError):
    """A molecule file or SMILES cannot be used: unreadable, malformed, unknown format or element, too large."""


class UserModelError(EquiviewError, ValueError):
    """A user's model cannot be loaded or run: missing file or factory, not a module, wrong outputs, NaN."""
