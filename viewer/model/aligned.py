"""The aligned view: g·x drawn from a camera that moved with the input (escnn's "stabilised view").

Moving the camera by g is the same picture as moving g·x back by g⁻¹ under the fixed camera: every point p of the
g·x column is drawn at g⁻¹(p) = Rᵀ(p − t) and every vector v at Rᵀv. The atoms then sit where they sit in x, so both
columns look alike and only the colours (and arrows) can differ: an invariant model's two columns are the same image.
"""

from __future__ import annotations

import numpy as np

from equiview.viewer.model.pipeline import Frame, view_matrix

ALIGNED_NOTE = "aligned: g moved the input, the camera moved with it"
"""Said in the g·x column while the view is aligned (the atoms do not move there, the camera does)."""


def drawn_positions(frame: Frame, column: str) -> np.ndarray:
    """Where a column's atoms are drawn: g·x as moved, or (aligned) at x."""
    if column == "transformed" and frame.aligned:
        return frame.molecule.positions
    return frame.positions(column)


def drawn_arrows(frame: Frame, column: str, feet: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arrows of the g·x column (feet at g·x, vectors as the model gave them) drawn under the aligned camera."""
    if column != "transformed" or not frame.aligned or not len(feet):
        return feet, vectors
    r, t = view_matrix(frame.transform, frame.molecule.centre)
    return (feet - t) @ r, vectors @ r  # row vectors: p @ R = Rᵀ p
