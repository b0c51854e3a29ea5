"""How long a dipole arrow is drawn: long enough to leave the molecule, so a class sees where it points.

At 2 Å per Debye a QM9 dipole (~0.7 D) was a 1.5 Å arrow inside the atoms. The length is now set by the molecule:
at arrow scale 1 the dipole of x ends :data:`DIPOLE_REACH` times the molecule's outer radius from its centroid.
"""

from __future__ import annotations

import numpy as np

DIPOLE_REACH = 1.25
"""At arrow scale 1 the dipole of x ends this many times the molecule's outer radius from the centroid: outside the
atoms, from every side it is not foreshortened from."""
MIN_DIPOLE_DEBYE = 0.1
"""A weaker dipole of x is drawn shorter, in proportion (a near-zero one is not divided into a huge arrow)."""


def dipole_angstrom_per_debye(vectors, atom_positions: np.ndarray, atom_radii: np.ndarray) -> float:
    """Å per Debye of a dipole arrow at arrow scale 1: the dipole of x reaches :data:`DIPOLE_REACH` times the
    molecule's outer radius (farthest atom surface from the centroid), so it ends outside the molecule.

    The factor depends only on x and the model (not on g): x's arrow, g·x's arrow and the ghost share it, and a
    model whose |v(g·x)| differs from |v(x)| draws arrows of different lengths. A dipole under
    :data:`MIN_DIPOLE_DEBYE` is drawn as short as that dipole would be (no zero divided into a huge arrow).
    """
    # the arrow's foot is the centroid; distances from it are the same in every pose
    outer = float((np.linalg.norm(atom_positions - atom_positions.mean(axis=0), axis=1) + atom_radii).max())
    return DIPOLE_REACH * outer / max(float(np.linalg.norm(vectors.dipole_original)), MIN_DIPOLE_DEBYE)
