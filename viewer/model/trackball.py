"""Turning g with the mouse: a drag in a g·x view rotates the molecule about its centroid.

The drag is read in the camera's frame (right, up, toward the viewer): the atom nearest the viewer
follows the mouse, as on a trackball. The new rotation is applied after the current one, so the
translation and the mirror stay as they are; the slider values are read back with
:meth:`equiview.core.transforms.E3Transform.to_view`.
"""

from __future__ import annotations

import math

import numpy as np

from equiview.viewer.model.snapshot import TransformParams

DEGREES_PER_PIXEL = 0.5
"""A drag across a 360-pixel view turns the molecule by half a turn."""


def drag_axis_angle(
    dx: float, dy: float, right, up, toward_viewer, degrees_per_pixel: float = DEGREES_PER_PIXEL
) -> tuple[np.ndarray, float]:
    """Axis (world, unit) and angle (degrees) for a drag of (dx, dy) pixels; dy counts upwards.

    The front of the molecule moves along the drag direction d: the axis is toward_viewer × d.
    """
    right, up, back = (np.asarray(v, dtype=np.float64) for v in (right, up, toward_viewer))
    direction = dx * right + dy * up
    axis = np.cross(back, direction)
    norm = float(np.linalg.norm(axis))
    if norm < 1e-12:
        return np.array([0.0, 0.0, 1.0]), 0.0
    return axis / norm, math.hypot(dx, dy) * degrees_per_pixel


def rotation_matrix(axis, degrees: float) -> np.ndarray:
    """The rotation by ``degrees`` about ``axis``: the one Rodrigues, :func:`equiview.core.rotations.axis_angle_matrices`
    (numpy, no torch)."""
    from equiview.core.rotations import axis_angle_matrices

    return axis_angle_matrices(axis, [degrees])[0]


def rotated(params: TransformParams, axis, degrees: float) -> TransformParams:
    """``params`` with the extra rotation (about the centroid) applied after its own rotation and mirror."""
    if degrees == 0.0:
        return params
    import torch  # on the first drag: the window starts without torch on its main thread

    from equiview.core.transforms import E3Transform

    current = E3Transform.from_view(params.rx, params.ry, params.rz, reflect=params.reflect)
    turn = torch.as_tensor(rotation_matrix(axis, degrees))
    view = E3Transform(turn @ current.rotation, torch.zeros(3, dtype=torch.float64)).to_view()
    # spin boxes show 0.1°: keep more digits so that small drags add up, but drop float noise
    rx, ry, rz = (round(v, 6) for v in (view.rx, view.ry, view.rz))
    return TransformParams(rx, ry, rz, params.tx, params.ty, params.tz, view.reflect)
