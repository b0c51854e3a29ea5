"""The grid of linked 3D views, drawn with PyVista/VTK into any plotter with ``shape=GRID_SHAPE`` (5, 2).

The scene is Qt-free: the GUI hands it a ``pyvistaqt.QtInteractor`` and ``equiview render`` a
``pyvista.Plotter(off_screen=True)``. Rows: input coloured by element, then 1 to 4 model rows (by default the naive
GNN and the equivariant GNN); columns: original pose, transformed pose. All views share one camera.

Every view owns one mapper for all atoms (ray-cast sphere imposters sized by element) and one
actor for all bonds (two half-cylinder imposters per bond, each coloured like its atom; above
:data:`LINE_BONDS_ABOVE` atoms two half-lines); a model view also owns one glyph actor
for a vector model's arrows (:mod:`equiview.viewer.arrows`). These actors are built once, when the
scene is created; :meth:`GridScene.update` only writes new points, colours and text into the
existing VTK arrays and marks them modified. A molecule with a different atom count gets fresh
arrays on the same actors.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import VTK_FONT_FILE, VTK_ID_TYPE, vtkLookupTable, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkFiltersSources import vtkDiskSource
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkActor2D,
    vtkCoordinate,
    vtkFollower,
    vtkMapper,
    vtkPolyDataMapper,
    vtkPolyDataMapper2D,
    vtkProperty,
    vtkRenderer,
    vtkTextActor,
    vtkTextProperty,
    vtkTextRenderer,
)
from vtkmodules.vtkRenderingLabel import vtkLabeledDataMapper
from vtkmodules.vtkRenderingOpenGL2 import vtkOpenGLSphereMapper, vtkOpenGLStickMapper

from equiview.core.elements import symbol as element_symbol
from equiview.viewer.arrows import ViewArrows, arrows_for, dipole_angstrom_per_debye
from equiview.viewer.model.aligned import ALIGNED_NOTE, drawn_arrows, drawn_positions
from equiview.viewer.model.colouring import bar_ticks, element_rgba, is_dark, scale_note
from equiview.viewer.model.home_view import home_view_direction
from equiview.viewer.model.pipeline import Frame
from equiview.viewer.model.snapshot import GRID_SHAPE, MAX_MODEL_ROWS, MODEL_ROWS, TRANSLATION_RANGE

MODEL_SLOTS = tuple(f"model{k}" for k in range(MAX_MODEL_ROWS))
SLOTS = ("input", *MODEL_SLOTS)
"""Grid rows built once: the input row and one slot per possible model row; unused slots are not drawn."""
COLUMNS = ("original", "transformed")
"""Bond tubes of molecules above 100 atoms: thin at that zoom, 6 sides look like 10 and cost 40 % less."""
MAX_TRANSLATION_REACH = float(np.linalg.norm([TRANSLATION_RANGE[1]] * 3))
ARROW_TIP_MARGIN = 0.4  # Å around an arrow's tip (its cone is 0.1 × 4 = 0.4 Å wide for a dipole) kept in view
"""How far (Å) the translation sliders can move the transformed pose: the camera's depth range covers it."""
MAX_LABELLED_ATOMS = 40
"""Atom index labels are drawn for molecules up to this size; beyond it they would hide the atoms."""

# radius must be float32: the sphere imposter mapper uploads it as is
ATOM_ARRAYS = {"radius": (1, np.float32), "value": (1, np.float64), "rgba": (4, np.uint8), "type": (1, np.int32)}
BOND_ARRAYS = {"rgba": (4, np.uint8), "direction": (3, np.float32), "size": (3, np.float32)}
"""Per half-bond: its atom's colour, unit direction and (length, radius, radius) of its cylinder imposter."""
LINE_BONDS_ABOVE = 1000
"""Molecules of more atoms draw each half-bond as a line of LINE_WIDTH_PX, not a cylinder imposter: at the zoom that
fits 5,000 atoms a bond is 1–2 px wide either way, and Mesa's llvmpipe drew 6,666 half-bond lines in a third of the
time of their cylinders (6 views: 33 vs 106 ms, load 7). Smaller molecules keep their cylinders (and their look)."""
LINE_WIDTH_PX = 2.0
LOADING_RGBA = np.array([205, 208, 214, 255], dtype=np.uint8)
"""Atoms of a model row whose model is still loading."""
DARK_LABEL, LIGHT_LABEL = 0, 1  # label text types: dark text on light atoms, light text on dark atoms
LABEL_LOOKS = {  # text colour, box colour and the box's opacity: readable on any atom the label lands on
    DARK_LABEL: ((0.06, 0.06, 0.08), (1.0, 1.0, 1.0), 0.6),
    LIGHT_LABEL: ((1.0, 1.0, 1.0), (0.08, 0.08, 0.1), 0.55),
}
TRIAD_AXES = (("x", (214, 39, 40)), ("y", (44, 160, 44)), ("z", (31, 119, 180)))
"""The origin triad's axes: letter and colour (RGB 0..255)."""
BAR_TICKS = 3
MAX_LEGEND_ELEMENTS = 10
"""The input row's element legend lists at most this many elements (a molecule file can hold more)."""
DRAG_HINTS = {
    "original": "drag: turn the view (camera only)",
    "transformed": "drag: rotate g (the models' input)",
}
CAMERA_MOVED = "view only: the models' input did not change"


@dataclass(frozen=True)
class SceneStyle:
    """Colours (RGB 0..1), font sizes (px at scale 1) and geometry of the scene."""

    background: tuple[float, float, float] = (0.972, 0.976, 0.984)
    text: tuple[float, float, float] = (0.13, 0.15, 0.19)
    border: tuple[float, float, float] = (0.80, 0.82, 0.86)
    title_size: int = 13
    label_size: int = 11
    bar_label_size: int = 11
    bond_radius: float = 0.085
    atom_scale: float = 1.0
    title_band: float = 26.0  # px kept free at the top of each view for its title
    bar_band: float = 78.0  # px kept free at the right of a view with a colour bar
    margin: float = 1.03  # camera fit slack
    quality_samples: int = 4  # MSAA for still frames and screenshots (0 while interacting)
    badge_size: int = 13
    hint_size: int = 11
    hint_text: tuple[float, float, float] = (0.36, 0.39, 0.45)
    badge_background: tuple[float, float, float] = (1.0, 1.0, 1.0)
    # the hovered atom's halo: a pink no colormap of the rows puts next to its yellows and purples
    highlight: tuple[float, float, float] = (1.0, 0.2, 0.6)
    highlight_ring: tuple[float, float] = (1.2, 1.65)  # the highlight ring's inner and outer radius / atom radius
    triad_length: float = 1.0  # Å: the axes at the origin of the coordinates
    label_fraction: float = 0.75  # index label height / hydrogen's displayed diameter (its box is a little taller)
    bar_strip: float = 12.0  # px: width of the colour strip (and side of the end swatches)
    bar_margin: float = 6.0  # px kept between the bar's labels and the view's right edge


DEFAULT_STYLE = SceneStyle()
DARK_BACKGROUND_STYLE = SceneStyle(
    background=(0.11, 0.12, 0.15),
    text=(0.93, 0.94, 0.96),
    border=(0.35, 0.37, 0.42),
    hint_text=(0.72, 0.75, 0.80),
    badge_background=(0.11, 0.12, 0.15),
)
"""Light text for exports shown on dark slides (with a transparent background, only the text shows it)."""


def _font_file(name: str) -> str | None:
    """DejaVu Sans from matplotlib's data (always installed with core): full Unicode coverage for ⟨R²⟩, Δ, Å."""
    import os

    import matplotlib

    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)
    return path if os.path.isfile(path) else None


_FONT_FILE = _font_file("DejaVuSans.ttf")
_BOLD_FONT_FILE = _font_file("DejaVuSans-Bold.ttf") or _FONT_FILE


def _configure_text_rendering() -> None:
    # the FreeType module registers VTK's text backend when it is imported
    importlib.import_module("vtkmodules.vtkRenderingFreeType")
    # VTK's default backend treats '|' and '$' as MathText markup and drops them; titles use |Δh|.
    renderer = vtkTextRenderer.GetInstance()
    if renderer is not None:
        renderer.SetDefaultBackend(vtkTextRenderer.FreeType)


def style_text(prop: vtkTextProperty, size: float, colour, bold: bool = False) -> None:
    """One look for every text in the scene."""
    font = _BOLD_FONT_FILE if bold else _FONT_FILE
    if font is not None:
        prop.SetFontFamily(VTK_FONT_FILE)
        prop.SetFontFile(font)
    prop.SetFontSize(max(1, round(size)))
    prop.SetColor(*colour)
    prop.SetBold(bold)
    prop.SetItalic(False)
    prop.SetShadow(False)


def half_bonds(positions: np.ndarray, bonds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centres, unit directions and lengths of the two halves of every bond, and the atom owning each half.

    Bond k = (i, j) becomes the halves p_i -> mid (index 2k) and p_j -> mid (2k + 1), so each half takes the
    colour of its own atom (Jmol's half-bond look).
    """
    m = bonds.shape[0]
    ends = np.empty((2 * m, 3))
    owners = np.empty(2 * m, dtype=np.int64)
    owners[0::2], owners[1::2] = bonds[:, 0], bonds[:, 1]
    ends[:] = positions[owners]
    middle = 0.5 * (positions[bonds[:, 0]] + positions[bonds[:, 1]])
    vectors = np.repeat(middle, 2, axis=0) - ends
    lengths = np.linalg.norm(vectors, axis=1)
    directions = vectors / np.maximum(lengths, 1e-12)[:, None]  # coincident atoms: a bond of length 0
    return ends + 0.5 * vectors, directions, lengths, owners


def display_points(renderer: vtkRenderer, points: np.ndarray) -> np.ndarray:
    """Display x, y (pixels, origin bottom left) and depth (0 near .. 1 far) of world ``points`` [n, 3]: VTK's
    ``WorldToDisplay`` for all of them in one matrix product (a hover over 5,000 atoms made 20,000 VTK calls)."""
    width, height = renderer.GetRenderWindow().GetSize()
    x0, y0, x1, y1 = renderer.GetViewport()
    matrix = renderer.GetActiveCamera().GetCompositeProjectionTransformMatrix(renderer.GetTiledAspectRatio(), -1, 1)
    m = np.array([[matrix.GetElement(i, j) for j in range(4)] for i in range(4)])
    view = np.c_[np.asarray(points, dtype=np.float64), np.ones(len(points))] @ m.T
    view = view[:, :3] / view[:, 3:4]
    return np.column_stack(
        (
            (view[:, 0] + 1.0) * 0.5 * (x1 - x0) * width + x0 * width,
            (view[:, 1] + 1.0) * 0.5 * (y1 - y0) * height + y0 * height,
            (view[:, 2] + 1.0) * 0.5,
        )
    )


def label_types(rgba: np.ndarray) -> np.ndarray:
    """Per atom: light label text on dark colours, dark text on light ones (perceived luminance)."""
    return np.where(is_dark(rgba), LIGHT_LABEL, DARK_LABEL).astype(np.int32)


class _Arrays:
    """numpy arrays backing the VTK arrays of one polydata; written in place on each update.

    ``spec`` maps array names to (components, dtype); every point is one vertex cell (the mappers draw
    a sphere or a cylinder imposter per point).
    """

    def __init__(self, polydata: vtkPolyData, n: int, spec: dict[str, tuple[int, type]]) -> None:
        self.polydata = polydata
        self.n = n
        self.points = np.zeros((n, 3), dtype=np.float64)
        vtk_points = vtkPoints()
        vtk_points.SetData(numpy_to_vtk(self.points, deep=False))
        polydata.SetPoints(vtk_points)
        self.vtk_points = vtk_points
        self.arrays: dict[str, np.ndarray] = {}
        self.vtk_arrays: dict[str, object] = {}
        point_data = polydata.GetPointData()
        for name, (width, dtype) in spec.items():
            array = np.zeros((n, width) if width > 1 else n, dtype=dtype)
            vtk_array = numpy_to_vtk(array, deep=False)
            vtk_array.SetName(name)
            # replace, not add: the old array of the same name goes away with its numpy buffer
            point_data.RemoveArray(name)
            point_data.AddArray(vtk_array)
            self.arrays[name] = array
            self.vtk_arrays[name] = vtk_array
        connectivity = vtkCellArray()
        ids = numpy_to_vtk(np.arange(n, dtype=np.int64), deep=True, array_type=VTK_ID_TYPE)
        connectivity.SetData(1, ids)
        polydata.SetVerts(connectivity)

    def modified(self) -> None:
        self.vtk_points.Modified()
        for vtk_array in self.vtk_arrays.values():
            vtk_array.Modified()
        self.polydata.Modified()


def _text_box(actor: vtkTextActor, renderer: vtkRenderer) -> tuple[float, float]:
    """Width and height in pixels that ``actor``'s text takes as VTK lays it out now (0, 0 when empty)."""
    if not actor.GetInput():
        return 0.0, 0.0
    box = [0.0] * 4
    actor.GetBoundingBox(renderer, box)
    return box[1] - box[0], box[3] - box[2]


def text_display_box(actor: vtkTextActor, renderer: vtkRenderer) -> tuple[float, float, float, float]:
    """Display-pixel box (x0, x1, y0, y1) of ``actor``'s text where it is drawn in ``renderer`` (VTK's own layout:
    its bounding box around the anchor, moved to where the anchor lands)."""
    box = [0.0] * 4
    actor.GetBoundingBox(renderer, box)
    x, y = actor.GetPositionCoordinate().GetComputedDisplayValue(renderer)
    return box[0] + x, box[1] + x, box[2] + y, box[3] + y


class ColourBar:
    """A model view's colour bar: the frozen scale as a strip, end swatches for clipped atoms, tick labels, title.

    Drawn from 2D actors whose places this class computes (no ``vtkScalarBarActor``, which lays its labels out
    where no caller can read them and clipped "4.50e+03" at the view's edge): tick labels are
    :func:`~equiview.viewer.model.colouring.bar_ticks` (plain decimals, a shared power of ten in the title), set
    right-aligned against the view's edge with the strip to their left, so every label lies inside the view.
    """

    def __init__(self, renderer: vtkRenderer, style: SceneStyle, font_scale: float) -> None:
        self.renderer = renderer
        self.style = style
        self.title = ""  # as given (the drawn title adds the power of ten of the ticks)
        self.below = False  # end swatches drawn: some atoms are beyond the range
        self.above = False
        self._table = np.zeros((2, 4), dtype=np.uint8)
        self._place: tuple[float, float, float, float] | None = None  # width, height, title band, px scale

        self.strip = vtkPolyData()
        coordinate = vtkCoordinate()
        coordinate.SetCoordinateSystemToNormalizedViewport()
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(self.strip)
        mapper.SetTransformCoordinate(coordinate)
        mapper.SetScalarModeToUseCellData()
        mapper.SetColorModeToDirectScalars()
        self.strip_actor = vtkActor2D()
        self.strip_actor.SetMapper(mapper)
        self.strip_actor.GetProperty().SetLineWidth(1.0)
        renderer.AddViewProp(self.strip_actor)

        self.ticks = [self._text(font_scale, bold=False) for _ in range(BAR_TICKS)]
        for tick in self.ticks:
            tick.GetTextProperty().SetJustificationToLeft()
            tick.GetTextProperty().SetVerticalJustificationToCentered()
        self.title_actor = self._text(font_scale, bold=True)
        self.title_actor.GetTextProperty().SetJustificationToRight()
        self.title_actor.GetTextProperty().SetVerticalJustificationToTop()

    def _text(self, font_scale: float, bold: bool) -> vtkTextActor:
        actor = vtkTextActor()
        actor.SetTextScaleModeToNone()
        style_text(actor.GetTextProperty(), self.style.bar_label_size * font_scale, self.style.text, bold=bold)
        actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.renderer.AddViewProp(actor)
        return actor

    def actors(self) -> list:
        return [self.strip_actor, self.title_actor, *self.ticks]

    @property
    def visible(self) -> bool:
        return bool(self.strip_actor.GetVisibility())

    def set_visible(self, shown: bool) -> None:
        for actor in self.actors():
            actor.SetVisibility(shown)

    def set_scale(self, table: np.ndarray, vmin: float, vmax: float, title: str) -> None:
        """The colours (``uint8 [k, 4]``) from ``vmin`` to ``vmax`` and the title; re-laid out at once."""
        labels, exponent = bar_ticks(vmin, vmax, BAR_TICKS)
        for actor, text in zip(self.ticks, labels):
            actor.SetInput(text)
        self.title = title
        note = scale_note(exponent)
        self.title_actor.SetInput(f"{title}\n{note}" if note else title)
        self._table = np.ascontiguousarray(table, dtype=np.uint8)
        self._layout()

    def set_swatches(self, below: bool, above: bool) -> None:
        if (below, above) != (self.below, self.above):
            self.below, self.above = below, above
            self._layout()

    def place(self, width_px: float, height_px: float, title_px: float, px: float) -> None:
        """Lay the bar out in a view of ``width_px`` × ``height_px`` below its ``title_px`` title band."""
        self._place = (float(width_px), float(height_px), float(title_px), float(px))
        self._layout()

    def set_font_size(self, size: int) -> None:
        for actor in (self.title_actor, *self.ticks):
            actor.GetTextProperty().SetFontSize(size)
        self._layout()

    def label_boxes(self) -> list[tuple[float, float, float, float]]:
        """Display-pixel boxes (x0, x1, y0, y1) of the title and tick labels as VTK lays them out now."""
        return [text_display_box(actor, self.renderer) for actor in (self.title_actor, *self.ticks)]

    def _layout(self) -> None:
        if self._place is None:
            return
        width, height, title_px, px = self._place
        if width <= 1 or height <= 1:
            return
        style = self.style
        margin, strip, gap = style.bar_margin * px, style.bar_strip * px, 4.0 * px
        label_w = max(_text_box(tick, self.renderer)[0] for tick in self.ticks)
        label_h = max(_text_box(tick, self.renderer)[1] for tick in self.ticks)
        title_h = _text_box(self.title_actor, self.renderer)[1]
        right = width - margin
        x1 = max(right - label_w - gap, strip)
        x0 = x1 - strip
        top = height - 1.35 * title_px  # below the view's title
        y1 = top - title_h - 0.5 * label_h - 3.0 * px
        y0 = max(0.07 * height, 0.5 * label_h + 2.0 * px)
        y1 = max(y1, y0 + 4.0 * strip)
        # end swatches: a square below / above the strip, a small gap apart
        s0 = y0
        if self.below:
            y0 += strip + 3.0 * px
        s1 = y1
        if self.above:
            y1 -= strip + 3.0 * px
        self.title_actor.GetPositionCoordinate().SetValue(right / width, top / height)
        for k, tick in enumerate(self.ticks):
            y = y0 + (y1 - y0) * k / (len(self.ticks) - 1)
            tick.GetPositionCoordinate().SetValue((x1 + gap) / width, y / height)
        self._write_strip(x0 / width, x1 / width, y0 / height, y1 / height, s0 / height, s1 / height, strip / height)

    def _write_strip(self, x0, x1, y0, y1, s0, s1, side) -> None:
        """The strip as one quad per colour, the swatches as one quad each, and a thin outline."""
        table = self._table
        k = len(table)
        ys = np.linspace(y0, y1, k + 1)
        quads = [((x0, a), (x1, a), (x1, b), (x0, b)) for a, b in zip(ys[:-1], ys[1:])]
        colours = [tuple(int(c) for c in row) for row in table]
        if self.below:
            quads.append(((x0, s0), (x1, s0), (x1, s0 + side), (x0, s0 + side)))
            colours.append(tuple(int(c) for c in table[0]))
        if self.above:
            quads.append(((x0, s1 - side), (x1, s1 - side), (x1, s1), (x0, s1)))
            colours.append(tuple(int(c) for c in table[-1]))
        outline = ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))
        points = vtkPoints()
        polys = vtkCellArray()
        for quad in quads:
            polys.InsertNextCell(4)
            for x, y in quad:
                polys.InsertCellPoint(points.InsertNextPoint(x, y, 0.0))
        lines = vtkCellArray()
        lines.InsertNextCell(len(outline))
        for x, y in outline:
            lines.InsertCellPoint(points.InsertNextPoint(x, y, 0.0))
        edge = tuple(round(255 * c) for c in self.style.border) + (255,)
        # cell data runs over verts, lines, polys in that order: the outline's colour comes first
        rgba = np.array([edge, *colours], dtype=np.uint8)
        self.strip.Initialize()
        self.strip.SetPoints(points)
        self.strip.SetLines(lines)
        self.strip.SetPolys(polys)
        array = numpy_to_vtk(rgba, deep=True)
        array.SetName("rgba")
        self.strip.GetCellData().SetScalars(array)
        self.strip.Modified()


class View:
    """One viewport: atoms, bonds, index labels, title and (model rows, right column) a colour bar."""

    def __init__(self, renderer: vtkRenderer, row: str, column: str, style: SceneStyle, font_scale: float) -> None:
        self.renderer = renderer
        self.row = row
        self.column = column
        self.style = style

        # Atoms: one point per atom drawn as a ray-cast sphere imposter (exact spheres at any zoom,
        # one quad each: Mesa's software renderer would spend most of a frame on tessellated spheres).
        self.atoms = vtkPolyData()
        self.atom_arrays = _Arrays(self.atoms, 0, ATOM_ARRAYS)
        self.atom_mapper = vtkOpenGLSphereMapper()
        self.atom_mapper.SetInputData(self.atoms)
        self.atom_mapper.SetScaleArray("radius")
        self._colour_by(self.atom_mapper)
        self.atom_actor = vtkActor()
        self.atom_actor.SetMapper(self.atom_mapper)
        self._shade(self.atom_actor.GetProperty(), specular=0.35)
        renderer.AddViewProp(self.atom_actor)

        # Bonds: two cylinder imposters per bond (atom -> midpoint), one point each, ray-cast like the atoms:
        # moving a bond rewrites a few numbers (a tube mesh was re-tessellated on the CPU every step).
        self._owners = np.zeros(0, dtype=np.int64)
        self.bonds = vtkPolyData()
        self.bond_arrays = _Arrays(self.bonds, 0, BOND_ARRAYS)
        self.bond_mapper = vtkOpenGLStickMapper()
        self.bond_mapper.SetInputData(self.bonds)
        self.bond_mapper.SetOrientationArray("direction")
        self.bond_mapper.SetScaleArray("size")
        self._colour_by(self.bond_mapper)
        self.bond_actor = vtkActor()
        self.bond_actor.SetMapper(self.bond_mapper)
        self._shade(self.bond_actor.GetProperty(), specular=0.2)
        renderer.AddViewProp(self.bond_actor)
        # the same actor's mapper for molecules above LINE_BONDS_ABOVE atoms: points are the atoms, then the bonds'
        # midpoints; one line cell per half-bond (atom -> midpoint) in its atom's colour, written in place
        self.lines = False
        self.bond_lines = vtkPolyData()
        self.line_mapper = vtkPolyDataMapper()
        self.line_mapper.SetInputData(self.bond_lines)
        self.line_mapper.SetScalarModeToUseCellFieldData()
        self.line_mapper.SelectColorArray("rgba")
        self.line_mapper.SetColorModeToDirectScalars()
        self.line_mapper.ScalarVisibilityOn()
        self._line_owners = np.zeros(0, dtype=np.int64)
        self._line_points = np.zeros((0, 3))
        self._line_rgba = np.zeros((0, 4), dtype=np.uint8)

        # text that must stay readable over the atoms (index labels, the triad's letters) lives in a renderer of
        # its own (layer 2, same viewport and camera) drawn last with a fresh depth buffer: on top whatever the
        # OpenGL driver does with the depth of 2D text anchored at an atom's centre behind another atom's sphere
        self.text_layer = vtkRenderer()
        self.text_layer.SetLayer(2)
        self.text_layer.InteractiveOff()
        self.label_mapper = vtkLabeledDataMapper()
        self.label_mapper.SetInputData(self.atoms)
        self.label_mapper.SetLabelModeToLabelIds()
        for label_type, (colour, box, opacity) in LABEL_LOOKS.items():
            label_text = vtkTextProperty()
            style_text(label_text, style.label_size * font_scale, colour, bold=True)
            label_text.SetJustificationToCentered()
            label_text.SetVerticalJustificationToCentered()
            # a box in the contrasting colour: the label reads on whatever atom or bond lies in front of its own
            label_text.SetBackgroundColor(*box)
            label_text.SetBackgroundOpacity(opacity)
            self.label_mapper.SetLabelTextProperty(label_text, label_type)
        self.label_actor = vtkActor2D()
        self.label_actor.SetMapper(self.label_mapper)
        self.text_layer.AddViewProp(self.label_actor)

        self.title = vtkTextActor()
        self.title.SetTextScaleModeToNone()
        title_prop = self.title.GetTextProperty()
        style_text(title_prop, style.title_size * font_scale, style.text, bold=column == "original")
        title_prop.SetJustificationToCentered()
        title_prop.SetVerticalJustificationToTop()
        coordinate = self.title.GetPositionCoordinate()
        coordinate.SetCoordinateSystemToNormalizedViewport()
        coordinate.SetValue(0.5, 0.975)
        renderer.AddViewProp(self.title)

        # a vector model's arrows: one glyph actor per model view, hidden for scalar models. They live in an overlay
        # renderer (layer 1, same viewport and camera) that is drawn after the atoms with a fresh depth buffer:
        # an arrow from the centroid is seen whole, not half hidden inside the atoms around it
        self.overlay: vtkRenderer | None = None
        self.arrows: ViewArrows | None = None
        if row != "input":
            self.overlay = vtkRenderer()
            self.overlay.SetLayer(1)
            self.overlay.InteractiveOff()
            self.arrows = ViewArrows(self.overlay)

        self.bar: ColourBar | None = None
        self.lut: vtkLookupTable | None = None
        self._bar_key: tuple | None = None
        if row != "input" and column == "transformed":
            self.lut = vtkLookupTable()
            self.lut.SetNumberOfTableValues(256)
            self.lut.Build()
            self.bar = ColourBar(renderer, style, font_scale)
        # the input row's element legend (its g·x view): which colour is which element of the molecule
        self.legend: list[vtkTextActor] = []
        self.legend_title: vtkTextActor | None = None
        if row == "input" and column == "transformed":
            self._build_legend(font_scale)

        # the verdict ("changed: max|Δh| = 0.54") inside the view, so that every screenshot carries it
        self.badge: vtkTextActor | None = None
        if row != "input" and column == "transformed":
            self.badge = self._corner_text(style.badge_size * font_scale, style.text, bold=True, boxed=True)
            self.badge.GetTextProperty().SetVerticalJustificationToTop()
        # atoms beyond the frozen colour range (drawn in the end colours; the bar shows end swatches)
        self.range_note: vtkTextActor | None = None
        if row != "input" and column == "transformed":
            self.range_note = self._corner_text(style.hint_size * font_scale, style.text, bold=False, boxed=False)
            self.range_note.GetPositionCoordinate().SetValue(0.015, 0.03)
        # what a drag does here; shown in the top visible row only
        self.hint = self._corner_text(style.hint_size * font_scale, style.hint_text, bold=False, boxed=False)
        self.hint.GetPositionCoordinate().SetValue(0.015, 0.03)
        self.hint.SetInput(DRAG_HINTS[column])
        self.hint.VisibilityOff()

        # the hovered or picked atom: a ring around it, facing the camera, in every view. A ring and not a
        # translucent sphere over the atom: the atom keeps its own colour, which is what the user reads
        self.marker_actor = vtkFollower()
        marker_prop = self.marker_actor.GetProperty()
        marker_prop.SetColor(*style.highlight)
        marker_prop.LightingOff()
        self.marker_actor.VisibilityOff()
        self.marker_actor.PickableOff()
        renderer.AddViewProp(self.marker_actor)

    def _corner_text(self, size: float, colour, bold: bool, boxed: bool) -> vtkTextActor:
        actor = vtkTextActor()
        actor.SetTextScaleModeToNone()
        prop = actor.GetTextProperty()
        style_text(prop, size, colour, bold=bold)
        prop.SetJustificationToLeft()
        if boxed:
            prop.SetBackgroundColor(*self.style.badge_background)
            prop.SetBackgroundOpacity(0.88)
            prop.SetFrame(True)
            prop.SetFrameColor(*colour)
            prop.SetFrameWidth(1)
        actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.renderer.AddViewProp(actor)
        return actor

    def add_triad(self, mapper: vtkPolyDataMapper, length: float, font_scale: float) -> None:
        """The shared axes at the origin (x red, y green, z blue): a translation moves the molecule away from it.

        Each axis carries its letter just past its tip, in its colour, on the text layer (never hidden by atoms).
        """
        self.triad_actor = vtkActor()
        self.triad_actor.SetMapper(mapper)
        self.triad_actor.GetProperty().SetLineWidth(2.0)
        self.triad_actor.GetProperty().LightingOff()
        self.triad_actor.PickableOff()
        self.renderer.AddViewProp(self.triad_actor)
        self.triad_letters: list[vtkTextActor] = []
        for k, (letter, colour) in enumerate(TRIAD_AXES):
            actor = vtkTextActor()
            actor.SetTextScaleModeToNone()
            actor.SetInput(letter)
            prop = actor.GetTextProperty()
            style_text(prop, self.style.hint_size * font_scale, tuple(c / 255.0 for c in colour), bold=True)
            prop.SetJustificationToCentered()
            prop.SetVerticalJustificationToCentered()
            tip = [0.0, 0.0, 0.0]
            tip[k] = 1.18 * length
            coordinate = actor.GetPositionCoordinate()
            coordinate.SetCoordinateSystemToWorld()
            coordinate.SetValue(*tip)
            actor.PickableOff()
            self.text_layer.AddViewProp(actor)
            self.triad_letters.append(actor)

    def _build_legend(self, font_scale: float) -> None:
        size = self.style.bar_label_size * font_scale
        self.legend_title = vtkTextActor()
        self.legend_title.SetTextScaleModeToNone()
        self.legend_title.SetInput("element")
        style_text(self.legend_title.GetTextProperty(), size, self.style.text, bold=True)
        self.legend_title.GetTextProperty().SetJustificationToRight()
        self.legend_title.GetTextProperty().SetVerticalJustificationToTop()
        self.legend_title.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.renderer.AddViewProp(self.legend_title)
        for _ in range(MAX_LEGEND_ELEMENTS):
            actor = vtkTextActor()
            actor.SetTextScaleModeToNone()
            prop = actor.GetTextProperty()
            style_text(prop, size, self.style.text, bold=True)
            prop.SetJustificationToCentered()
            prop.SetVerticalJustificationToTop()
            prop.SetBackgroundOpacity(1.0)
            prop.SetFrame(True)
            prop.SetFrameColor(*self.style.border)
            actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
            actor.VisibilityOff()
            self.renderer.AddViewProp(actor)
            self.legend.append(actor)

    def set_legend(self, z: np.ndarray) -> None:
        """One swatch per element of the molecule (heaviest first), in the colour its atoms have, named on it."""
        if self.legend_title is None:
            return
        numbers = sorted({int(v) for v in np.asarray(z).reshape(-1)}, reverse=True)
        shown = numbers[:MAX_LEGEND_ELEMENTS]
        rgba = element_rgba(np.array(shown, dtype=np.int64)) if shown else np.zeros((0, 4), dtype=np.uint8)
        light_text = is_dark(rgba) if shown else []
        for k, actor in enumerate(self.legend):
            if k >= len(shown):
                actor.VisibilityOff()
                continue
            more = k == MAX_LEGEND_ELEMENTS - 1 and len(numbers) > len(shown)  # the last entry says there are more
            actor.SetInput(" … " if more else f" {element_symbol(shown[k])} ")
            prop = actor.GetTextProperty()
            prop.SetBackgroundColor(*(self.style.background if more else rgba[k, :3] / 255.0))
            text = (1.0, 1.0, 1.0) if light_text[k] else (0.06, 0.06, 0.08)
            prop.SetColor(*(self.style.text if more else text))
            actor.VisibilityOn()

    def place_legend(self, width_px: float, height_px: float, title_px: float, px: float) -> None:
        """The legend as a column at the right edge of the view, below its title (where model rows have a bar)."""
        if self.legend_title is None or width_px <= 1 or height_px <= 1:
            return
        right = width_px - self.style.bar_margin * px
        top = height_px - 1.35 * title_px
        self.legend_title.GetPositionCoordinate().SetValue(right / width_px, top / height_px)
        _, title_h = _text_box(self.legend_title, self.renderer)
        widths = [_text_box(actor, self.renderer)[0] for actor in self.legend if actor.GetInput()]
        centre = right - 0.5 * max(widths, default=0.0)
        y = top - title_h - 4.0 * px
        for actor in self.legend:
            actor.GetPositionCoordinate().SetValue(centre / width_px, y / height_px)
            y -= _text_box(actor, self.renderer)[1] + 3.0 * px

    def legend_entries(self) -> list[tuple[str, tuple[float, float, float]]]:
        """(element symbol, swatch colour RGB 0..1) of every legend entry shown, top to bottom."""
        return [
            (actor.GetInput().strip(), tuple(actor.GetTextProperty().GetBackgroundColor()))
            for actor in self.legend
            if actor.GetVisibility()
        ]

    @staticmethod
    def _colour_by(mapper: vtkMapper) -> None:
        mapper.SetScalarModeToUsePointFieldData()
        mapper.SelectColorArray("rgba")
        mapper.SetColorModeToDirectScalars()
        mapper.ScalarVisibilityOn()

    @staticmethod
    def _shade(prop: vtkProperty, specular: float) -> None:
        prop.SetAmbient(0.18)
        prop.SetDiffuse(0.82)
        prop.SetSpecular(specular)
        prop.SetSpecularPower(40.0)

    # ------------------------------------------------------------------ data
    def resize(self, num_atoms: int, num_bonds: int) -> None:
        """Fresh arrays for a molecule of another size (same actors and mappers)."""
        if self.atom_arrays.n != num_atoms:
            self.atom_arrays = _Arrays(self.atoms, num_atoms, ATOM_ARRAYS)
        self.lines = num_atoms > LINE_BONDS_ABOVE
        if self.bond_arrays.n != 2 * num_bonds and not self.lines:
            self.bond_arrays = _Arrays(self.bonds, 2 * num_bonds, BOND_ARRAYS)
            self.bond_arrays.arrays["size"][:, 1:] = self.style.bond_radius
        self.bond_actor.SetMapper(self.line_mapper if self.lines else self.bond_mapper)
        self.bond_actor.GetProperty().SetLighting(not self.lines)  # a line has no normal to light
        self.bond_actor.GetProperty().SetLineWidth(LINE_WIDTH_PX)
        self.bond_actor.SetVisibility(num_bonds > 0)

    def _build_lines(self, num_atoms: int, owners: np.ndarray) -> None:
        """Line cells atom -> midpoint for the half-bonds of ``owners`` (:func:`half_bonds`), colours to be written."""
        halves = len(owners)
        self._line_owners = owners.copy()
        self._line_points = np.zeros((num_atoms + halves // 2, 3))
        points = vtkPoints()
        points.SetData(numpy_to_vtk(self._line_points, deep=False))
        self.bond_lines.SetPoints(points)
        ends = np.column_stack((owners, num_atoms + np.arange(halves) // 2)).astype(np.int64)
        cells = vtkCellArray()
        cells.SetData(
            numpy_to_vtk(np.arange(0, 2 * halves + 1, 2, dtype=np.int64), deep=True, array_type=VTK_ID_TYPE),
            numpy_to_vtk(ends.reshape(-1), deep=True, array_type=VTK_ID_TYPE),
        )
        self.bond_lines.SetLines(cells)
        self._line_rgba = np.zeros((halves, 4), dtype=np.uint8)
        colours = numpy_to_vtk(self._line_rgba, deep=False)
        colours.SetName("rgba")
        self.bond_lines.GetCellData().RemoveArray("rgba")
        self.bond_lines.GetCellData().AddArray(colours)
        self._line_colours = colours

    def write_geometry(self, positions: np.ndarray, radii: np.ndarray | None, halves: tuple[np.ndarray, ...]) -> None:
        """Move atoms and bonds (``halves``: :func:`half_bonds`); ``radii`` None keeps them.

        The bonds' colours follow their atoms (see :meth:`write_colours`).
        """
        atoms = self.atom_arrays
        atoms.points[:] = positions
        if radii is not None:
            atoms.arrays["radius"][:] = radii
        atoms.modified()
        centres, directions, lengths, owners = halves
        self._owners = owners
        if self.lines:
            n = len(positions)
            if not np.array_equal(self._line_owners, owners) or len(self._line_points) != n + len(owners) // 2:
                self._build_lines(n, owners)
                self._line_rgba[:] = atoms.arrays["rgba"][owners]
            self._line_points[:n] = positions
            self._line_points[n:] = 2.0 * centres[0::2] - positions[owners[0::2]]  # a half ends at the midpoint
            self.bond_lines.GetPoints().Modified()
            self.bond_lines.Modified()
            return
        bonds = self.bond_arrays
        bonds.points[:] = centres
        bonds.arrays["direction"][:] = directions
        bonds.arrays["size"][:, 0] = lengths
        bonds.modified()

    def write_colours(self, rgba: np.ndarray, values: np.ndarray) -> bool:
        """Recolour atoms and half-bonds; returns False (and touches nothing) when nothing changed."""
        atoms = self.atom_arrays
        if np.array_equal(atoms.arrays["rgba"], rgba) and np.array_equal(atoms.arrays["value"], values):
            return False
        atoms.arrays["rgba"][:] = rgba
        atoms.arrays["value"][:] = values
        atoms.arrays["type"][:] = label_types(rgba)
        atoms.modified()
        if self.lines and len(self._line_owners):
            self._line_rgba[:] = rgba[self._line_owners]
            self._line_colours.Modified()
            self.bond_lines.Modified()
        elif len(self._owners):
            self.bond_arrays.arrays["rgba"][:] = rgba[self._owners]
            self.bond_arrays.modified()
        return True

    def set_title(self, text: str) -> None:
        if self.title.GetInput() != text:
            self.title.SetInput(text)

    def set_badge(self, text: str, colour) -> None:
        """The verdict badge; the text is re-rendered only when it changes."""
        if self.badge is None:
            return
        self.badge.SetVisibility(bool(text))
        if self.badge.GetInput() != text:
            self.badge.SetInput(text)
        prop = self.badge.GetTextProperty()
        if tuple(prop.GetColor()) != tuple(colour):
            prop.SetColor(*colour)
            prop.SetFrameColor(*colour)

    def set_range_note(self, text: str, below: bool, above: bool) -> None:
        """The out-of-range note and the colour bar's end swatches (the atoms' clipped colours)."""
        if self.range_note is None or self.bar is None or self.lut is None:
            return
        if self.range_note.GetInput() != text:
            self.range_note.SetInput(text)
        self.range_note.SetVisibility(bool(text))
        if (self.bar.below, self.bar.above) != (below, above):
            self.lut.SetUseBelowRangeColor(below)
            self.lut.SetUseAboveRangeColor(above)
            self.bar.set_swatches(below, above)

    def place_badge(self, height_px: float, title_px: float) -> None:
        if self.badge is not None and height_px > 0:
            self.badge.GetPositionCoordinate().SetValue(0.015, 1.0 - 1.25 * title_px / height_px)

    def set_hint(self, text: str | None) -> None:
        """The drag hint (None hides it)."""
        if text is None:
            self.hint.VisibilityOff()
            return
        if self.hint.GetInput() != text:
            self.hint.SetInput(text)
        self.hint.VisibilityOn()

    def set_marker(self, position: np.ndarray | None, radius: float) -> None:
        """Ring the atom at ``position`` drawn with ``radius`` (None hides the ring)."""
        if position is None:
            self.marker_actor.VisibilityOff()
            return
        self.marker_actor.SetPosition(*map(float, position))
        self.marker_actor.SetScale(float(radius))
        self.marker_actor.VisibilityOn()

    def marker_centre(self) -> np.ndarray | None:
        """Where the highlight ring is (None while hidden)."""
        if not self.marker_actor.GetVisibility():
            return None
        return np.array(self.marker_actor.GetPosition())

    def set_label_size(self, size: int) -> None:
        for label_type in (DARK_LABEL, LIGHT_LABEL):
            prop = self.label_mapper.GetLabelTextProperty(label_type)
            if prop.GetFontSize() != size:
                prop.SetFontSize(size)

    def set_bar(self, lut: np.ndarray, vmin: float, vmax: float, title: str) -> None:
        """Colour bar of the frozen scale; untouched (no text re-rendering) while the scale stays the same."""
        if self.bar is None or self.lut is None:
            return
        key = (lut.tobytes(), float(vmin), float(vmax))
        if key != self._bar_key:
            self._bar_key = key
            table = numpy_to_vtk(np.ascontiguousarray(lut, dtype=np.uint8), deep=True)
            self.lut.SetNumberOfTableValues(len(lut))
            self.lut.SetTable(table)
            self.lut.SetTableRange(vmin, vmax)
            # clipped atoms take the end colours: the swatches show the same
            self.lut.SetBelowRangeColor(*(lut[0] / 255.0))
            self.lut.SetAboveRangeColor(*(lut[-1] / 255.0))
            self.lut.Modified()
            self.bar.set_scale(lut, vmin, vmax, title)
        elif self.bar.title != title:
            self.bar.set_scale(lut, vmin, vmax, title)

    def show_bar(self, shown: bool) -> None:
        if self.bar is not None and self.bar.visible != shown:
            self.bar.set_visible(shown)

    def place_bar(self, width_px: float, height_px: float, title_px: float, px: float) -> None:
        """Keep the colour bar (or the input row's legend) inside the right of the view, below the title."""
        if self.bar is not None:
            self.bar.place(width_px, height_px, title_px, px)
        self.place_legend(width_px, height_px, title_px, px)

    def set_labels_visible(self, visible: bool) -> None:
        self.label_actor.SetVisibility(bool(visible))

    def set_font_scale(self, font_scale: float) -> None:
        """Every text of the view at ``font_scale`` times its style size (presentation mode)."""
        style = self.style
        sizes = [(self.title, style.title_size), (self.hint, style.hint_size)]
        sizes += [
            (actor, size)
            for actor, size in ((self.badge, style.badge_size), (self.range_note, style.hint_size))
            if actor
        ]
        for actor, size in sizes:
            actor.GetTextProperty().SetFontSize(max(1, round(size * font_scale)))
        text_size = max(1, round(style.bar_label_size * font_scale))
        for actor in (self.legend_title, *self.legend):
            if actor is not None:
                actor.GetTextProperty().SetFontSize(text_size)
        for actor in self.triad_letters:
            actor.GetTextProperty().SetFontSize(max(1, round(style.hint_size * font_scale)))
        if self.bar is not None:
            self.bar.set_font_size(text_size)

    # ------------------------------------------------------------------ read back
    def atom_positions(self) -> np.ndarray:
        """Atom centres as stored in the VTK points (a copy)."""
        from vtkmodules.util.numpy_support import vtk_to_numpy

        points = self.atoms.GetPoints()
        if points is None or points.GetNumberOfPoints() == 0:
            return np.zeros((0, 3))
        return vtk_to_numpy(points.GetData()).astype(np.float64).copy()

    def point_array(self, name: str) -> np.ndarray:
        """A per-atom array (``"rgba"``, ``"value"``, ``"radius"``) read back from VTK (a copy)."""
        from vtkmodules.util.numpy_support import vtk_to_numpy

        array = self.atoms.GetPointData().GetArray(name)
        if array is None:
            raise KeyError(f"no point array {name!r} in view {self.row}/{self.column}")
        return vtk_to_numpy(array).copy()


@dataclass(frozen=True)
class Pick:
    """An atom under the mouse: which view and which atom."""

    row: str
    column: str
    atom: int


class GridScene:
    """Linked views of one molecule: the input row and 1 to 4 model rows, two columns; built once per plotter
    (every slot's actors exist from the start), updated in place.

    ``plotter`` must have ``shape=GRID_SHAPE`` (5, 2). Model rows are addressed by name (``view("naive",
    "original")``); each frame assigns its rows to the slots in order. ``font_scale`` multiplies text sizes (exports at 2x use 2).
    ``request_render`` replaces ``plotter.render``: a Qt widget passes its ``update`` so that the
    next paint renders once, instead of rendering now and again when Qt paints.
    """

    def __init__(
        self, plotter, style: SceneStyle = DEFAULT_STYLE, font_scale: float = 1.0, request_render=None
    ) -> None:
        if tuple(plotter.shape) != GRID_SHAPE:
            raise ValueError(f"the scene needs a plotter with shape {GRID_SHAPE}, got {tuple(plotter.shape)}")
        _configure_text_rendering()
        self.plotter = plotter
        self._request_render = request_render if request_render is not None else plotter.render
        # drag hints belong to the live window (it passes request_render): renders, exports and movies carry none
        self._live = request_render is not None
        self.style = style
        self.font_scale = float(font_scale)
        self._base_font_scale = self.font_scale  # font_scale is this times the presentation text scale
        self.frame: Frame | None = None
        self._molecule_key: tuple | None = None
        self._vector_rows: frozenset[str] = frozenset()  # the rows whose arrows the last camera fit included
        self._input_visible = True
        self._labels_visible = False
        self._fast = False
        self._camera_moving = False
        self._highlight: int | None = None
        self._triad_mapper = self._build_triad(style.triad_length)
        self._ring_mapper = self._build_ring(*style.highlight_ring)
        self._row_slots: dict[str, str] = dict(zip(MODEL_ROWS, MODEL_SLOTS))
        self._few_atoms = True  # index labels only on molecules small enough to read them

        self.views: dict[tuple[str, str], View] = {}
        for r, row in enumerate(SLOTS):
            for c, column in enumerate(COLUMNS):
                renderer = plotter.renderers[plotter.renderers.loc_to_index((r, c))]
                renderer.SetBackground(*style.background)
                renderer.add_border(
                    color=style.border, width=1.0, edges=("top",) if column == "original" else ("top", "left")
                )
                view = View(renderer, row, column, style, self.font_scale)
                view.add_triad(self._triad_mapper, style.triad_length, self.font_scale)
                view.marker_actor.SetMapper(self._ring_mapper)
                self.views[(row, column)] = view
        plotter.link_views()
        self.camera = plotter.renderers[0].GetActiveCamera()
        self.camera.ParallelProjectionOn()
        for view in self.views.values():
            view.marker_actor.SetCamera(self.camera)  # the ring turns to face the viewer
        render_window = plotter.render_window
        render_window.SetNumberOfLayers(max(3, render_window.GetNumberOfLayers()))
        for view in self.views.values():
            view.text_layer.SetActiveCamera(self.camera)
            render_window.AddRenderer(view.text_layer)
            if view.overlay is not None:
                view.overlay.SetActiveCamera(self.camera)
                view.overlay.AutomaticLightCreationOff()
                view.overlay.SetLightCollection(view.renderer.GetLights())  # lit as the atoms are
                render_window.AddRenderer(view.overlay)
        self._apply_layout()
        self._apply_label_visibility()

    @staticmethod
    def _build_ring(inner: float, outer: float) -> vtkPolyDataMapper:
        """A flat ring in the xy plane, radii in units of the ringed atom's radius; one polydata shared by all views."""
        ring = vtkDiskSource()
        ring.SetInnerRadius(inner)
        ring.SetOuterRadius(outer)
        ring.SetCircumferentialResolution(48)
        ring.SetRadialResolution(1)
        mapper = vtkPolyDataMapper()
        mapper.SetInputConnection(ring.GetOutputPort())
        mapper.ring = ring  # keep the source with its mapper
        return mapper

    @staticmethod
    def _build_triad(length: float) -> vtkPolyDataMapper:
        """Three line segments from the origin along x, y, z; one polydata shared by all views."""
        from vtkmodules.vtkCommonCore import vtkUnsignedCharArray

        triad = vtkPolyData()
        points = vtkPoints()
        for p in ((0.0, 0.0, 0.0), (length, 0.0, 0.0), (0.0, length, 0.0), (0.0, 0.0, length)):
            points.InsertNextPoint(*p)
        triad.SetPoints(points)
        lines = vtkCellArray()
        colours = vtkUnsignedCharArray()
        colours.SetNumberOfComponents(3)
        colours.SetName("rgb")
        for end, (_letter, colour) in enumerate(TRIAD_AXES, start=1):
            lines.InsertNextCell(2)
            lines.InsertCellPoint(0)
            lines.InsertCellPoint(end)
            colours.InsertNextTuple3(*colour)
        triad.SetLines(lines)
        triad.GetCellData().SetScalars(colours)
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(triad)
        mapper.SetScalarModeToUseCellData()
        mapper.SetColorModeToDirectScalars()
        mapper.triad = triad  # keep the polydata with its mapper
        return mapper

    # ------------------------------------------------------------------ access
    def slot_of(self, row: str) -> str:
        """The grid slot that shows model row ``row`` (or ``"input"``)."""
        return row if row == "input" else self._row_slots[row]

    def view(self, row: str, column: str) -> View:
        return self.views[(self.slot_of(row), column)]

    @property
    def model_rows(self) -> tuple[str, ...]:
        """The model rows shown, top to bottom."""
        return tuple(self._row_slots)

    @property
    def render_window(self):
        return self.plotter.render_window

    @property
    def input_row_visible(self) -> bool:
        return self._input_visible

    @property
    def labels_visible(self) -> bool:
        return self._labels_visible

    def visible_rows(self) -> tuple[str, ...]:
        """The rows drawn, top to bottom: ``"input"`` (unless hidden) and the model rows by name."""
        return (("input",) if self._input_visible else ()) + self.model_rows

    def _visible_slots(self) -> tuple[str, ...]:
        return tuple(self.slot_of(row) for row in self.visible_rows())

    # ------------------------------------------------------------------ layout
    def _apply_layout(self) -> None:
        rows = self._visible_slots()
        n = len(rows)
        for row in SLOTS:
            for c, column in enumerate(COLUMNS):
                view = self.views[(row, column)]
                renderer = view.renderer
                if row in rows:
                    k = rows.index(row)
                    renderer.SetViewport(0.5 * c, 1.0 - (k + 1) / n, 0.5 * (c + 1), 1.0 - k / n)
                    renderer.DrawOn()
                    renderer.InteractiveOn()
                else:
                    renderer.SetViewport(0.0, 0.0, 1e-4, 1e-4)
                    renderer.DrawOff()
                    renderer.InteractiveOff()
                if view.overlay is not None:
                    view.overlay.SetViewport(renderer.GetViewport())
                    view.overlay.SetDraw(renderer.GetDraw())
                view.text_layer.SetViewport(renderer.GetViewport())
                view.text_layer.SetDraw(renderer.GetDraw())
        self._place_bars()
        self._apply_hints()

    def _apply_hints(self) -> None:
        """Drag hints in the top visible row; during a camera move both say that only the view turns."""
        top = self.slot_of(self.visible_rows()[0])
        for (slot, column), view in self.views.items():
            if slot != top or not self._live:
                view.set_hint(None)
            else:
                view.set_hint(CAMERA_MOVED if self._camera_moving else DRAG_HINTS[column])

    def set_camera_moving(self, moving: bool) -> None:
        """A camera drag is on: the hints say "view only" (one text change at its start and end)."""
        moving = bool(moving)
        if moving != self._camera_moving:
            self._camera_moving = moving
            self._apply_hints()

    @property
    def dpi_scale(self) -> float:
        """Text grows with the render window's DPI (pyvistaqt sets 72 × the device pixel ratio): so do the bands."""
        return max(1.0, self.render_window.GetDPI() / 72.0)

    @property
    def px(self) -> float:
        """Device pixels per style pixel: the export scale times the DPI scale."""
        return self.font_scale * self.dpi_scale

    def view_size_px(self) -> tuple[float, float]:
        """Width and height in pixels of one visible view."""
        width, height = self.render_window.GetSize()
        return 0.5 * width, height / max(1, len(self.visible_rows()))

    def _place_bars(self) -> None:
        width, height = self.view_size_px()
        for row in SLOTS:
            view = self.views[(row, "transformed")]
            view.place_bar(width, height, self.style.title_band * self.px, self.px)
            view.place_badge(height, self.style.title_band * self.px)

    @property
    def text_scale(self) -> float:
        """The presentation text scale (1 outside presentation mode)."""
        return self.font_scale / self._base_font_scale

    def set_text_scale(self, scale: float) -> None:
        """Text, badges, colour bars and the bands kept free for them at ``scale`` times their size."""
        font_scale = self._base_font_scale * float(scale)
        if abs(font_scale - self.font_scale) < 1e-9:
            return
        self.font_scale = font_scale
        for view in self.views.values():
            view.set_font_scale(font_scale)
        self._place_bars()
        if self.frame is not None:
            self._apply_label_visibility()
            self._rewrite_arrows()  # thicker with the text

    def _rewrite_arrows(self) -> None:
        for row in self.model_rows:
            model_row = self.frame.rows.get(row)
            if model_row is not None:
                for column in COLUMNS:
                    self._write_arrows(self.view(row, column), model_row, column, None, self.frame)

    def set_input_row_visible(self, visible: bool) -> None:
        visible = bool(visible)
        if visible != self._input_visible:
            self._input_visible = visible
            self._apply_layout()
            if self.frame is not None:
                self._apply_titles()
                self.fit_camera()

    def set_labels_visible(self, visible: bool) -> None:
        self._labels_visible = bool(visible)
        self._apply_label_visibility()

    def _apply_label_visibility(self) -> None:
        # index labels cost more than the molecules on a software renderer: hidden while moving
        shown = self._labels_visible and not self._fast and self._few_atoms
        size = round(self.label_size_px() / self.dpi_scale) if shown else 0  # font sizes are points
        for view in self.views.values():
            view.set_labels_visible(shown)
            if shown:
                view.set_label_size(size)

    def label_size_px(self) -> int:
        """Index labels as tall as a fraction of a hydrogen atom's drawn diameter (they grow with the zoom)."""
        _, height = self.view_size_px()
        pixels_per_angstrom = height / (2.0 * max(self.camera.GetParallelScale(), 1e-6))
        smallest = float(self.frame.molecule.atom_radii.min()) if self.frame is not None else 0.5
        size = self.style.label_fraction * 2.0 * smallest * self.style.atom_scale * pixels_per_angstrom
        return int(min(max(round(size), 7 * self.px), 22 * self.px))

    def on_resize(self) -> None:
        """Re-place the colour bars after the window changed size."""
        self._place_bars()

    def set_highlight(self, atom: int | None) -> None:
        """Mark ``atom`` (or nothing) in every view; the markers follow the atom in both poses."""
        frame = self.frame
        if frame is None or atom is None or not 0 <= atom < frame.molecule.num_atoms:
            atom = None
        self._highlight = atom
        for (_row, column), view in self.views.items():
            if atom is None:
                view.set_marker(None, 0.0)
            else:
                radius = float(frame.molecule.atom_radii[atom]) * self.style.atom_scale
                view.set_marker(drawn_positions(frame, column)[atom], radius)

    @property
    def highlight(self) -> int | None:
        return self._highlight

    # ------------------------------------------------------------------ content
    def _assign_rows(self, rows: tuple[str, ...]) -> bool:
        """Give each model row of the frame its slot, in order; True when that changed the grid."""
        if len(rows) > len(MODEL_SLOTS):
            raise ValueError(f"the grid shows at most {len(MODEL_SLOTS)} model rows, got {len(rows)}")
        slots = dict(zip(rows, MODEL_SLOTS))
        if slots == self._row_slots:
            return False
        self._row_slots = slots
        self._apply_layout()
        return True

    def update(self, frame: Frame) -> None:
        """Write ``frame`` into the existing VTK arrays (no actors are created)."""
        molecule = frame.molecule
        key = (molecule.key, molecule.num_atoms)
        new_molecule = key != self._molecule_key
        new_rows = self._assign_rows(tuple(frame.row_names or frame.rows))
        if new_molecule:
            for view in self.views.values():
                view.resize(molecule.num_atoms, len(molecule.bonds))
            self.view("input", "transformed").set_legend(molecule.z)
            few = molecule.num_atoms <= MAX_LABELLED_ATOMS
            if few != self._few_atoms:
                self._few_atoms = few
                self._apply_label_visibility()
        rewrite = new_molecule or new_rows  # a slot that just got its row needs the geometry too
        radii = molecule.atom_radii * self.style.atom_scale if rewrite else None
        halves: dict[str, tuple[np.ndarray, ...]] = {}  # per column: every row shares them
        for row in ("input", *self.model_rows):
            model_row = frame.rows.get(row)
            for column in COLUMNS:
                view = self.view(row, column)
                positions = drawn_positions(frame, column)
                if row == "input":
                    rgba, values = molecule.element_rgba, molecule.z.astype(np.float64)
                elif model_row is None:  # models still loading: the molecule in a neutral grey
                    rgba = np.broadcast_to(LOADING_RGBA, (molecule.num_atoms, 4))
                    values = np.zeros(molecule.num_atoms)
                    view.show_bar(False)
                else:
                    view.show_bar(model_row.available)
                    if column == "original":
                        rgba, values = model_row.rgba_original, model_row.values_original
                    elif model_row.available:
                        rgba, values = model_row.shown_rgba, model_row.shown_values
                        view.set_bar(model_row.shown_lut, *model_row.shown_range, model_row.shown_title)
                    else:  # no model output: the grey of the row
                        rgba, values = model_row.rgba_transformed, model_row.values_transformed
                    self._write_arrows(view, model_row, column, positions, frame)
                # the original pose never moves: its geometry is written once per molecule (and slot)
                if rewrite or column == "transformed":
                    if column not in halves:
                        halves[column] = half_bonds(positions, molecule.bonds)
                    view.write_geometry(positions, radii, halves[column])
                view.write_colours(rgba, values)
                view.set_title(self._title(frame, row, column))
                if view.badge is not None:
                    if model_row is None or model_row.verdict is None:  # loading, or no model output: no verdict
                        view.set_badge("", self.style.text)
                        view.set_range_note("", False, False)
                    else:
                        view.set_badge(model_row.badge, model_row.verdict.colour)
                        below, above = model_row.outside_range if model_row.range_note else (0, 0)
                        view.set_range_note(model_row.range_note, below > 0, above > 0)
        self.frame = frame
        self._molecule_key = key
        self.set_highlight(frame.highlight)
        if frame.show_input_row != self._input_visible:
            self.set_input_row_visible(frame.show_input_row)
        if frame.show_labels != self._labels_visible:
            self.set_labels_visible(frame.show_labels)
        if frame.aligned:
            self._apply_titles()  # the aligned note goes to the top visible row, known only now
        vector_rows = frozenset(name for name, row in frame.rows.items() if row.vectors is not None)
        if new_molecule or vector_rows != self._vector_rows:  # arrows came or went: the fit includes their reach
            self.fit_camera()

    def _apply_titles(self) -> None:
        for row in ("input", *self.model_rows):
            for column in COLUMNS:
                self.view(row, column).set_title(self._title(self.frame, row, column))

    def _title(self, frame: Frame, row: str, column: str) -> str:
        """A view's title; the g·x view of the top visible row says so while the view is aligned."""
        title = frame.titles.get((row, column), "")
        if frame.aligned and column == "transformed" and row == self.visible_rows()[0]:
            title = f"{title}\n{ALIGNED_NOTE}"
        return title

    def _write_arrows(self, view: View, model_row, column: str, positions: np.ndarray, frame: Frame) -> None:
        if view.arrows is None:
            return
        if model_row.vectors is None:
            view.arrows.hide()
            return
        feet, vectors, rgba, thickness = self._arrows(model_row, column, frame, frame.show_atom_vectors)
        view.arrows.write(*drawn_arrows(frame, column, feet, vectors), rgba, thickness)

    def _arrows(self, row, column: str, frame: Frame, show_atoms: bool):
        """:func:`arrows_for` with the dipole long enough to leave the molecule (:func:`dipole_angstrom_per_debye`),
        thicker as presentation mode grows the text (by the square root: a 4x text scale, 2x thicker arrows)."""
        scale = row.vectors.angstrom_per_unit * frame.arrow_scale
        dipole_scale = None
        if row.vectors.has_dipole:
            radii = frame.molecule.atom_radii * self.style.atom_scale
            per_debye = dipole_angstrom_per_debye(row.vectors, frame.molecule.positions, radii)
            dipole_scale = per_debye * frame.arrow_scale
        return arrows_for(
            row,
            column,
            frame.positions(column),
            show_atoms,
            scale,
            dipole_per_unit=dipole_scale,
            thickness_scale=float(np.sqrt(self.text_scale)),
        )

    # ------------------------------------------------------------------ camera
    def fit_camera(self, direction: np.ndarray | None = None, up: np.ndarray | None = None) -> None:
        """Fit the shared camera tightly to both poses as drawn, and loosely to every rotation of them.

        The drawn atoms (with their radii) fill the area between the title band and the colour bar;
        each pose's ball (centroid, the molecule's reach) stays inside the whole view, so turning g
        never takes an atom out of view.
        """
        if self.frame is None:
            return
        molecule = self.frame.molecule
        camera = self.camera
        if direction is None or up is None:
            direction, up = home_view_direction(molecule.positions)
        direction = np.asarray(direction, dtype=np.float64)
        direction /= np.linalg.norm(direction)
        up = np.asarray(up, dtype=np.float64)
        right = np.cross(up, direction)
        right /= np.linalg.norm(right)
        up = np.cross(direction, right)

        radii = molecule.atom_radii * self.style.atom_scale
        poses = (molecule.positions, drawn_positions(self.frame, "transformed"))
        centres = [p.mean(axis=0) for p in poses]
        # arrow tips count as small balls too; their distance from each pose's centroid joins the reach below
        tips = self._arrow_tips()
        radii = np.concatenate([radii, np.full(len(tips[0]) + len(tips[1]), ARROW_TIP_MARGIN)])
        poses = tuple(np.concatenate([pose, *tips]) for pose in poses)
        ball = molecule.radius
        for column_tips, centre in zip(tips, centres):
            if len(column_tips):
                ball = max(ball, float(np.linalg.norm(column_tips - centre, axis=1).max()) + ARROW_TIP_MARGIN)
        lo_r = min(float((p @ right - radii).min()) for p in poses)
        hi_r = max(float((p @ right + radii).max()) for p in poses)
        lo_u = min(float((p @ up - radii).min()) for p in poses)
        hi_u = max(float((p @ up + radii).max()) for p in poses)
        mid_d = float(np.mean([c @ direction for c in centres]))
        mid_r, mid_u = 0.5 * (lo_r + hi_r), 0.5 * (lo_u + hi_u)
        focal = right * mid_r + up * mid_u + direction * mid_d

        width, height = self.view_size_px()
        width, height = max(width, 1.0), max(height, 1.0)
        scale = self.px
        free_w = max(width - 2.0 * self.style.bar_band * scale, 0.3 * width)
        free_h = max(height - 2.0 * self.style.title_band * scale, 0.3 * height)
        half_w = 0.5 * (hi_r - lo_r) * self.style.margin
        half_h = 0.5 * (hi_u - lo_u) * self.style.margin
        # parallel scale = half the world height of the whole view
        parallel_scale = max(half_h * height / free_h, half_w * height / free_w)
        for c in centres:
            reach = ball * self.style.margin
            parallel_scale = max(
                parallel_scale, abs(c @ up - mid_u) + reach, (abs(c @ right - mid_r) + reach) * height / width
            )

        distance = 10.0 * (molecule.radius + 5.0)
        camera.SetFocalPoint(*focal)
        camera.SetPosition(*(focal + direction * distance))
        camera.SetViewUp(*up)
        camera.SetParallelScale(parallel_scale)
        # One camera serves every view, so its depth range is set here for the molecule, not by each renderer
        # (a renderer of an unused row slot would fit it to whatever that slot last held and cut the molecule):
        # both poses, anywhere the translation sliders can take the moved one, and a dipole arrow reaching out of
        # the atoms (at the largest arrow scale).
        reach = ball + max(float(np.linalg.norm(c - focal)) for c in centres) + MAX_TRANSLATION_REACH
        reach += 10.0 * ball + 20.0
        camera.SetClippingRange(max(0.01, distance - reach), distance + reach)
        for view in self.views.values():
            view.renderer.camera_set = True  # keep pyvista from resetting it on the first show()
        self._vector_rows = frozenset(name for name, row in self.frame.rows.items() if row.vectors is not None)
        self._place_bars()

    def _arrow_tips(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the frame's arrows end, per column (original, transformed): ``[k, 3]`` each.

        A dipole model's optional per-atom arrows are left out: at 2 Å per Debye they reach tens of Å (the
        coordinate update in Debye) and would shrink the molecule to a dot; the arrow scale is theirs to tame.
        """
        frame = self.frame
        tips: dict[str, list[np.ndarray]] = {column: [np.zeros((0, 3))] for column in COLUMNS}
        for row in frame.rows.values():
            if row.vectors is None:
                continue
            for column in COLUMNS:
                feet, vectors, _, _ = self._arrows(row, column, frame, False)
                feet, vectors = drawn_arrows(frame, column, feet, vectors)
                tips[column].append(feet + vectors)
        return np.concatenate(tips["original"]), np.concatenate(tips["transformed"])

    def transformed_in_view(self) -> bool:
        """Whether every atom of the transformed pose lies inside the visible view area."""
        if self.frame is None:
            return True
        renderer = self.view(self.visible_rows()[0], "transformed").renderer
        x0, y0, x1, y1 = renderer.GetViewport()
        width, height = self.render_window.GetSize()
        for p in drawn_positions(self.frame, "transformed"):
            renderer.SetWorldPoint(float(p[0]), float(p[1]), float(p[2]), 1.0)
            renderer.WorldToDisplay()
            x, y, _ = renderer.GetDisplayPoint()
            if not (x0 * width <= x <= x1 * width and y0 * height <= y <= y1 * height):
                return False
        return True

    # ------------------------------------------------------------------ picking
    def view_at(self, x: float, y: float) -> tuple[str, str] | None:
        """(row, column) of the visible view at display pixel (x, y) (origin bottom left), or None."""
        width, height = self.render_window.GetSize()
        names = {slot: row for row, slot in self._row_slots.items()}
        for (slot, column), view in self.views.items():
            if slot not in self._visible_slots():
                continue
            x0, y0, x1, y1 = view.renderer.GetViewport()
            if x0 * width <= x < x1 * width and y0 * height <= y < y1 * height:
                return names.get(slot, slot), column
        return None

    def pick(self, x: float, y: float) -> Pick | None:
        """The atom drawn at display pixel (x, y) (VTK convention: origin bottom left), or None."""
        if self.frame is None:
            return None
        width, height = self.render_window.GetSize()
        names = {slot: row for row, slot in self._row_slots.items()}
        for (slot, column), view in self.views.items():
            if slot not in self._visible_slots():
                continue
            row = names.get(slot, slot)
            x0, y0, x1, y1 = view.renderer.GetViewport()
            if not (x0 * width <= x < x1 * width and y0 * height <= y < y1 * height):
                continue
            positions = drawn_positions(self.frame, column)
            radii = self.frame.molecule.atom_radii * self.style.atom_scale
            pixels_per_angstrom = (y1 - y0) * height / (2.0 * self.camera.GetParallelScale())
            display = display_points(view.renderer, positions)
            hit = np.hypot(display[:, 0] - x, display[:, 1] - y) <= radii * pixels_per_angstrom + 1.0
            if not hit.any():
                return None
            nearest = int(np.flatnonzero(hit)[np.argmin(display[hit, 2])])  # the front-most atom under the pointer
            return Pick(row, column, nearest)
        return None

    # ------------------------------------------------------------------ rendering
    def set_fast(self, fast: bool) -> None:
        """While something moves: no multisampling (Mesa's software renderer pays per sample), no index labels."""
        fast = bool(fast)
        if fast == self._fast:
            return
        self._fast = fast
        self.render_window.SetMultiSamples(0 if fast else self.style.quality_samples)
        self._apply_label_visibility()

    @property
    def fast(self) -> bool:
        return self._fast

    def render(self) -> None:
        """Render once: now (off screen) or at the next paint (Qt)."""
        self._request_render()

    def image(self, scale: int = 1, transparent: bool = False) -> np.ndarray:
        """The whole grid as an RGB(A) uint8 array ``[h * scale, w * scale, 3 or 4]``, rendered at full quality."""
        if not 1 <= int(scale) <= 8:
            raise ValueError(f"screenshot scale must be between 1 and 8, got {scale}")
        was_fast = self._fast
        self.set_fast(False)
        try:
            # PyVista's screenshot renders only a plotter's very first frame and otherwise reads back whatever the
            # window last drew: render this state (with multisampling) first
            self.plotter.render()
            image = self.plotter.screenshot(
                None, transparent_background=bool(transparent), return_img=True, scale=int(scale)
            )
        finally:
            self.set_fast(was_fast)
        return np.ascontiguousarray(image)
