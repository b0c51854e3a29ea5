"""Errors about what a user hands equiview beyond QM9: molecule files, SMILES and Python model files.

Both are ``ValueError`` subclasses, so the command line already reports them as one line with exit code 2 and
the window shows them in the row or dialog concerned. Each message names the file, the SMILES or the model.
"""

from __future__ import annotations


class MoleculeInputError(ValueError):
    """A molecule file or SMILES cannot be used: unreadable, malformed, unknown format or element, too large."""


class UserModelError(ValueError):
    """A user's model cannot be loaded or run: missing file or factory, not a module, wrong outputs, NaN."""
