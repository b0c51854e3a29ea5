"""Arrows of one view (a vector model's dipole, its ghost R·v(x), per-atom vectors) as ONE glyph actor.

One ``vtkGlyph3DMapper`` draws an arrow at every point of one polydata: the point is the arrow's foot, the
``"direction"`` array turns it, the ``"scale"`` array stretches it (length along the arrow, thickness across) and the
``"rgba"`` array colours it. The actor is built once per view; :meth:`ViewArrows.write` only writes new numbers
into those arrays (fresh arrays, same actor, when the number of arrows changes).
"""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkPolyData
from vtkmodules.vtkFiltersSources import vtkArrowSource
from vtkmodules.vtkRenderingCore import vtkActor, vtkGlyph3DMapper, vtkRenderer

from equiview.viewer.model.arrow_length import DIPOLE_REACH, MIN_DIPOLE_DEBYE, dipole_angstrom_per_debye

__all__ = ["DIPOLE_REACH", "MIN_DIPOLE_DEBYE", "ViewArrows", "arrows_for", "dipole_angstrom_per_debye"]

ARROW_ARRAYS = {"direction": 3, "scale": 3}
# RGBA of the three arrow families; the ghost is a translucent blue, wider than the
# red arrow it surrounds when the model is equivariant, so both stay visible
DIPOLE_RGBA = (200, 30, 45, 255)
GHOST_RGBA = (25, 105, 235, 120)
ATOM_RGBA = (235, 135, 20, 255)
# thickness across the arrow, in units of the arrow source's radii (shaft 0.035, tip 0.1: 0.14 Å and 0.4 Å)
DIPOLE_THICKNESS = 4.0
GHOST_THICKNESS = 6.5
ATOM_THICKNESS = 2.5
ATOM_GHOST_THICKNESS = 4.0
MIN_LENGTH = 1e-6  # a zero vector: a zero-length glyph (invisible) that still has a direction


class ViewArrows:
    """The glyph actor of one view and the numpy arrays behind it."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.polydata = vtkPolyData()
        source = vtkArrowSource()
        source.SetTipLength(0.25)
        source.SetTipRadius(0.1)
        source.SetShaftRadius(0.035)
        source.SetTipResolution(16)
        source.SetShaftResolution(12)
        self.mapper = vtkGlyph3DMapper()
        self.mapper.SetInputData(self.polydata)
        self.mapper.SetSourceConnection(source.GetOutputPort())
        self.mapper.SetOrientationArray("direction")
        self.mapper.SetOrientationModeToDirection()
        self.mapper.SetScaleArray("scale")
        self.mapper.SetScaleModeToScaleByVectorComponents()
        self.mapper.SetScalarModeToUsePointFieldData()
        self.mapper.SelectColorArray("rgba")
        self.mapper.SetColorModeToDirectScalars()
        self.mapper.ScalarVisibilityOn()
        self.actor = vtkActor()
        self.actor.SetMapper(self.mapper)
        prop = self.actor.GetProperty()
        prop.SetAmbient(0.25)
        prop.SetDiffuse(0.75)
        prop.SetSpecular(0.3)
        self.actor.SetVisibility(False)
        renderer.AddViewProp(self.actor)
        self.count = -1
        self._resize(0)

    def _resize(self, count: int) -> None:
        self.count = count
        self.points = np.zeros((count, 3), dtype=np.float64)
        self.vtk_points = vtkPoints()
        self.vtk_points.SetData(numpy_to_vtk(self.points, deep=False))
        self.polydata.SetPoints(self.vtk_points)
        point_data = self.polydata.GetPointData()
        self.arrays: dict[str, np.ndarray] = {}
        self.vtk_arrays: dict[str, object] = {}
        for name, width in (*ARROW_ARRAYS.items(), ("rgba", 4)):
            array = np.zeros((count, width), dtype=np.uint8 if name == "rgba" else np.float64)
            vtk_array = numpy_to_vtk(array, deep=False)
            vtk_array.SetName(name)
            point_data.RemoveArray(name)  # the old array goes away with its numpy buffer
            point_data.AddArray(vtk_array)
            self.arrays[name] = array
            self.vtk_arrays[name] = vtk_array

    def write(self, feet: np.ndarray, vectors: np.ndarray, rgba: np.ndarray, thickness: np.ndarray) -> None:
        """Arrows from ``feet`` [k, 3] along ``vectors`` [k, 3] (already in Å), coloured ``rgba`` [k, 4]."""
        count = int(feet.shape[0])
        if count != self.count:
            self._resize(count)
        lengths = np.linalg.norm(vectors, axis=1) if count else np.zeros(0)
        self.points[:] = feet
        # a zero vector keeps a direction (x) so VTK does not warn; its glyph has zero length
        self.arrays["direction"][:] = np.where(lengths[:, None] > MIN_LENGTH, vectors, (1.0, 0.0, 0.0))
        self.arrays["scale"][:, 0] = lengths
        self.arrays["scale"][:, 1] = thickness
        self.arrays["scale"][:, 2] = thickness
        self.arrays["rgba"][:] = rgba
        self.vtk_points.Modified()
        for vtk_array in self.vtk_arrays.values():
            vtk_array.Modified()
        self.polydata.Modified()
        self.actor.SetVisibility(count > 0)

    def hide(self) -> None:
        if self.count != 0:
            self.write(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 4), dtype=np.uint8), np.zeros(0))

    # ------------------------------------------------------------------ read back (tests)
    def read(self) -> dict[str, np.ndarray]:
        """Feet, direction, scale and rgba as stored in VTK (copies)."""
        from vtkmodules.util.numpy_support import vtk_to_numpy

        out = {"feet": vtk_to_numpy(self.polydata.GetPoints().GetData()).astype(np.float64).copy()}
        for name in (*ARROW_ARRAYS, "rgba"):
            out[name] = vtk_to_numpy(self.polydata.GetPointData().GetArray(name)).copy()
        return out


def arrows_for(
    row,
    column: str,
    atom_positions: np.ndarray,
    show_atoms: bool,
    angstrom_per_unit: float,
    dipole_per_unit: float | None = None,
    thickness_scale: float = 1.0,
):
    """Feet, vectors (Å), colours and thicknesses of one view's arrows for a :class:`RowFrame` with vectors.

    A dipole model: its dipole from the centroid (in the g·x view with the ghost R·v(x)) and, with ``show_atoms``,
    the per-atom vectors. A user's model has only per-atom vectors: they are always drawn, and in the g·x view each
    atom also gets its ghost R·v_i(x), so an arrow that does not turn with the molecule stands apart from it.
    ``angstrom_per_unit`` stretches per-atom vectors, ``dipole_per_unit`` (default: the same) the dipole and its
    ghost; ``thickness_scale`` widens every arrow (presentation mode).
    """
    v = row.vectors
    dipole_per_unit = angstrom_per_unit if dipole_per_unit is None else dipole_per_unit
    original = column == "original"
    feet, vectors, rgba, thick = [], [], [], []

    def add(points: np.ndarray, arrows: np.ndarray, colour, thickness: float, per_unit: float) -> None:
        feet.append(points.reshape(-1, 3))
        vectors.append(arrows.reshape(-1, 3) * per_unit)
        rgba.append(np.tile(np.array(colour, dtype=np.uint8), (len(feet[-1]), 1)))
        thick.append(np.full(len(feet[-1]), thickness * thickness_scale))

    if v.has_dipole:
        centre = v.centre_original if original else v.centre_transformed
        dipole = v.dipole_original if original else v.dipole_transformed
        add(centre, dipole, DIPOLE_RGBA, DIPOLE_THICKNESS, dipole_per_unit)
        if not original:  # after the arrow: the translucent ghost is blended over the arrow inside it
            add(centre, v.dipole_expected, GHOST_RGBA, GHOST_THICKNESS, dipole_per_unit)
    if show_atoms or not v.has_dipole:
        per_atom = v.atoms_original if original else v.atoms_transformed
        add(atom_positions, per_atom, ATOM_RGBA, ATOM_THICKNESS, angstrom_per_unit)
        if not original and not v.has_dipole:
            add(atom_positions, v.atoms_expected, GHOST_RGBA, ATOM_GHOST_THICKNESS, angstrom_per_unit)
    return np.concatenate(feet), np.concatenate(vectors), np.concatenate(rgba), np.concatenate(thick)
