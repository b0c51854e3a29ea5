"""Connects the view state to the scene: on every state change compute a frame, write it, render once.

The controller is the only object that calls the scene (the window asks the controller for camera
fits, picks and images). Its slots never let an exception escape into Qt: a failure is reported
through :mod:`equiview.viewer.guard` and the state is put back to the last snapshot that rendered, so the
window keeps showing a consistent picture.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from equiview.viewer.guard import Failure, guarded, report
from equiview.viewer.model.pipeline import Frame, Pipeline
from equiview.viewer.model.snapshot import DISPLAY_FIELDS, Snapshot
from equiview.viewer.offscreen import camera_state, render_frame
from equiview.viewer.scene import DARK_BACKGROUND_STYLE, DEFAULT_STYLE, GridScene, Pick
from equiview.viewer.state import ViewState

QUALITY_SAMPLES = DEFAULT_STYLE.quality_samples
"""Multisampling of still frames: the render widget is created with it."""

SETTLE_MS = 300
"""After this long without movement the scene is redrawn once with multisampling."""


class SceneController(QObject):
    frameChanged = Signal(object)  # Frame
    frameRendered = Signal(float)  # ms from the state change to the end of the render it caused
    framePainted = Signal()  # any frame is on screen (the native window swaps before VTK's EndEvent)

    def __init__(
        self,
        state: ViewState,
        pipeline: Pipeline,
        plotter,
        parent: QObject | None = None,
        request_render=None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.pipeline = pipeline
        self.scene = GridScene(plotter, request_render=request_render)
        self.frame: Frame | None = None
        self._good: Snapshot | None = None
        self._restoring = False
        self.last_update_ms = 0.0
        self.last_frame_ms = 0.0
        self._pending: float | None = None
        self._observer = self.scene.render_window.AddObserver("EndEvent", self._on_rendered)

        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._on_settle)
        state.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ frames
    def refresh(self) -> bool:
        """Recompute the frame from the state, update the scene and render; False on failure."""
        started = time.perf_counter()
        snapshot = self.state.snapshot
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
            self.framePainted.emit()
            if self._pending is not None:
                self.last_frame_ms = (time.perf_counter() - self._pending) * 1000.0
                self._pending = None
                self.frameRendered.emit(self.last_frame_ms)
        except Exception as error:  # noqa: BLE001 - a VTK observer must not raise; reported, never swallowed
            self._pending = None
            report(self, Failure.from_exception(error))

    def detach(self) -> None:
        """Stop timers and observers before the render window goes away."""
        self._settle.stop()
        if self._observer is not None:
            self.scene.render_window.RemoveObserver(self._observer)
            self._observer = None

    # ------------------------------------------------------------------ what the window asks for
    @property
    def fast(self) -> bool:
        """Whether the scene currently draws fast frames (something is moving)."""
        return self.scene.fast

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
        self.scene.set_camera_moving(False)

    def begin_camera_motion(self) -> None:
        """A camera drag starts: fast frames, and the views say that only the view turns."""
        self.scene.set_camera_moving(True)
        self.begin_motion()

    def view_at(self, x: float, y: float) -> tuple[str, str] | None:
        """(row, column) of the view at render-window pixel (x, y) counted from the top left, or None."""
        _, height = self.scene.render_window.GetSize()
        return self.scene.view_at(x, height - 1 - y)

    def camera_frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The camera's right, up and toward-the-viewer directions in world coordinates."""
        camera = self.scene.camera
        toward = np.subtract(camera.GetPosition(), camera.GetFocalPoint())
        toward /= np.linalg.norm(toward)
        up = np.asarray(camera.GetViewUp(), dtype=np.float64)
        right = np.cross(up, toward)
        right /= np.linalg.norm(right)
        return right, np.cross(toward, right), toward

    def set_presenting(self, presenting: bool) -> None:
        """Presentation mode: the scene's text grows with the views (viewer.model.presentation)."""
        self._presenting = bool(presenting)
        self._apply_text_scale()

    def _apply_text_scale(self) -> None:
        from equiview.viewer.model.presentation import presentation_text_scale

        width, height = self.scene.view_size_px()
        dpi = self.scene.dpi_scale  # text sizes are logical pixels: VTK already scales them by the DPI
        presenting = getattr(self, "_presenting", False)
        self.scene.set_text_scale(presentation_text_scale(width / dpi, height / dpi) if presenting else 1.0)

    def resized(self, refit: bool) -> None:
        """The grid widget changed size: re-place the colour bars, refit the camera unless the user moved it."""
        self._apply_text_scale()
        self.scene.on_resize()
        if refit and self.frame is not None:
            self.scene.fit_camera()
        self.scene.render()

    def render_still(self) -> None:
        """Render one full-quality frame now (multisampling and labels on)."""
        self.scene.set_fast(False)
        self.scene.render()

    def pick(self, x: float, y: float) -> Pick | None:
        """The atom at render-window pixel (x, y) counted from the top left, or None."""
        _, height = self.scene.render_window.GetSize()
        return self.scene.pick(x, height - 1 - y)

    def camera(self) -> dict:
        """The shared camera's state (for exports that should keep the window's view)."""
        return camera_state(self.scene.camera)

    def grid_size(self) -> tuple[int, int]:
        width, height = self.scene.render_window.GetSize()
        return int(width), int(height)

    def image(self, scale: int = 1, transparent: bool = False, light_text: bool = False) -> np.ndarray:
        """The 3D grid as an image; scale > 1 or light text renders off screen (text scaled, window untouched)."""
        scale = int(scale)
        if not 1 <= scale <= 4:
            raise ValueError(f"scale must be between 1 and 4, got {scale}")
        if self.frame is None:
            raise RuntimeError("nothing has been drawn yet")
        if scale == 1 and not light_text:
            return self.scene.image(1, transparent)
        return render_frame(
            self.frame,
            size=self.grid_size(),
            scale=scale,
            transparent=transparent,
            camera=camera_state(self.scene.camera),
            style=DARK_BACKGROUND_STYLE if light_text else DEFAULT_STYLE,
            text_scale=self.scene.dpi_scale,
        )

    # ------------------------------------------------------------------ the state's one signal
    @Slot(object, object)
    @guarded
    def _on_changed(self, old: Snapshot, new: Snapshot) -> None:
        if self._restoring:  # a rollback in progress: _fail refreshes once at its end
            return
        changed = old.changed_fields(new)
        if "dragging" in changed:
            self._dragging(new.dragging)
        if changed - DISPLAY_FIELDS - {"dragging"}:
            if "transform" in changed:
                self.begin_motion()
            self.refresh()
            if "transform" in changed and not new.dragging:
                self._keep_in_view()
        elif changed & DISPLAY_FIELDS:
            self.scene.set_input_row_visible(new.show_input_row)
            self.scene.set_labels_visible(new.show_labels)
            self.scene.set_highlight(new.highlight)
            self.scene.render()

    def _keep_in_view(self) -> None:
        """A translation never takes the molecule out of view silently: refit the camera to both poses."""
        if self.frame is not None and not self.scene.transformed_in_view():
            self.scene.fit_camera()
            self.scene.render()

    def _dragging(self, dragging: bool) -> None:
        if dragging:
            self._settle.stop()
            self.scene.set_fast(True)
        else:
            self._settle.start()
            self._keep_in_view()

    @Slot()
    @guarded
    def _on_settle(self) -> None:
        if self.state.interacting:
            return
        self.scene.set_fast(False)
        self.scene.render()

    # ------------------------------------------------------------------ errors
    def _fail(self, error: BaseException) -> None:
        """Report ``error`` and go back to the last snapshot that rendered."""
        report(self, Failure.from_exception(error))
        current = self.state.snapshot
        if self._restoring or self._good is None:
            return
        good = self._good.replace(dragging=current.dragging)
        if good == current:
            return
        self._restoring = True
        try:
            self.state.set_snapshot(good)
        except Exception as again:  # noqa: BLE001 - going back failed too: report it, keep the window alive
            report(self, Failure.from_exception(again))
        finally:
            self._restoring = False
        self.refresh()
