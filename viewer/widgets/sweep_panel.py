"""The Sweep dock: every atom's colour value and max|Δh| against the spin angle, Play, and the invariance sphere.

The panel is a widget like the others: it writes slider values into the view state (a click or drag in a plot
sets the angle; Play advances it; hovering a curve sets the state's ``highlight``, which the controller draws as
the marker around that atom in every 3D view) and never touches the scene. The curves come from one sweep per
model row (:class:`equiview.viewer.model.spin.Spin`): the built-in rows and the user's, up to ``MAX_MODEL_ROWS``, each
in a row of plots built once and reused (a row whose model does not know an element says so in its title).

The panel costs nothing unless the user opens it: while hidden it neither sweeps nor redraws, it only notes that
its sweep is out of date. While shown it sweeps again when the molecule, the models, the projections or the axis
change, or when the user asks (Recompute, Play, a click in a plot after moving g by hand); a slider step that
moves g only marks the curves as taken at another pose (a new sweep per step would cost every drag its speed).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from equiview.core.errors import EquiviewError
from equiview.viewer.guard import guarded
from equiview.viewer.model.pipeline import Pipeline
from equiview.viewer.model.snapshot import DISPLAY_FIELDS, MAX_MODEL_ROWS, Snapshot, TransformParams
from equiview.viewer.model.sweep_plot import ERROR_FLOOR
from equiview.viewer.model.sweep_settings import same_sweep_inputs
from equiview.viewer.state import ViewState

if TYPE_CHECKING:  # the sweep imports torch: the window's interface thread must not at start-up
    from equiview.viewer.model.spin import Spin
    from equiview.viewer.model.sweep import Sweep

DEFAULT_SPEED = 30.0  # degrees per second
SPEED_RANGE = (1.0, 360.0)
RECOMPUTE_MS = 250  # a sweep is recomputed this long after the last outside change (slider drags come in bursts)
HOVER_PIXELS = 6.0  # a curve this close to the mouse is hovered
SPHERE_BANDS, SPHERE_STEPS = 8, 24
AXIS_NAMES = ("x", "y", "z")
ROW_MIN_HEIGHT = 110
"""Pixels a row of plots keeps at least (title, curves, angle ticks): more rows than fit scroll instead of squashing."""
ERROR_COLOUR, VECTOR_ERROR_COLOUR = "#d62728", "#1f77b4"  # max|Δh| and max|v(g·x) − R·v(x)|


def error_title(title: str, vectors: bool) -> str:
    """The error plot's title; with vectors it names both curves in their colours."""
    if not vectors:
        return f"{title}: max |Δh|"
    return (
        f"{title}: <span style='color:{ERROR_COLOUR}'>max |Δh|</span>, "
        f"<span style='color:{VECTOR_ERROR_COLOUR}'>max |v(g·x) − R·v(x)|</span> (dashed)"
    )


LABEL_LINES = 1.6
"""Major tick labels of a value axis are at least this many text lines apart: a short plot gets fewer of them."""
NICE_STEPS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


class UncrowdedAxis(pg.AxisItem):
    """A value axis whose tick labels never overlap, however short the plot: pyqtgraph's spacing, widened to the
    next 1-2-5 step until a label's height (times :data:`LABEL_LINES`) fits between two major ticks. On a log axis
    the step is in decades."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        # a fixed width for labels like "0.0001" or "-0.25": an axis that lost its labels while its plot was tiny
        # would otherwise shrink to the tick marks and drop every label that no longer fits, for good
        self.setWidth(round(QFontMetricsF(self.font()).horizontalAdvance("−0.0001") + 14))

    def tickSpacing(self, minVal: float, maxVal: float, size: float):
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or size <= 0:
            return levels
        line = QFontMetricsF(self.style.get("tickFont") or self.font()).height()
        span = abs(maxVal - minVal)
        least = span * LABEL_LINES * line / size  # the value span one label needs
        spacing, offset = levels[0]
        if spacing >= least:
            return levels
        steps = [spacing * step for step in NICE_STEPS if spacing * step <= span]  # one tick stays in view
        wider = next((step for step in steps if step >= least), steps[-1] if steps else spacing)
        return [(wider, offset), *[level for level in levels[1:] if level[0] < wider]]


class RowPlots:
    """One model row's plots, built once: the per-atom colour values (a pool of curves) and max|Δh| (log)."""

    def __init__(self, layout: pg.GraphicsLayout, cursor_moved) -> None:
        self.values = pg.PlotItem(axisItems={"left": UncrowdedAxis("left")})
        self.errors = pg.PlotItem(axisItems={"left": UncrowdedAxis("left")})
        self.errors.setLogMode(y=True)
        self.errors.getAxis("left").setStyle(maxTextLevel=0)  # decades labelled at the major ticks only: no pile-up
        self.cursors = []
        for plot in (self.values, self.errors):
            plot.setXRange(0.0, 360.0, padding=0.0)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.getAxis("bottom").setTicks([[(a, f"{a}°") for a in range(0, 361, 90)]])
            cursor = pg.InfiniteLine(pos=0.0, angle=90, movable=True, pen=pg.mkPen("#d62728", width=2))
            cursor.sigPositionChanged.connect(cursor_moved)
            plot.addItem(cursor)
            self.cursors.append(cursor)
        self.error_curve = self.errors.plot([], [], pen=pg.mkPen(ERROR_COLOUR, width=2))
        # a model with vectors: how far its arrows are from turning with the molecule, on the same log axis
        self.vector_curve = self.errors.plot(
            [], [], pen=pg.mkPen(VECTOR_ERROR_COLOUR, width=2, style=Qt.PenStyle.DashLine)
        )
        self.curves: list[pg.PlotDataItem] = []
        self.layout = layout
        self.shown_at: int | None = None  # the layout row it is placed in, None while not shown

    def place(self, row: int | None) -> None:
        """Put the plots in layout row ``row`` (None: take them out); the items themselves are kept."""
        if row == self.shown_at:
            return
        if self.shown_at is not None:
            self.layout.removeItem(self.values)
            self.layout.removeItem(self.errors)
        if row is not None:
            self.layout.addItem(self.values, row=row, col=0)
            self.layout.addItem(self.errors, row=row, col=1)
        self.shown_at = row

    def curve_pool(self, atoms: int, largest: int) -> list[pg.PlotDataItem]:
        """At least ``atoms`` curves. Curves are only ever added (up to the largest molecule of the set at once):
        switching molecules reuses them instead of creating and dropping items."""
        while len(self.curves) < max(atoms, largest):
            curve = self.values.plot([], [])
            curve.setVisible(False)
            self.curves.append(curve)
        return self.curves

    def clear(self) -> None:
        """No curves (the row's model is not available): no values on the axes either, they would be the last ones."""
        for curve in self.curves:
            curve.setData([], [])
            curve.setVisible(False)
        self.error_curve.setData([], [])
        self.vector_curve.setData([], [])
        self.show_values(False)

    def show_values(self, shown: bool) -> None:
        for plot in (self.values, self.errors):
            plot.getAxis("left").setStyle(showValues=shown)


class SweepPanel(QWidget):
    """Axis choice, Play/Pause with a speed, per model row the sweep plots, and the invariance sphere tab."""

    atomHovered = Signal(object)  # int atom index, or None when the mouse leaves the curves
    playingChanged = Signal(bool)

    def __init__(self, state: ViewState, pipeline: Pipeline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweepPanel")
        self.state = state
        self.pipeline = pipeline
        self.spin: Spin | None = None
        self.result: Sweep | None = None
        self.angle = 0.0
        self._expected: TransformParams | None = None  # the transform the panel itself set last
        self._out_of_date = True  # inputs changed (or never swept) while the panel could not show it
        self._moved_by_hand = False  # g changed by another widget: the curves are from another pose
        self.spheres: dict = {}
        self._playing = False
        self._last_step: float | None = None
        self._hovered: int | None = None
        self._resting_highlight: int | None = None  # the state's highlight before a hover began
        table = getattr(pipeline, "table", None)
        self._largest_molecule = int(np.diff(table.atom_ptr).max()) if table is not None and len(table) else 0

        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self.axis_box = QComboBox()
        self.axis_box.setObjectName("sweepAxis")
        self.axis_box.addItems([f"about {name.upper()}" for name in AXIS_NAMES])
        self.axis_box.setCurrentIndex(2)
        self.axis_box.setToolTip("Spin about this axis through the molecule's centroid; angle 0 is the identity")
        self.axis_box.currentIndexChanged.connect(self._axis_changed)
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("sweepPlay")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Spin the molecule about the axis (Space); any other input stops it")
        self.play_button.toggled.connect(self.set_playing)
        self.speed_box = QDoubleSpinBox()
        self.speed_box.setObjectName("sweepSpeed")
        self.speed_box.setRange(*SPEED_RANGE)
        self.speed_box.setValue(DEFAULT_SPEED)
        self.speed_box.setSuffix(" °/s")
        self.speed_box.setDecimals(0)
        self.recompute_button = QPushButton("Recompute")
        self.recompute_button.setObjectName("sweepRecompute")
        self.recompute_button.setToolTip("Sweep again (angle 0 = the identity; the cursor starts at the current g)")
        self.recompute_button.clicked.connect(self.recompute)
        self.angle_label = QLabel()
        self.angle_label.setObjectName("sweepAngle")
        controls = QHBoxLayout()
        controls.addWidget(self.axis_box)
        controls.addWidget(self.play_button)
        controls.addWidget(self.speed_box)
        controls.addWidget(self.recompute_button)
        controls.addWidget(self.angle_label, 1)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setObjectName("sweepPlots")
        self.plots.setMinimumHeight(ROW_MIN_HEIGHT)
        self.plot_scroll = QScrollArea()
        self.plot_scroll.setObjectName("sweepScroll")
        self.plot_scroll.setWidgetResizable(True)
        self.plot_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.plot_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.plot_scroll.setWidget(self.plots)
        self.slots = [RowPlots(self.plots.ci, self._cursor_moved) for _ in range(MAX_MODEL_ROWS)]
        self.cursors: list[pg.InfiniteLine] = [cursor for slot in self.slots for cursor in slot.cursors]
        self.row_slots: dict[str, RowPlots] = {}  # the swept state's model rows, in the grid's order
        self._place_rows(state.snapshot.rows)
        self.plots.scene().sigMouseClicked.connect(self._plot_clicked)
        self.plots.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plots.viewport().installEventFilter(self)  # the mouse leaving the plots ends a hover

        self.sphere_button = QPushButton("Compute the invariance sphere")
        self.sphere_button.setObjectName("sphereCompute")
        self.sphere_button.clicked.connect(self.compute_sphere)
        self.sphere_note = QLabel(
            "max |Δh| over a full turn about every axis direction (one sphere per model, log colour scale)."
        )
        self.sphere_note.setWordWrap(True)
        self.sphere_holder = QVBoxLayout()
        sphere_page = QWidget()
        sphere_layout = QVBoxLayout(sphere_page)
        sphere_layout.addWidget(self.sphere_note)
        sphere_layout.addWidget(self.sphere_button)
        sphere_layout.addLayout(self.sphere_holder, 1)
        self.sphere_canvas = None

        self.tabs = QTabWidget()
        self.tabs.setObjectName("sweepTabs")
        self.tabs.addTab(self.plot_scroll, "Angle sweep")
        self.tabs.addTab(sphere_page, "Invariance sphere")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.tabs, 1)

        self._recompute = QTimer(self)
        self._recompute.setSingleShot(True)
        self._recompute.setInterval(RECOMPUTE_MS)
        self._recompute.timeout.connect(self.recompute)
        self._tick = QTimer(self)
        self._tick.setSingleShot(True)
        self._tick.timeout.connect(self._advance)
        state.changed.connect(self._state_changed)

    # ------------------------------------------------------------------ the sweep
    @property
    def axis(self) -> str:
        return AXIS_NAMES[self.axis_box.currentIndex()]

    @Slot()
    @guarded
    def recompute(self) -> None:
        """Sweep the current state about the chosen axis from the identity; the cursor starts at the current g when
        it is a turn about that axis, else at 0."""
        self._recompute.stop()
        self._out_of_date = True
        if not self.pipeline.library.ready:  # PyTorch still loading in the background: models_ready() comes
            self.angle_label.setText("the sweep follows once the models are loaded…")
            return
        from equiview.viewer.model.spin import Spin

        self._resting_highlight = self.state.snapshot.highlight  # the curves change: a hover ends, the state's
        self.highlight(None)  # highlight stays (a new molecule has already cleared it)
        self.spin = Spin(self.state.snapshot, self.axis)
        self._expected = self.state.snapshot.transform
        self.result = self.spin.sweep(self.pipeline)
        current = self.result.current_angle
        self.angle = 0.0 if current is None else current
        self._out_of_date = self._moved_by_hand = False
        self._draw()

    def models_ready(self) -> None:
        """The window's background loader finished: draw the first sweep if the panel is shown."""
        if self.isVisible():
            self.recompute()
        else:
            self._out_of_date = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._out_of_date:  # opening the dock asks for the curves of what the window shows now
            self.recompute()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.highlight(None)
        self.set_playing(False)
        self._recompute.stop()

    # the plots of each model row, by the row's name (what the tests and the hover read)
    @property
    def value_plots(self) -> dict[str, pg.PlotItem]:
        return {name: slot.values for name, slot in self.row_slots.items()}

    @property
    def error_plots(self) -> dict[str, pg.PlotItem]:
        return {name: slot.errors for name, slot in self.row_slots.items()}

    @property
    def curves(self) -> dict[str, list[pg.PlotDataItem]]:
        return {name: slot.curves for name, slot in self.row_slots.items()}

    def _place_rows(self, rows: tuple[str, ...]) -> None:
        """One row of plots per model row, top to bottom in the grid's order; the other slots leave the layout."""
        if tuple(self.row_slots) == tuple(rows):
            return
        for slot in self.slots:
            slot.place(None)
        self.row_slots = dict(zip(rows, self.slots))
        for row, slot in enumerate(self.row_slots.values()):
            slot.place(row)
        self.plots.setMinimumHeight(ROW_MIN_HEIGHT * max(1, len(rows)))

    def _draw(self) -> None:
        from equiview.viewer.model.spin import row_titles

        result, snapshot = self.result, self.spin.snapshot
        titles = row_titles(snapshot)
        cmap = matplotlib.colormaps[self.state.snapshot.colormap]
        angles = np.append(result.angles, 360.0)
        errors = [np.maximum(e, ERROR_FLOOR) for m in result.models.values() for e in m.error_curves] or [np.ones(1)]
        low, high = min(float(e.min()) for e in errors), max(float(e.max()) for e in errors)
        self._place_rows(snapshot.rows)
        for name, slot in self.row_slots.items():
            title = titles[name]
            model = result.models.get(name)
            if model is None:  # a model that does not know an element, or a user's model that failed
                slot.clear()
                slot.values.setTitle(f"{snapshot.sources[name].title}: not available")
                slot.errors.setTitle(result.unavailable[name].reason)
                continue
            slot.values.setTitle(f"{title}: colour value per atom")
            slot.errors.setTitle(error_title(title, model.vector_error is not None))
            slot.show_values(True)
            atoms = model.values.shape[1]
            norm = matplotlib.colors.Normalize(model.vmin, model.vmax, clip=True)
            for atom, curve in enumerate(slot.curve_pool(atoms, self._largest_molecule)):
                if atom >= atoms:  # a smaller molecule: spare curves stay, hidden and empty
                    curve.setData([], [])
                    curve.setVisible(False)
                    continue
                colour = [int(255 * c) for c in cmap(norm(model.values_original[atom]))[:3]]
                curve.setPen(pg.mkPen(colour, width=3 if atom == self._hovered else 1))
                curve.setData(angles, np.append(model.values[:, atom], model.values[0, atom]))
                curve.setVisible(True)
            error = np.maximum(model.max_error, ERROR_FLOOR)
            slot.error_curve.setData(angles, np.append(error, error[0]))
            if model.vector_error is None:
                slot.vector_curve.setData([], [])
            else:
                vector_error = np.maximum(model.vector_error, ERROR_FLOOR)
                slot.vector_curve.setData(angles, np.append(vector_error, vector_error[0]))
            # one decade range for every row: 0.5 against 1e-6 reads at a glance
            slot.errors.setYRange(np.log10(low) - 0.5, np.log10(high) + 0.5, padding=0.0)
        self._show_angle()

    def _show_angle(self) -> None:
        for cursor in self.cursors:
            cursor.blockSignals(True)
            cursor.setValue(self.angle)
            cursor.blockSignals(False)
        note = " (g moved by hand: Recompute sweeps from here)" if self._moved_by_hand else ""
        if not note and self.result is not None and self.result.current_angle is None:
            note = f" (the current g is no turn about {self.axis}: the cursor sets one)"
        self.angle_label.setText(f"θ = {self.angle:.1f}° about {self.axis}{note}")

    def values_at(self, kind: str, index: int) -> np.ndarray:
        """Colour values of every atom at sweep angle ``index`` (what the curves show)."""
        return self.result.models[kind].values[index]

    # ------------------------------------------------------------------ setting the angle
    def set_angle(self, angle: float) -> None:
        """Turn the current sweep's pose by ``angle`` degrees: one state change, drawn by the controller."""
        if self.spin is None or self._moved_by_hand:  # the user asks for an angle of the pose shown now
            self.recompute()
        if self.spin is None:
            return
        wrapped = float(angle) % 360.0  # into [0, 360); a tiny negative angle would give 360.0
        self.angle = 0.0 if wrapped >= 360.0 else wrapped
        self._expected = self.spin.params(self.pipeline, self.angle)
        self._show_angle()
        self.state.set_transform(self._expected)

    @Slot(object)
    @guarded
    def _cursor_moved(self, line: pg.InfiniteLine) -> None:
        self.set_playing(False)
        self.set_angle(float(line.value()))

    @Slot(object)
    @guarded
    def _plot_clicked(self, event) -> None:
        plot = self._plot_at(event.scenePos())
        if plot is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self.set_playing(False)
        self.set_angle(plot.vb.mapSceneToView(event.scenePos()).x())

    def _plot_at(self, scene_pos: QPointF) -> pg.PlotItem | None:
        for slot in self.row_slots.values():
            for plot in (slot.values, slot.errors):
                if plot.vb.sceneBoundingRect().contains(scene_pos):
                    return plot
        return None

    @Slot(object)
    @guarded
    def _mouse_moved(self, scene_pos: QPointF) -> None:
        """Hovering a value curve highlights its atom: a thicker curve, and the marker in the 3D views."""
        atom = None
        for kind, plot in self.value_plots.items():
            model = self.result.models.get(kind) if self.result is not None else None
            if model is None or not plot.vb.sceneBoundingRect().contains(scene_pos):
                continue
            point = plot.vb.mapSceneToView(scene_pos)
            angles = np.append(self.result.angles, 360.0)
            at = np.array([np.interp(point.x(), angles, np.append(v, v[0])) for v in model.values.T])
            # compare in pixels: the value axis has its own scale
            pixels_per_unit = plot.vb.sceneBoundingRect().height() / max(
                plot.vb.viewRange()[1][1] - plot.vb.viewRange()[1][0], 1e-12
            )
            distance = np.abs(at - point.y()) * pixels_per_unit
            if distance.size and distance.min() <= HOVER_PIXELS:
                atom = int(distance.argmin())
        self.highlight(atom)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.plots.viewport():
            if event.type() == QEvent.Type.Leave:
                self.highlight(None)  # the mouse left the plots: no curve is hovered any more
            elif event.type() == QEvent.Type.Wheel:  # the plots do not zoom: the wheel scrolls the rows
                QApplication.sendEvent(self.plot_scroll.verticalScrollBar(), event)
                return True
        return False

    def highlight(self, atom: int | None) -> None:
        """Hover ``atom``'s curves (None: none). The state's ``highlight`` follows, so every 3D view marks the
        atom; when the hover ends it goes back to what it was before (a clicked atom stays marked)."""
        if atom == self._hovered:
            return
        for slot in self.row_slots.values():
            for index in (self._hovered, atom):
                if index is not None and index < len(slot.curves) and slot.curves[index].isVisible():
                    pen = pg.mkPen(slot.curves[index].opts["pen"])
                    pen.setWidth(3 if index == atom else 1)
                    slot.curves[index].setPen(pen)
        if self._hovered is None:
            self._resting_highlight = self.state.snapshot.highlight
        self._hovered = atom
        self.state.set_highlight(self._resting_highlight if atom is None else atom)
        self.atomHovered.emit(atom)

    # ------------------------------------------------------------------ the state
    @Slot(object, object)
    @guarded
    def _state_changed(self, old: Snapshot, new: Snapshot) -> None:
        changed = old.changed_fields(new)
        if changed == {"transform"} and new.transform == self._expected:
            return  # the panel's own step
        if changed <= DISPLAY_FIELDS | {"dragging"}:  # a hover (the panel's own or the grid's) stops nothing
            return
        self.set_playing(False)  # any manual input stops the spin
        if not self.isVisible():  # hidden: no sweep, no redraw; showing the panel catches up
            self._out_of_date = True
            return
        if not same_sweep_inputs(old, new) or self.result is None:
            self._recompute.start()
            return
        if "colormap" in changed:
            self._draw()
        if "transform" in changed and not self._moved_by_hand:  # a slider step: the label says so, nothing sweeps
            self._moved_by_hand = True
            self._show_angle()

    @Slot(int)
    @guarded
    def _axis_changed(self, _index: int) -> None:
        self.set_playing(False)
        self.recompute()

    # ------------------------------------------------------------------ Play
    @property
    def playing(self) -> bool:
        return self._playing

    @Slot(bool)
    @guarded
    def set_playing(self, playing: bool) -> None:
        playing = bool(playing)
        if playing == self._playing:
            return
        self._playing = playing
        if self.play_button.isChecked() != playing:
            self.play_button.blockSignals(True)
            self.play_button.setChecked(playing)
            self.play_button.blockSignals(False)
        self.play_button.setText("Pause" if playing else "Play")
        self._last_step = time.perf_counter() if playing else None
        if playing:
            if self._recompute.isActive() or self.spin is None or self._moved_by_hand or self._out_of_date:
                self.recompute()
            if self.spin is None:  # nothing to spin yet (models loading)
                self.set_playing(False)
                return
            self._tick.start(0)
        else:
            self._tick.stop()
        self.playingChanged.emit(playing)

    def toggle_playing(self) -> None:
        self.set_playing(not self._playing)

    @Slot()
    @guarded
    def _advance(self) -> None:
        """One Play step: the angle moves by speed x the time since the last step, so a slow frame never lags."""
        if not self._playing:
            return
        now = time.perf_counter()
        elapsed = now - (self._last_step or now)
        self._last_step = now
        self.set_angle(self.angle + self.speed_box.value() * elapsed)

    @Slot(float)
    def frame_drawn(self, _ms: float) -> None:
        """The controller rendered a frame: only now is the next Play step asked for (never queued faster)."""
        if self._playing and not self._tick.isActive():
            self._tick.start(0)

    # ------------------------------------------------------------------ the sphere
    @Slot()
    @guarded
    def compute_sphere(self) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        from equiview.viewer.model.spin import row_titles, state_spheres
        from equiview.viewer.model.sweep_plot import sphere_figure

        if not self.pipeline.library.ready:
            raise EquiviewError("the models are still loading; compute the sphere once they are shown")
        snapshot = self.state.snapshot
        spheres, unavailable = state_spheres(self.pipeline, snapshot, SPHERE_BANDS, SPHERE_STEPS)
        figure = sphere_figure(spheres, row_titles(snapshot), self.pipeline.molecule_for(snapshot).name, unavailable)
        canvas = FigureCanvasQTAgg(figure)
        canvas.setObjectName("sphereCanvas")
        if self.sphere_canvas is not None:
            self.sphere_holder.removeWidget(self.sphere_canvas)
            self.sphere_canvas.deleteLater()
        self.sphere_canvas = canvas
        self.sphere_holder.addWidget(canvas)
        self.spheres = spheres

    def stop(self) -> None:
        """Stop timers (the window closes)."""
        self._tick.stop()
        self._recompute.stop()
        self._playing = False
