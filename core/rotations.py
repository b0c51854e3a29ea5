"""The one builder of rotation matrices (numpy float64, no torch: the viewer draws its first frame before PyTorch
has loaded). :mod:`equiview.core.transforms` wraps these matrices as :class:`~equiview.core.transforms.E3Transform`.

Conventions: Euler angles give ``R = Rz(rz) @ Ry(ry) @ Rx(rx)`` (extrinsic x, then y, then z, each
counter-clockwise); an axis and an angle give Rodrigues' rotation, counter-clockwise seen from the tip of the axis;
the viewer's mirror is ``diag(-1, 1, 1)`` applied first (x -> -x).
"""

from __future__ import annotations

import math

import numpy as np

MIRROR_X = np.array([-1.0, 1.0, 1.0])
"""The mirror through the plane x = 0 as a column scaling: ``R * MIRROR_X == R @ diag(-1, 1, 1)``.

``# pragma: no mutate`` marks lines where every mutation mutmut makes is equivalent (a dtype for float input, x and /
by ±1, a strict bound met only by an exact value), so ``make mutate`` counts only mutants a test can kill."""


def euler_matrix(rx: float, ry: float, rz: float) -> np.ndarray:
    """``Rz(rz) @ Ry(ry) @ Rx(rx)``, angles in radians, float64 ``[3, 3]``."""
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    rot_x = np.array([[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]])
    rot_y = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    rot_z = np.array([[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]])
    return rot_z @ rot_y @ rot_x


def view_matrix(rx: float, ry: float, rz: float, translation, reflect: bool, center) -> tuple[np.ndarray, np.ndarray]:
    """(R, t) of the viewer's sliders (degrees, Å): x -> translation + c + Rz Ry Rx M (x − c), M the mirror when
    ``reflect``; the mirror acts first, then the rotation."""
    c = np.asarray(center, dtype=np.float64).reshape(3)  # pragma: no mutate
    r = euler_matrix(math.radians(rx), math.radians(ry), math.radians(rz))
    if reflect:
        r = r * MIRROR_X  # pragma: no mutate
    return r, c + np.asarray(translation, dtype=np.float64).reshape(3) - r @ c  # pragma: no mutate


def axis_angle_matrices(axis, angles_deg) -> np.ndarray:
    """Rotations ``[N, 3, 3]`` (float64) by each angle (degrees) about ``axis``: Rodrigues' formula, the only one.

    ``R = I + sin θ K + (1 − cos θ) K²`` with K the cross-product matrix of the unit axis.
    """
    k = np.asarray(axis, dtype=np.float64).reshape(-1)  # pragma: no mutate
    norm = float(np.linalg.norm(k)) if k.shape == (3,) and np.isfinite(k).all() else 0.0
    if norm < 1e-12:  # pragma: no mutate
        raise ValueError("rotation axis must be a finite non-zero 3-vector")
    k = k / norm
    theta = np.radians(np.asarray(angles_deg, dtype=np.float64).reshape(-1))  # pragma: no mutate
    if not np.isfinite(theta).all():
        raise ValueError("rotation angles must be finite")
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    sin, one_minus_cos = np.sin(theta)[:, None, None], (1.0 - np.cos(theta))[:, None, None]
    return np.eye(3) + sin * cross + one_minus_cos * (cross @ cross)
