"""The equiview main window: the linked 3D grid in the centre, controls and readouts on the right."""

from __future__ import annotations

import html
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QScrollArea,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from equiview.viewer.controller import QUALITY_SAMPLES, SceneController
from equiview.viewer.guard import Failure, guarded, reporting
from equiview.viewer.model.caption import readout_lines, with_caption
from equiview.viewer.model.colouring import projection_help
from equiview.viewer.model.errors import user_error_types
from equiview.viewer.model.library import (
    ModelLibrary,
    ModelLoadError,
    default_projection,
    kind_mismatch,
    with_loaded_models,
)
from equiview.viewer.model.molecules import MoleculeTable
from equiview.viewer.model.movie_file import MovieCancelled
from equiview.viewer.model.movie_settings import MovieSettings
from equiview.viewer.model.pipeline import Frame, Pipeline, pose_ranges
from equiview.viewer.model.png import write_png
from equiview.viewer.model.snapshot import GRID_SHAPE, MODEL_TITLES, ModelSource, ProjectionSpec, Snapshot
from equiview.viewer.model.status_text import intro_message, molecule_status, short_name
from equiview.viewer.model.structures import StructureLibrary, add_recent
from equiview.viewer.model.trackball import drag_axis_angle, rotated
from equiview.viewer.model_loader import ModelLoader
from equiview.viewer.pyvista_import import import_pyvista
from equiview.viewer.resources import app_icon
from equiview.viewer.state import ViewState
from equiview.viewer.user_model_loader import UserModelLoader
from equiview.viewer.widgets.export_dialog import ExportDialog
from equiview.viewer.widgets.models_panel import ModelsPanel
from equiview.viewer.widgets.molecule_panel import MoleculePanel
from equiview.viewer.widgets.movie_dialog import MovieDialog
from equiview.viewer.widgets.readouts import ReadoutPanel
from equiview.viewer.widgets.transform_panel import TransformPanel

if TYPE_CHECKING:
    from equiview.viewer.widgets.sweep_panel import SweepPanel

ABOUT_LINKS = (
    "Based on TeachOpenCADD talktorial T036, "
    "<a href='https://github.com/volkamerlab/teachopencadd'>github.com/volkamerlab/teachopencadd</a>; "
    "EGNN: Satorras, Hoogeboom and Welling, "
    "<a href='https://arxiv.org/abs/2102.09844'>arXiv:2102.09844</a>; "
    "QM9: Ramakrishnan et al., <a href='https://doi.org/10.1038/sdata.2014.22'>Sci. Data 1, 140022</a>."
)
MOUSE_ACTIONS = (
    ("Drag in a g·x view (right column)", "rotate g about the molecule's centroid (a trackball): the models' input"),
    ("Drag in an x view (left column)", "turn the view (camera only: the models' input stays)"),
    ("Shift+drag, middle drag", "move the view"),
    ("Ctrl+drag", "spin the view about the line of sight"),
    ("Wheel, right drag", "zoom the view"),
    ("Hover over an atom", "its index, element and values, marked in every view"),
    ("Click an atom", "keep its values in the readouts"),
    ("Drop a checkpoint file", "load it into its model's row"),
)


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("equiview")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "(not installed)"


def keys_html(actions) -> str:
    """A table of the mouse actions and of every action that has a shortcut."""
    rows = [f"<tr><td><b>{what}</b></td><td>{does}</td></tr>" for what, does in MOUSE_ACTIONS]
    for action in actions:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            text = action.text().replace("&", "")
            rows.append(f"<tr><td><b>{keys}</b></td><td>{text}</td></tr>")
    rows.append("<tr><td><b>Arrows, Page Up/Down</b></td><td>move the focused slider by 1° / 15°</td></tr>")
    return "<table cellspacing='6'>" + "".join(rows) + "</table>"


log = logging.getLogger(__name__)

DEFAULT_WINDOW_SIZE = (1280, 700)
"""Fits a 1366x768 laptop screen with the title bar and a panel."""
READOUT_INTERVAL_MS = 400
"""While something moves, the readouts follow at most this often (rich-text relayout is not free)."""
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")
"""Dropped files with these endings are checkpoints; any other dropped file is opened as a molecule."""
LOADER_FALLBACK_MS = 1000
"""The background model loader starts with the first frame, or this long after the window is built."""
DOCK_WIDTH = 380
INTRO_MS = 10000
"""How long the first hint stays in the status bar."""
SWEEP_DOCK_HEIGHT = 320
"""Room for two rows of sweep plots (``ROW_MIN_HEIGHT`` each) under the controls; more rows scroll."""
SWEEP_DOCK_SHARE = 1.0 / 3.0
"""The Sweep dock opens at most this share of the window's height: the 3D grid keeps the rest."""
ROW_MIN_HEIGHT_DOCK = 180
"""The Sweep dock opens at least this high: its controls, tabs and one row of plots."""
CLICK_SLOP_PX = 4


def make_interactor(parent: QWidget):
    """The embedded VTK widget: one render window with a grid of renderers (GRID_SHAPE; unused slots hidden)."""
    import_pyvista()  # without pyplot, which the viewer never uses
    from pyvistaqt import QtInteractor

    plotter = QtInteractor(
        parent,
        shape=GRID_SHAPE,
        border=False,  # the scene draws its own view borders; PyVista's seams would stay at the full grid
        multi_samples=QUALITY_SAMPLES,
        auto_update=False,  # we render exactly when something changed
    )
    plotter.setAcceptDrops(False)  # checkpoint files dropped on the grid go to the window
    plotter.setMouseTracking(True)
    # PyVista's and VTK's one-letter keys (q, v, w, s, e, plus, ...) would switch the scene to
    # wireframe, reset cameras or end the interactor behind the viewer's back: the menus and
    # shortcuts of the window are the keyboard interface.
    if plotter.iren is not None:
        plotter.iren._key_press_event_callbacks.clear()
        plotter.iren.interactor.RemoveObservers("CharEvent")
    return plotter


class MainWindow(QMainWindow):
    """Owns the view state, the controller (which owns the scene) and the panels.

    Every failure reaches :meth:`show_failure` (see :mod:`equiview.viewer.guard`): a user error as a message
    with the state kept, a bug with its traceback.

    ``dataset`` is a ``QM9Molecules`` or a numpy :class:`~equiview.viewer.model.molecules.MoleculeTable`.
    With ``load_models_in_background`` the window is drawn at once with the input row and PyTorch
    and the models load on a thread (:mod:`equiview.viewer.model_loader`); the model rows say "loading
    models…" until :attr:`modelsReady` and each row then gets its model's default colouring.
    """

    errorOccurred = Signal(str)
    modelsReady = Signal()
    userModelLoaded = Signal(str, bool)  # a user's model row: its name, and whether its file loaded

    def __init__(
        self,
        dataset,
        *,
        settings: QSettings | None = None,
        library: ModelLibrary | None = None,
        initial: Snapshot | None = None,
        restore_geometry: bool = True,
        persist: bool = True,
        load_models_in_background: bool = False,
    ) -> None:
        super().__init__()
        self.setObjectName("equiviewMainWindow")
        self.dataset = MoleculeTable.from_dataset(dataset)
        self.settings = settings if settings is not None else QSettings()
        self.library = library or ModelLibrary()
        self.loader: ModelLoader | None = None
        self._user_loaders: list[UserModelLoader] = []  # user model files importing on their threads
        self.persist = persist
        self.last_error: str | None = None
        self.error_box: QMessageBox | None = None
        self.export_dialog: ExportDialog | None = None
        self.movie_dialog: MovieDialog | None = None
        self.movie_progress: QProgressDialog | None = None
        self._user_camera = False
        self._press: QPoint | None = None
        self._g_drag: QPoint | None = None  # last mouse position of a drag that rotates g
        self._closed = False
        self._presenting = False
        self._before_presenting: tuple | None = None  # geometry and which panels were shown
        self._intro = ""  # the first hint while the status bar shows it (it follows the rows that are available)

        self.setWindowTitle("equiview")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)

        self.state = ViewState(len(self.dataset), self)
        pending: Failure | None = None
        if load_models_in_background:
            self.library.ready = False
            for source in self.library.default_sources().values():
                self.state.set_source(source)
        else:
            for source in self.library.default_sources().values():
                try:
                    self.state.set_model(source, default_projection(self.library.load(source)))
                except user_error_types() as error:  # a broken shipped file: keep the untrained demo, say why
                    pending = Failure.from_exception(error)
        if initial is not None:
            self.state.set_snapshot(initial)

        self.plotter = make_interactor(self)
        self.structures = StructureLibrary()  # the user's molecule files and SMILES, read once
        self.pipeline = Pipeline(self.dataset, self.library, self.structures)
        self.controller = SceneController(self.state, self.pipeline, self.plotter, self, self.plotter.update)
        self.setCentralWidget(self.plotter)
        self.plotter.installEventFilter(self)

        self._build_panels()
        self._build_menus()
        self.frame_label = QLabel()
        self.frame_label.setObjectName("frameLabel")
        self.frame_label.setProperty("muted", True)
        self.statusBar().addPermanentWidget(self.frame_label)

        self._title_molecule: int | None = None
        self._readout_timer = QTimer(self)
        self._readout_timer.setSingleShot(True)
        self._readout_timer.setInterval(READOUT_INTERVAL_MS)
        self._readout_timer.timeout.connect(self._show_readouts)
        self._loader_fallback = QTimer(self)
        self._loader_fallback.setSingleShot(True)
        self._loader_fallback.setInterval(LOADER_FALLBACK_MS)
        self._loader_fallback.timeout.connect(self._start_loading_models)
        self._awaiting_first_frame = False
        self.controller.frameChanged.connect(self._frame_changed)
        self.controller.frameRendered.connect(self._frame_rendered)
        self.models_panel.loadRequested.connect(self.choose_checkpoint)
        self.models_panel.rescaleRequested.connect(self.rescale_colours)
        self.state.changed.connect(self._state_changed)

        self.resize(*DEFAULT_WINDOW_SIZE)
        if restore_geometry:
            self._restore_settings()
        self.fit_to_screen()
        self._fitted_on_show = False
        if not self.controller.refresh():
            raise RuntimeError(self.last_error or "the first frame could not be drawn")
        if pending is not None:
            self.show_failure(pending)
        if not self.library.ready:
            self._set_models_enabled(False)
            self.loader = ModelLoader(self.pipeline, self.state.snapshot, self)
            self.loader.finished.connect(self._models_loaded)
            # PyTorch's import would compete with the first frame for the interpreter and the CPU: it
            # starts once the first frame is on screen (or after a second if the window is never shown)
            self._awaiting_first_frame = True
            # queued: the loader starts after the paint that showed the frame has returned
            self.controller.framePainted.connect(self._start_loading_models, Qt.ConnectionType.QueuedConnection)
            self._loader_fallback.start()
        self._intro = intro_message(self.controller.frame)
        self.statusBar().showMessage(self._intro, INTRO_MS)

    # ------------------------------------------------------------------ layout
    def _build_panels(self) -> None:
        self.transform_panel = TransformPanel(self.state, self)
        self.models_panel = ModelsPanel(self.state, self.library, self)
        self.molecule_panel = MoleculePanel(self.state, self.dataset, self, self.structures)
        self.molecule_panel.openFileRequested.connect(self.choose_molecule_file)
        self.molecule_panel.structureOpened.connect(self._remember_molecule_file)
        self.models_panel.addUserModelRequested.connect(self.choose_user_model)
        self.readouts = ReadoutPanel(self)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("controlTabs")
        self.tabs.addTab(self.transform_panel, "&Transform")
        self.tabs.addTab(self.models_panel, "Mo&dels")
        self.tabs.addTab(self.molecule_panel, "Mo&lecule")

        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        # the numbers first: at 1024x640 they stay above the fold, the controls scroll below them
        layout.addWidget(self.readouts)
        layout.addWidget(self.tabs, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(column)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.dock = QDockWidget("Controls", self)
        self.dock.setObjectName("controlsDock")
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.dock.setWidget(scroll)
        self.dock.setMinimumWidth(340)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)

        # opened on demand (View menu): its panel is built when first shown (pyqtgraph and the plots cost
        # a third of a second of start-up) and, when hidden again, neither sweeps nor draws
        self._sweep_panel: SweepPanel | None = None
        self.sweep_dock = QDockWidget("Sweep", self)
        self.sweep_dock.setObjectName("sweepDock")
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.sweep_dock)
        self.sweep_dock.hide()
        self.sweep_dock.visibilityChanged.connect(self._sweep_dock_visibility)

    @property
    def sweep_panel(self) -> SweepPanel:
        """The Sweep dock's panel, built on first use."""
        return self._sweep_panel if self._sweep_panel is not None else self._build_sweep_panel()

    def _build_sweep_panel(self) -> SweepPanel:
        from equiview.viewer.widgets.sweep_panel import SweepPanel

        panel = SweepPanel(self.state, self.pipeline, self)
        self.controller.frameRendered.connect(panel.frame_drawn)
        panel.atomHovered.connect(self._sweep_atom_hovered)
        self._sweep_panel = panel
        self.sweep_dock.setWidget(panel)  # shown with the dock, the panel sweeps what the window shows
        self.resizeDocks([self.sweep_dock], [self.sweep_dock_height()], Qt.Orientation.Vertical)
        return panel

    @Slot(bool)
    def sweep_dock_height(self) -> int:
        """The Sweep dock's opening height: SWEEP_DOCK_HEIGHT, but at most SWEEP_DOCK_SHARE of the window, so the 3D
        rows above it stay usable (at 1280x700 a 320 px dock left each of three rows ~110 px); its rows of plots
        scroll instead."""
        return max(ROW_MIN_HEIGHT_DOCK, min(SWEEP_DOCK_HEIGHT, round(SWEEP_DOCK_SHARE * self.height())))

    def _sweep_dock_visibility(self, visible: bool) -> None:
        if visible and self._sweep_panel is None:
            self._build_sweep_panel()

    def _action(self, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setCheckable(checkable)
        # bound methods only: a lambda here would keep the window alive after it is closed
        (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.load_action = self._action(
            "&Load checkpoint…",
            self.choose_checkpoint,
            QKeySequence.StandardKey.Open,
            "Load a trained naive or EGNN checkpoint (Ctrl+O)",
        )
        self.export_action = self._action(
            "&Export screenshot…", self.open_export_dialog, "Ctrl+E", "Save the grid of views as a PNG (Ctrl+E)"
        )
        self.movie_action = self._action(
            "Export &movie…",
            self.open_movie_dialog,
            "Ctrl+Shift+E",
            "Record the grid while the molecule spins, as GIF or MP4 (Ctrl+Shift+E)",
        )
        self.copy_action = self._action(
            "&Copy image to clipboard",
            self.copy_to_clipboard,
            "Ctrl+Shift+C",
            "Copy the grid of views to the clipboard",
        )
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.open_molecule_action = self._action(
            "Open &molecule…",
            self.choose_molecule_file,
            "Ctrl+Shift+O",
            "Open a molecule file: xyz, sdf, mol, pdb, cif, … (Ctrl+Shift+O)",
        )
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(self.open_molecule_action)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        for action in (
            self.load_action,
            None,
            self.export_action,
            self.movie_action,
            self.copy_action,
            None,
            self.quit_action,
        ):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)

        models_menu = menu.addMenu("Mo&dels")
        self.add_user_model_action = self._action(
            "Add model from &Python file…",
            self.choose_user_model,
            tip="Add a row for your own PyTorch model: this runs the Python file's code",
        )
        models_menu.addAction(self.add_user_model_action)

        view_menu = menu.addMenu("&View")
        self.reset_action = self._action(
            "&Reset transform", self.transform_panel.reset, "Ctrl+R", "Back to the identity (Ctrl+R)"
        )
        self.random_action = self._action("Ra&ndom E(3) element", self.transform_panel.randomise, "Ctrl+G")
        self.fit_action = self._action("&Fit view", self.fit_view, "Ctrl+0", "Fit the camera to both poses")
        self.play_action = self._action(
            "&Play / pause the spin", self.toggle_playing, "Space", "Spin g about the sweep's axis (Space)"
        )
        self.input_row_action = self._action("Show &input row", self._show_input_row, "Ctrl+I", checkable=True)
        self.labels_action = self._action(
            "Show atom in&dices", self._show_labels, "Ctrl+L", "Atom index labels, sized with the atoms", True
        )
        self.difference_action = self._action(
            "Colour g·x by the &change |Δh|",
            self._show_difference,
            "Ctrl+D",
            "Colour the g·x model views by |h(g·x) − h(x)| per atom, from 0",
            True,
        )
        self.aligned_action = self._action(
            "&Aligned view",
            self._show_aligned,
            "Ctrl+A",
            "Draw g·x from a camera moved by g: the input was moved and the camera follows it, so both columns "
            "look alike and only colours can differ (Ctrl+A)",
            True,
        )
        self.present_action = self._action(
            "&Presentation mode",
            self.set_presentation,
            "F5",
            "Full screen, side panels hidden, text and colour bars grown with the views (F5)",
            True,
        )
        self.rescale_action = self._action(
            "Re&scale colours to this pose",
            self.rescale_colours,
            "Ctrl+Shift+R",
            "Fit each row's colour range to both poses (no atom outside it)",
        )
        self.input_row_action.setStatusTip("The top row: both poses coloured by element")
        self.random_action.setStatusTip("A uniformly random rotation, mirrored half the time, and a random shift")
        for action in (
            self.reset_action,
            self.random_action,
            None,
            self.fit_action,
            self.play_action,
            None,
            self.input_row_action,
            self.labels_action,
            self.difference_action,
            self.aligned_action,
            self.present_action,
            self.rescale_action,
        ):
            view_menu.addSeparator() if action is None else view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.dock.toggleViewAction())
        self.sweep_dock_action = self.sweep_dock.toggleViewAction()
        self.sweep_dock_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.sweep_dock_action.setToolTip("Show the angle sweep, Play and the invariance sphere (Ctrl+Shift+S)")
        self.addAction(self.sweep_dock_action)
        view_menu.addAction(self.sweep_dock_action)

        molecule_menu = menu.addMenu("&Molecule")
        self.previous_action = self._action(
            "&Previous", self.molecule_panel.previous, QKeySequence.StandardKey.MoveToPreviousPage
        )
        self.next_action = self._action("&Next", self.molecule_panel.next, QKeySequence.StandardKey.MoveToNextPage)
        self.find_action = self._action("&Find…", self.focus_search, QKeySequence.StandardKey.Find)
        for action in (self.previous_action, self.next_action, self.find_action):
            molecule_menu.addAction(action)

        help_menu = menu.addMenu("&Help")
        self.keys_action = self._action("&Keyboard and mouse", self.show_keys, "F1", "Every shortcut and mouse action")
        help_menu.addAction(self.keys_action)
        self.colours_action = self._action(
            "What the &colours show", self.show_colours_help, tip="h, PC 1 and the colour bar explained"
        )
        help_menu.addAction(self.colours_action)
        help_menu.addAction(self._action("&About equiview", self.show_about))

        self._sync_toggles()

    @Slot(bool)
    @guarded(on_error="_sync_toggles")
    def _show_input_row(self, shown: bool) -> None:
        self.state.set_show_input_row(shown)

    @Slot(bool)
    @guarded(on_error="_sync_toggles")
    def _show_labels(self, shown: bool) -> None:
        self.state.set_show_labels(shown)

    @Slot(bool)
    @guarded(on_error="_sync_toggles")
    def _show_difference(self, shown: bool) -> None:
        self.state.set_colour_mode("difference" if shown else "embedding")

    @Slot(bool)
    @guarded
    def set_presentation(self, on: bool) -> None:
        """Presentation mode: the window fills the screen it is on, the side panels and status bar are hidden, the
        scene's text grows with the views; off, everything comes back as it was."""
        on = bool(on)
        if on != self._presenting:
            self._presenting = on
            if on:
                self._before_presenting = (self.saveGeometry(), self.dock.isVisible(), self.sweep_dock.isVisible())
                self.dock.hide()
                self.sweep_dock.hide()
                self.statusBar().hide()
                self.menuBar().hide()  # its text does not grow: on a projector a strip of tiny words (F5 still works)
                screen = self.screen() or QGuiApplication.primaryScreen()
                if screen is not None:  # the screen it is on; also where no window manager grants full screen
                    self.setGeometry(screen.geometry())
                self.showFullScreen()
            else:
                geometry, dock, sweep = self._before_presenting or (None, True, False)
                self.showNormal()
                if geometry is not None:
                    self.restoreGeometry(geometry)
                self.dock.setVisible(dock)
                self.sweep_dock.setVisible(sweep)
                self.statusBar().show()
                self.menuBar().show()
            self.controller.set_presenting(on)
            self.controller.resized(refit=not self._user_camera)
        if self.present_action.isChecked() != on:
            self.present_action.blockSignals(True)
            self.present_action.setChecked(on)
            self.present_action.blockSignals(False)

    @property
    def presenting(self) -> bool:
        return self._presenting

    @Slot(bool)
    @guarded(on_error="_sync_toggles")
    def _show_aligned(self, shown: bool) -> None:
        self.state.set_aligned(shown)

    @Slot()
    @guarded
    def rescale_colours(self) -> None:
        """Fit each model row's colour range to the values of both poses shown now."""
        frame = self.controller.frame
        if frame is not None:
            self.state.set_colour_ranges(pose_ranges(frame))

    @Slot(object, object)
    @guarded
    def _state_changed(self, old: Snapshot, new: Snapshot) -> None:
        if old.molecule != new.molecule:
            self._user_camera = False  # a new molecule gets the home view, also after a resize
        if old.changed_fields(new) & {"show_input_row", "show_labels", "colour_mode", "aligned"}:
            self._sync_toggles()

    def _sync_toggles(self) -> None:
        for action, value in (
            (self.input_row_action, self.state.show_input_row),
            (self.labels_action, self.state.show_labels),
            (self.difference_action, self.state.colour_mode == "difference"),
            (self.aligned_action, self.state.aligned),
        ):
            if action.isChecked() != value:
                action.blockSignals(True)
                action.setChecked(value)
                action.blockSignals(False)

    # ------------------------------------------------------------------ feedback
    def show_error(self, message: str) -> None:
        """A user-facing message: status bar + a non-blocking message box; the state stays as it was."""
        self.show_failure(Failure(message.strip().splitlines()[0] if message.strip() else "unknown error"))

    def show_failure(self, failure: Failure) -> None:
        """Status bar + a non-blocking message box; a bug's box carries its traceback as details."""
        if self._closed:
            return
        message = failure.message
        self.last_error = message
        self.statusBar().showMessage(message, 15000)
        if self.error_box is not None:
            self.error_box.close()
        if failure.is_bug:
            icon, title = QMessageBox.Icon.Critical, "equiview: internal error"
        else:
            icon, title = QMessageBox.Icon.Warning, "equiview"
        box = QMessageBox(icon, title, message, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("bugBox" if failure.is_bug else "errorBox")
        if failure.is_bug:
            box.setInformativeText("This is a bug in equiview, not a problem with your input. Details below.")
            box.setDetailedText(failure.details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._box_closed)
        self.error_box = box
        box.open()
        self.errorOccurred.emit(message)

    @Slot(int)
    def _box_closed(self, _result: int) -> None:
        if self.error_box is not None and not self.error_box.isVisible():
            self.error_box = None

    @Slot(object)
    @guarded
    def _models_loaded(self, results: dict) -> None:
        """The background loader finished: each row gets its model (or the demo, and a message)."""
        if self._closed:
            return
        self.library.ready = True
        self.controller.begin_motion()  # the rows fill in fast; the full-quality frame follows when idle
        snapshot, failures = with_loaded_models(self.state.snapshot, results, self.library)
        for kind, error in failures:
            self.show_failure(Failure.from_exception(error, f"Cannot load the {MODEL_TITLES[kind]} model"))
        self._set_models_enabled(True)
        self.models_panel.models_ready()
        if snapshot != self.state.snapshot:
            self.state.set_snapshot(snapshot)  # one change: the controller draws the model rows
        else:
            self.controller.refresh()
        self._readout_timer.stop()
        self._show_readouts()  # the rows' numbers at once; only the picture waits for the still frame
        if self._sweep_panel is not None:
            self._sweep_panel.models_ready()
        self.modelsReady.emit()

    def _start_loading_models(self, *_args) -> None:
        """The first frame is on screen, or the fallback timer fired: start the loader, once."""
        if not self._awaiting_first_frame:
            return
        self._awaiting_first_frame = False
        self._loader_fallback.stop()
        self.controller.framePainted.disconnect(self._start_loading_models)
        if self.loader is not None and not self._closed:
            self.loader.start()

    def _set_models_enabled(self, enabled: bool) -> None:
        """Controls that need PyTorch wait for the background loader."""
        for widget in (*self.models_panel.boxes.values(), self.transform_panel.random_button):
            widget.setEnabled(enabled)
        for action in (self.random_action, self.load_action):
            action.setEnabled(enabled)

    @Slot(object)
    @guarded
    def _frame_changed(self, frame: Frame) -> None:
        molecule = frame.molecule
        self._follow_intro(frame)
        if self._title_molecule != molecule.key:  # the title follows the molecule, not every step
            self._title_molecule = molecule.key
            self.setWindowTitle(f"equiview: {short_name(molecule.name)} ({molecule.formula})")
        playing = self._sweep_panel is not None and self._sweep_panel.playing
        # a dragged slider or camera: rebuild the readouts at most every READOUT_INTERVAL_MS. Play steps at most once
        # per drawn frame: the readouts follow every frame, so they show the number the badge shows
        if self.controller.fast and not playing:
            if not self._readout_timer.isActive():
                self._readout_timer.start()
        else:
            self._readout_timer.stop()
            self.readouts.show_frame(frame)

    def _follow_intro(self, frame: Frame) -> None:
        """While the first hint shows, it names only the rows available now (a row turned "not available"
        or a model finished loading)."""
        status = self.statusBar()
        if not self._intro or status.currentMessage() != self._intro:
            self._intro = ""
            return
        text = intro_message(frame)
        if text != self._intro:
            self._intro = text
            status.showMessage(text, INTRO_MS)

    def is_settled(self) -> bool:
        """Nothing left to catch up: no motion (the still frame is drawn) and no readout update pending."""
        return not self.controller.fast and not self._readout_timer.isActive()

    @Slot()
    @guarded
    def _show_readouts(self) -> None:
        if self.controller.frame is not None and not self._closed:
            self.readouts.show_frame(self.controller.frame)

    @Slot(float)
    @guarded
    def _frame_rendered(self, ms: float) -> None:
        # timings are for benches and debugging, not for the user: the status bar names the molecule
        log.debug("frame rendered in %.0f ms (%s)", ms, "moving" if self.controller.fast else "still")
        if self._closed or self.controller.fast:  # while moving, repainting a label would cost a window composite
            return
        frame = self.controller.frame
        if frame is not None:
            text = molecule_status(frame)
            if self.frame_label.text() != text:
                self.frame_label.setText(text)

    def show_keys(self) -> QMessageBox:
        """Help ▸ Keyboard and mouse: every shortcut of the window's actions and what the mouse does."""
        box = QMessageBox(self)
        box.setObjectName("keysBox")
        box.setWindowTitle("Keyboard and mouse")
        box.setText(keys_html(self.actions()))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def show_colours_help(self) -> QMessageBox:
        """Help ▸ What the colours show: the input row's elements, h, its projection (PC 1) and the colour bar."""
        box = QMessageBox(self)
        box.setObjectName("coloursBox")
        box.setWindowTitle("What the colours show")
        box.setTextFormat(Qt.TextFormat.RichText)
        paragraphs = [
            "<b>Input row</b>: atoms coloured by element (the legend in its g·x view names them).",
            "<b>Model rows</b>: atoms coloured by one number per atom, the <i>colour value</i>, taken from the "
            "model's embedding h (the colour bar's title says how, e.g. <b>h: PC 1</b>).",
            *(html.escape(text) for text in projection_help()),
        ]
        box.setText("<br><br>".join(paragraphs))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def show_about(self) -> QMessageBox:
        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setWindowTitle("About equiview")
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            f"<b>equiview {app_version()}</b>: see E(3) invariance in graph neural networks.<br><br>"
            "Each QM9 molecule is drawn in its original pose x (left) and moved by an element g of E(3) "
            "(right). Rows: the input coloured by element, a naive GNN that reads raw coordinates, and an "
            "EGNN that only sees distances. The EGNN's colours stay put; the naive GNN's change.<br><br>"
            f"{ABOUT_LINKS}"
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.molecule_panel)
        self.molecule_panel.search_edit.setFocus()
        self.molecule_panel.search_edit.selectAll()

    @guarded
    def fit_view(self) -> None:
        self._user_camera = False
        self.controller.fit_view()

    # ------------------------------------------------------------------ checkpoints
    def _folder(self, key: str) -> str:
        value = self.settings.value(key, "", type=str)
        return value if value and Path(value).is_dir() else str(Path.home())

    @Slot()
    @guarded
    def choose_checkpoint(self, kind: str | None = None) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Load checkpoint",
            self._folder("paths/checkpoints"),
            "PyTorch checkpoints (*.pt *.pth *.ckpt);;All files (*)",
        )
        if path:
            self.load_checkpoint(path, kind=kind if isinstance(kind, str) else None)

    def load_checkpoint(self, path: str | os.PathLike, kind: str | None = None) -> bool:
        """Load a checkpoint into the row of its model family (``kind``: the row asked for, if any); False (and a
        message) on failure."""
        if not self.library.ready:
            self.show_error("Cannot load a checkpoint yet: the models are still loading")
            return False
        source = None
        with reporting(self, "Cannot load checkpoint"):
            source, model = self.library.load_file(path)
            if kind is not None and source.row != kind:
                raise ValueError(f"{path}: {kind_mismatch(model.kind, kind)}")
        if source is None or (kind is not None and source.row != kind):
            return False
        box = self.models_panel.boxes.get(source.row)
        if box is None:  # that row was removed: the checkpoint brings it back
            with reporting(self, "Cannot load checkpoint"):
                self.state.add_row(source, default_projection(model))
            if source.row not in self.state.snapshot.rows:
                return False
        elif not box.use_checkpoint(path):
            return False
        self.settings.setValue("paths/checkpoints", str(Path(path).resolve().parent))
        self.statusBar().showMessage(f"Loaded {Path(path).name} into the {MODEL_TITLES[source.row]} row", 8000)
        return True

    # ------------------------------------------------------------------ the user's molecules and models
    @Slot()
    @guarded
    def choose_molecule_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open molecule",
            self._folder("paths/molecules"),
            "Molecule files (*.xyz *.extxyz *.sdf *.sd *.mol *.pdb *.ent *.cif *.xsf *.gen *.cube POSCAR);;All files (*)",
        )
        if path:
            self.open_molecule_file(path)

    def open_molecule_file(self, path: str | os.PathLike) -> bool:
        """Show the file's first molecule (all of them listed in the Molecule tab); False and a message if bad."""
        opened = False
        with reporting(self, "Cannot open molecule"):
            opened = self.molecule_panel.open_file(str(path))
        if opened:
            self.settings.setValue("paths/molecules", str(Path(path).resolve().parent))
            self.statusBar().showMessage(f"Opened {Path(path).name}", 8000)
        return opened

    @Slot(str)
    def _remember_molecule_file(self, path: str) -> None:
        recent = self.settings.value("recent/molecules", [], type=list) or []
        self.settings.setValue("recent/molecules", add_recent([str(p) for p in recent], path))

    def recent_molecule_files(self) -> list[str]:
        return [str(p) for p in (self.settings.value("recent/molecules", [], type=list) or [])]

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_molecule_files()
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setData(path)
            action.setToolTip(path)
            action.triggered.connect(self._open_recent)
        if not recent:
            self.recent_menu.addAction("(no molecule files yet)").setEnabled(False)

    @Slot()
    @guarded
    def _open_recent(self) -> None:
        self.open_molecule_file(self.sender().data())

    @Slot()
    @guarded
    def choose_user_model(self) -> None:
        answer = QMessageBox.warning(
            self,
            "Add your model",
            "equiview will import the Python file you choose and call its factory function. "
            "This runs that file's code with your permissions (checkpoints, by contrast, never run code).\n\n"
            "Only continue with a file you trust.",
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Ok:
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Add model from Python file", self._folder("paths/models"), "Python files (*.py)"
        )
        if not path:
            return
        factory, ok = QInputDialog.getText(
            self,
            "Factory function",
            f"Function in {Path(path).name} that returns the torch.nn.Module:",
            text="make_model",
        )
        if ok:
            self.add_user_model(f"{Path(path).stem}={path}:{factory.strip()}")

    def add_user_model(self, spec_text: str) -> bool:
        """Add a row for ``NAME=FILE.py:FACTORY``. THIS RUNS THE FILE'S CODE, on a background thread: the row says
        "loading NAME…" meanwhile and the window keeps working. False and a message when the spec or the grid
        refuses it at once; a file that fails while loading is a message later, and its row goes away again
        (:attr:`userModelLoaded` tells which, in both cases)."""
        started = False
        with reporting(self, "Cannot add the model"):
            from equiview.core.user_models import ModelSpec

            if not self.library.ready:
                raise ModelLoadError("the built-in models are still loading; add your model once they are shown")
            source = ModelSource.user(ModelSpec.parse(spec_text))
            cached = self.library.is_cached(source)  # loaded before: its code does not run again
            if not cached:
                self.library.loading.add(source)
            try:
                self.state.add_row(source, ProjectionSpec("pca"))  # PCA fits any feature width
            except Exception:
                self.library.loading.discard(source)
                raise
            if not cached:
                loader = UserModelLoader(source, self)
                loader.finished.connect(self._user_model_loaded)
                self._user_loaders.append(loader)
                loader.start()
            started = True
        if started:
            self.settings.setValue("paths/models", str(Path(spec_text.partition("=")[2].rpartition(":")[0]).parent))
            if cached:
                self.statusBar().showMessage(f"Added the row {source.row}", 8000)
                self.userModelLoaded.emit(source.row, True)
            else:
                self.statusBar().showMessage(f"Loading {source.row}: running {source.user_spec}…", 15000)
        return started

    @Slot(object, object)
    @guarded
    def _user_model_loaded(self, source: ModelSource, result) -> None:
        """A user's model file finished loading on its thread: the row shows it, or goes away with a message."""
        self._user_loaders = [loader for loader in self._user_loaders if loader.source != source]
        if self._closed:
            return
        row = source.row
        snapshot = self.state.snapshot
        shown = row in snapshot.rows and snapshot.sources[row] == source
        if isinstance(result, BaseException):
            self.library.loading.discard(source)
            if shown:
                if len(snapshot.rows) == 1:  # the grid keeps one row: the shipped equivariant model takes its place
                    self.models_panel.add_builtin("egnn")
                self.state.remove_row(row)
            self.show_failure(Failure.from_exception(result, "Cannot add the model"))
            self.userModelLoaded.emit(row, False)
            return
        self.library.remember_user(source, result)
        if shown:
            self.models_panel.row_loaded(row)
            self.controller.refresh()  # same snapshot, now with the row's model
            self.statusBar().showMessage(f"Added the row {row}", 8000)
        self.userModelLoaded.emit(row, True)

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(url.isLocalFile() for url in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        with reporting(self):
            for url in event.mimeData().urls():
                if url.isLocalFile():
                    path = url.toLocalFile()
                    if Path(path).suffix.lower() in CHECKPOINT_SUFFIXES:
                        self.load_checkpoint(path)
                    else:  # anything else is taken for a molecule file
                        self.open_molecule_file(path)
            event.acceptProposedAction()

    # ------------------------------------------------------------------ export
    def grid_size(self) -> tuple[int, int]:
        return self.controller.grid_size()

    def grid_image(
        self, scale: int = 1, transparent: bool = False, light_text: bool = False, readouts: bool = False
    ) -> np.ndarray:
        """The 3D grid as an image; scale > 1 renders off screen at that size with scaled text.

        ``light_text`` draws the text for a dark background (transparent slides); ``readouts`` adds
        the verdicts and predictions as a strip of text under the grid.
        """
        image = self.controller.image(scale, transparent, light_text)
        if readouts and self.controller.frame is not None:
            image = with_caption(image, readout_lines(self.controller.frame), light_text, scale)
        return image

    def window_image(self) -> QPixmap:
        """The whole window as shown, panels included.

        The 3D grid is a native OpenGL window whose pixels ``QWidget.grab`` cannot read: the scene's own image
        (rendered at full quality) is painted over its place.
        """
        pixmap = self.grab()
        grid = np.ascontiguousarray(self.controller.image(1)[..., :3])
        height, width = grid.shape[:2]
        image = QImage(grid.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        painter = QPainter(pixmap)
        try:
            painter.drawImage(QRect(self.plotter.mapTo(self, QPoint(0, 0)), self.plotter.size()), image)
        finally:
            painter.end()
        return pixmap

    @Slot(str, int, bool, bool, bool)
    def export_screenshot(
        self,
        path: str | os.PathLike,
        scale: int = 1,
        transparent: bool = False,
        light_text: bool = False,
        readouts: bool = False,
    ) -> bool:
        """Write the grid to ``path`` as PNG; False (and a message) when that fails."""
        target = None
        with reporting(self, "Export failed"):
            if not str(path).strip():
                raise ValueError("no file name given for the screenshot")
            candidate = Path(path).expanduser()
            if candidate.is_dir():
                raise IsADirectoryError(f"{candidate} is a folder, not a file name")
            if not candidate.parent.is_dir():
                raise FileNotFoundError(f"cannot write {candidate}: folder {candidate.parent} does not exist")
            write_png(self.grid_image(scale, transparent, light_text, readouts), candidate)
            target = candidate
        if target is None:
            return False
        self.settings.setValue("paths/export", str(target.resolve().parent))
        self.statusBar().showMessage(f"Saved {target}", 8000)
        return True

    @guarded
    def open_export_dialog(self) -> ExportDialog | None:
        frame = self.controller.frame
        name = f"equiview_{frame.molecule.name}.png" if frame is not None else "equiview.png"
        default = str(Path(self._folder("paths/export")) / name)
        lines = len(readout_lines(frame)) if frame is not None else 0
        dialog = ExportDialog(default, self.grid_size(), self, caption_lines=lines)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exportRequested.connect(self.export_screenshot)
        dialog.finished.connect(self._dialog_closed)
        self.export_dialog = dialog
        dialog.open()
        return dialog

    @Slot(int)
    def _dialog_closed(self, _result: int) -> None:
        if self.export_dialog is not None and not self.export_dialog.isVisible():
            self.export_dialog = None

    @guarded
    def toggle_playing(self) -> None:
        """Space: Play needs the sweep, so a hidden Sweep dock opens first."""
        if not self.sweep_dock.isVisible():
            self.sweep_dock.show()
        self.sweep_panel.toggle_playing()

    @guarded
    def open_movie_dialog(self) -> MovieDialog | None:
        frame = self.controller.frame
        name = f"equiview_{frame.molecule.name}.mp4" if frame is not None else "equiview.mp4"
        default = str(Path(self._folder("paths/export")) / name)
        axis = self._sweep_panel.axis if self._sweep_panel is not None else "z"
        dialog = MovieDialog(default, self.grid_size(), axis, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exportRequested.connect(self.export_movie)
        dialog.finished.connect(self._movie_dialog_closed)
        self.movie_dialog = dialog
        dialog.open()
        return dialog

    @Slot(int)
    def _movie_dialog_closed(self, _result: int) -> None:
        if self.movie_dialog is not None and not self.movie_dialog.isVisible():
            self.movie_dialog = None

    @Slot(str, object)
    def export_movie(self, path: str | os.PathLike, settings: MovieSettings) -> bool:
        """Record the spinning grid to ``path`` (GIF or MP4) with a progress dialog; Cancel leaves no file."""
        from equiview.viewer.movie import record_movie

        target = None
        with reporting(self, "Movie export failed"):
            if not str(path).strip():
                raise ValueError("no file name given for the movie")
            candidate = Path(path).expanduser()
            if candidate.is_dir():
                raise IsADirectoryError(f"{candidate} is a folder, not a file name")
            if not candidate.parent.is_dir():
                raise FileNotFoundError(f"cannot write {candidate}: folder {candidate.parent} does not exist")
            settings.check(candidate)
            if self._sweep_panel is not None:
                self._sweep_panel.set_playing(False)
            progress = QProgressDialog(f"Recording {candidate.name}…", "Cancel", 0, settings.frames, self)
            progress.setObjectName("movieProgress")
            progress.setWindowTitle("Export movie")
            progress.setWindowModality(Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(0)
            progress.setAutoReset(False)
            progress.setValue(0)
            self.movie_progress = progress
            # the grid widget must not paint (switch GL contexts) between the off-screen renders and read-backs
            self.plotter.setUpdatesEnabled(False)
            try:
                record_movie(
                    self.pipeline,
                    self.state.snapshot,
                    candidate,
                    settings,
                    progress=self._movie_step,
                    cancelled=self._movie_cancelled,
                    camera=self.controller.camera(),
                )
                target = candidate
            except MovieCancelled:
                self.statusBar().showMessage("Movie export cancelled: no file written", 8000)
            finally:
                self.movie_progress = None
                self.plotter.setUpdatesEnabled(True)
                progress.close()
                progress.deleteLater()
                self.controller.render_still()
        if target is None:
            return False
        self.settings.setValue("paths/export", str(target.resolve().parent))
        self.statusBar().showMessage(f"Saved {target} ({settings.frames} frames)", 8000)
        return True

    def _movie_step(self, done: int, total: int) -> None:
        if self.movie_progress is not None:
            self.movie_progress.setValue(done)
            self.movie_progress.setLabelText(f"Frame {done} of {total}")
        QApplication.processEvents()  # draw the progress and let Cancel be clicked

    def _movie_cancelled(self) -> bool:
        return self.movie_progress is None or self.movie_progress.wasCanceled()

    @Slot(object)
    @guarded
    def _sweep_atom_hovered(self, atom: int | None) -> None:
        self.readouts.show_atom(atom)
        if atom is not None:
            text = self.readouts.atom_text(atom).replace("<br>", " · ")
            self.statusBar().showMessage(re.sub(r"<[^>]+>", "", text), 4000)

    def copy_to_clipboard(self) -> bool:
        done = False
        with reporting(self, "Copy failed"):
            image = np.ascontiguousarray(self.grid_image(1, False)[:, :, :3])
            height, width, _ = image.shape
            qimage = QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
            QGuiApplication.clipboard().setImage(qimage)
            done = True
        if done:
            self.statusBar().showMessage("Copied the grid to the clipboard", 5000)
        return done

    # ------------------------------------------------------------------ mouse over the grid
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.plotter and not self._closed:
            consumed = False
            with reporting(self):
                consumed = self._grid_event(event)
            if consumed:
                return True
        return super().eventFilter(watched, event)

    def _grid_event(self, event: QEvent) -> bool:
        """Mouse over the grid; True when the event is handled here (a drag that rotates g, not the camera)."""
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            point = event.position().toPoint()
            self._press = point
            if self._rotates_g(event):
                self._g_drag = point
                self.plotter.setCursor(Qt.CursorShape.ClosedHandCursor)
                self.state.set_interacting(True)
                return True
            self._user_camera = True
            self.controller.begin_camera_motion()
            self.statusBar().showMessage(
                "view only: the models' input did not change (drag in a g·x view, right column, to rotate g)", 5000
            )
        elif kind == QEvent.Type.MouseButtonRelease:
            press, self._press = self._press, None
            point = event.position().toPoint()
            clicked = press is not None and (point - press).manhattanLength() <= CLICK_SLOP_PX
            if self._g_drag is not None:
                self._g_drag = None
                self._update_cursor(point)
                self.state.set_interacting(False)
                if clicked:
                    self._pick_at(point, sticky=True)
                return True
            self.controller.end_motion()
            if clicked:
                self._pick_at(point, sticky=True)
        elif kind == QEvent.Type.Wheel:
            self._user_camera = True
            self.controller.begin_motion()
        elif kind == QEvent.Type.MouseMove:
            point = event.position().toPoint()
            if self._g_drag is not None:
                self._drag_g(point)
                return True
            if self._press is None:
                self._update_cursor(point)
                self._pick_at(point, sticky=False, global_point=event.globalPosition().toPoint())
        elif kind == QEvent.Type.Leave:
            QToolTip.hideText()
            self.state.set_highlight(self.readouts.selected_atom())
        elif kind == QEvent.Type.Resize:
            # the render window takes the new size when the widget handles the event: act after it
            QTimer.singleShot(0, self._after_resize)
        return False

    def _column_at(self, point: QPoint) -> str | None:
        ratio = self.plotter.devicePixelRatioF()
        hit = self.controller.view_at(point.x() * ratio, point.y() * ratio)
        return hit[1] if hit is not None else None

    def _rotates_g(self, event) -> bool:
        """A plain left drag in the g·x column turns g; any other drag (or one with a modifier) moves the camera."""
        return (
            event.button() == Qt.MouseButton.LeftButton
            and not event.modifiers()
            & (
                Qt.KeyboardModifier.ShiftModifier
                | Qt.KeyboardModifier.ControlModifier
                | Qt.KeyboardModifier.AltModifier
            )
            and self._column_at(event.position().toPoint()) == "transformed"
        )

    def _update_cursor(self, point: QPoint) -> None:
        shape = Qt.CursorShape.OpenHandCursor if self._column_at(point) == "transformed" else Qt.CursorShape.ArrowCursor
        if self.plotter.cursor().shape() != shape:
            self.plotter.setCursor(shape)

    def _drag_g(self, point: QPoint) -> None:
        """Trackball: the drag since the last mouse event turns g about the molecule's centroid."""
        last, self._g_drag = self._g_drag, point
        dx, dy = point.x() - last.x(), last.y() - point.y()  # dy counts upwards
        if dx == 0 and dy == 0:
            return
        right, up, toward = self.controller.camera_frame()
        axis, angle = drag_axis_angle(dx, dy, right, up, toward)
        self.state.set_transform(rotated(self.state.transform, axis, angle))

    @Slot()
    @guarded
    def _after_resize(self) -> None:
        if self._closed:
            return
        self.controller.resized(refit=not self._user_camera)

    def pick_atom(self, x: int, y: int):
        """The atom at widget pixel (x, y) (Qt convention: origin top left), or None."""
        ratio = self.plotter.devicePixelRatioF()
        return self.controller.pick(x * ratio, y * ratio)

    def _pick_at(self, point: QPoint, sticky: bool, global_point: QPoint | None = None) -> None:
        """Hover (a tooltip at the cursor) or click (keeps the atom); the atom is marked in every view."""
        hit = self.pick_atom(point.x(), point.y())
        if hit is None:
            self.readouts.show_atom(None)
            if global_point is not None:
                QToolTip.hideText()
            self.state.set_highlight(self.readouts.selected_atom())
            return
        self.readouts.show_atom(hit.atom, sticky=sticky)
        self.state.set_highlight(hit.atom)
        if global_point is not None:
            QToolTip.showText(global_point, self.readouts.atom_text(hit.atom), self.plotter)
        text = self.readouts.atom_text(hit.atom).replace("<br>", " · ")
        self.statusBar().showMessage(re.sub(r"<[^>]+>", "", text), 4000)

    # ------------------------------------------------------------------ size on the screen
    def fit_to_screen(self) -> None:
        """Shrink and move the window so that its frame lies within the available area of the screen it is on.

        DEFAULT_WINDOW_SIZE is in logical pixels: with QT_SCALE_FACTOR=2 a 1920x1080 screen is 960x540 logical, and
        1280x700 would not fit (the title bar and the controls off screen).
        """
        if self._presenting or self.isFullScreen() or self.isMaximized():
            return
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        available = screen.availableGeometry()
        frame, inner = self.frameGeometry(), self.geometry()
        # the window manager's decoration (zero before the first show and where there is none)
        extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
        width = max(self.minimumWidth(), min(inner.width(), available.width() - extra_w))
        height = max(self.minimumHeight(), min(inner.height(), available.height() - extra_h))
        if (width, height) != (inner.width(), inner.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        x = min(max(frame.x(), available.x()), available.x() + max(0, available.width() - frame.width()))
        y = min(max(frame.y(), available.y()), available.y() + max(0, available.height() - frame.height()))
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted_on_show:  # the decoration is known once shown
            self._fitted_on_show = True
            self.fit_to_screen()

    # ------------------------------------------------------------------ settings and closing
    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def resize_grid(self, width: int, height: int) -> None:
        """Resize the window so that the 3D grid is ``width`` x ``height`` device-independent pixels."""
        from PySide6.QtWidgets import QApplication

        for _ in range(3):
            QApplication.processEvents()
            dw = self.width() - self.plotter.width()
            dh = self.height() - self.plotter.height()
            self.resize(width + dw, height + dh)
            QApplication.processEvents()
            if (self.plotter.width(), self.plotter.height()) == (width, height):
                break

    def closeEvent(self, event) -> None:
        if self.persist:
            with reporting(self, "Cannot save the settings"):  # closing must not fail
                self.save_settings()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop timers and close the render window (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._readout_timer.stop()
        self._loader_fallback.stop()
        QToolTip.hideText()  # a hover tooltip must not outlive the window
        if self._sweep_panel is not None:
            self._sweep_panel.stop()
        self.controller.detach()
        for box in (self.error_box, self.export_dialog, self.movie_dialog):
            try:
                if box is not None:
                    box.close()
            except RuntimeError:  # already deleted by Qt
                pass
        self.plotter.removeEventFilter(self)
        self.plotter.close()
