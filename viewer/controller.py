"""Connects the view state to the scene: on every state change compute a frame, write it, render once.

The controller is the only object that calls the scene. Slots never let an exception escape into
Qt: a failure is reported through :attr:`SceneController.errorOccurred` and the state is put back
to the last snapshot that rendered, so the window keeps showing a consistent picture.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from viewer.library import error_text
from viewer.pipeline import Frame, Pipeline
from viewer.scene import GridScene
from viewer.snapshot import Snapshot
from viewer.state import ViewState

SETTLE_MS = 300
"""After this long without movement the scene is redrawn once with multisampling."""


class SceneController(QObject):
    frameChanged = Signal(object)  # Frame
    frameRendered = Signal(float)  # ms from the state change to the end of the render it caused
    errorOccurred = Signal(str)

    def __init__(self, state: ViewState, pipeline: Pipeline, scene: GridScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.pipeline = pipeline
        self.scene = scene
        self.frame: Frame | None = None
        self._good: Snapshot | None = None
        self._restoring = False
        self.last_update_ms = 0.0
        self.last_frame_ms = 0.0
        self._pending: float | None = None
        self._observer = scene.render_window.AddObserver("EndEvent", self._on_rendered)

        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._on_settle)

        state.moleculeChanged.connect(self._on_molecule)
        state.transformChanged.connect(self._on_transform)
        state.sourceChanged.connect(self._on_model)
        state.projectionChanged.connect(self._on_model)
        state.colormapChanged.connect(self._on_model)
        state.inputRowChanged.connect(self._on_input_row)
        state.labelsChanged.connect(self._on_labels)
        state.interactingChanged.connect(self._on_interacting)

    # ------------------------------------------------------------------ public
    def refresh(self) -> bool:
        """Recompute the frame from the state, update the scene and render; False on failure."""
        started = time.perf_counter()
        snapshot = self.state.snapshot()
        try:
            frame = self.pipeline.frame(snapshot)
            self.scene.update(frame)
            self._pending = started
            self.scene.render()
        except Exception as error:  # noqa: BLE001 - reported, state rolled back
            self._fail(error)
            return False
        self.frame = frame
        self._good = snapshot
        self.last_update_ms = (time.perf_counter() - started) * 1000.0
        self.frameChanged.emit(frame)
        return True

    def _on_rendered(self, *_args) -> None:
        # a VTK observer: runs inside the paint, must never raise
        try:
            if self._pending is not None:
                self.last_frame_ms = (time.perf_counter() - self._pending) * 1000.0
                self._pending = None
                self.frameRendered.emit(self.last_frame_ms)
        except Exception:  # noqa: BLE001
            self._pending = None

    def detach(self) -> None:
        """Stop timers and observers before the render window goes away."""
        self._settle.stop()
        if self._observer is not None:
            self.scene.render_window.RemoveObserver(self._observer)
            self._observer = None

    def fit_view(self) -> None:
        self.scene.fit_camera()
        self.scene.render()

    def begin_motion(self) -> None:
        """Something starts moving (slider step, camera drag): render fast until it settles."""
        self.scene.set_fast(True)
        if not self.state.interacting:
            self._settle.start()

    def end_motion(self) -> None:
        self._settle.start()

    # ------------------------------------------------------------------ slots
    @Slot(int)
    def _on_molecule(self, _index: int) -> None:
        self._guarded(self.refresh)

    @Slot(object)
    def _on_transform(self, _params) -> None:
        def step() -> None:
            self.begin_motion()
            self.refresh()

        self._guarded(step)

    @Slot(str)
    def _on_model(self, _kind: str) -> None:
        self._guarded(self.refresh)

    @Slot(bool)
    def _on_input_row(self, visible: bool) -> None:
        def apply() -> None:
            self.scene.set_input_row_visible(visible)
            self.scene.render()

        self._guarded(apply)

    @Slot(bool)
    def _on_labels(self, visible: bool) -> None:
        def apply() -> None:
            self.scene.set_labels_visible(visible)
            self.scene.render()

        self._guarded(apply)

    @Slot(bool)
    def _on_interacting(self, interacting: bool) -> None:
        def apply() -> None:
            if interacting:
                self._settle.stop()
                self.scene.set_fast(True)
            else:
                self._settle.start()
                if self.frame is not None and not self.scene.transformed_in_view():
                    self.scene.fit_camera()

        self._guarded(apply)

    @Slot()
    def _on_settle(self) -> None:
        def apply() -> None:
            if self.state.interacting:
                return
            self.scene.set_fast(False)
            self.scene.render()

        self._guarded(apply)

    # ------------------------------------------------------------------ errors
    def _guarded(self, action) -> None:
        if self._restoring:  # restore_state() sets many fields; one refresh follows at its end
            return
        try:
            action()
        except Exception as error:  # noqa: BLE001 - a slot must never raise into Qt
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        self.errorOccurred.emit(error_text(error))
        if self._restoring or self._good is None or self._good == self.state.snapshot():
            return
        self._restoring = True
        try:
            restore_state(self.state, self._good)
        except Exception as again:  # noqa: BLE001
            self.errorOccurred.emit(error_text(again))
        finally:
            self._restoring = False
        self.refresh()


def restore_state(state: ViewState, snapshot: Snapshot) -> None:
    """Put ``state`` back to ``snapshot`` through its setters (widgets follow the signals)."""
    for source in snapshot.sources.values():
        state.set_source(source)
    for kind, spec in snapshot.projections.items():
        state.set_projection(kind, spec)
    state.set_colormap(snapshot.colormap)
    state.set_molecule(snapshot.molecule)
    state.set_transform(snapshot.transform)
    state.set_show_input_row(snapshot.show_input_row)
    state.set_show_labels(snapshot.show_labels)
