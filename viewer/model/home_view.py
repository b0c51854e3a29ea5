"""The direction a molecule is first looked at from: along its flattest axis, slightly tilted.

The home view looks along the molecule's smallest principal axis with the middle axis up, so the
longest axis runs across the (wide) view, then tilts a little so that depth reads. Pure linear
algebra on the positions; the viewer turns the result into a camera.
"""

from __future__ import annotations

import math

import numpy as np

TILT_DEGREES = (18.0, -22.0)
"""Tilt of the home view: about the horizontal, then about the vertical screen axis."""

# Sign references: the normal points to +z where it can, the middle axis to +y (deterministic views).
_NORMAL_REFERENCE = np.array([0.3, 0.2, 1.0])
_UP_REFERENCE = np.array([0.2, 1.0, 0.3])


def _rotate(vector: np.ndarray, axis: np.ndarray, degrees: float) -> np.ndarray:
    """``vector`` turned by ``degrees`` about ``axis`` (right-handed; Rodrigues' formula, numpy only)."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    return vector * cos + np.cross(k, vector) * sin + k * (k @ vector) * (1.0 - cos)


def home_view_direction(positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(unit vector from the focal point to the camera, view up) of the home view of ``positions`` [n, 3].

    Fewer than three atoms, or atoms on one line, have no plane to look at: the view then looks
    down the z axis with y up (before the tilt).
    """
    direction = np.array([0.0, 0.0, 1.0])
    up = np.array([0.0, 1.0, 0.0])
    if positions is not None and len(positions) >= 3:
        centred = np.asarray(positions, dtype=np.float64) - np.mean(positions, axis=0)
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        if singular.shape[0] == 3 and singular[1] > 1e-6:
            mid_axis, normal = vt[1], vt[2]
            normal = normal if normal @ _NORMAL_REFERENCE >= 0 else -normal
            mid_axis = mid_axis if mid_axis @ _UP_REFERENCE >= 0 else -mid_axis
            direction, up = normal, mid_axis
    right = np.cross(up, direction)
    direction = _rotate(direction, right, TILT_DEGREES[0])
    up = _rotate(up, right, TILT_DEGREES[0])
    direction = _rotate(direction, up, TILT_DEGREES[1])
    direction /= np.linalg.norm(direction)
    up = up - (up @ direction) * direction  # re-orthogonalise against rounding
    return direction, up / np.linalg.norm(up)
