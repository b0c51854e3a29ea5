"""File ▸ Export movie…: the file (GIF or MP4), axis, angle range, frames, fps, size and scale."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QSpinBox,
    QWidget,
)

from equiview.viewer.model.movie_file import MAX_FPS, MAX_FRAMES, MIN_FPS, MIN_FRAMES
from equiview.viewer.model.movie_settings import MAX_DEGREES, MIN_DEGREES, MovieSettings
from equiview.viewer.widgets.save_dialog_parts import file_row, save_cancel_buttons, scale_spin

AXIS_NAMES = ("x", "y", "z")


class MovieDialog(QDialog):
    """Non-blocking (shown with ``open()``); emits :attr:`exportRequested` (path, settings) when accepted."""

    exportRequested = Signal(str, object)  # path, MovieSettings

    def __init__(self, default_path: str, grid_size: tuple[int, int], axis: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export movie")
        self.path_edit, path_row = file_row(default_path, "moviePathEdit", self._browse)

        self.axis_box = QComboBox()
        self.axis_box.addItems([f"about {name.upper()}" for name in AXIS_NAMES])
        self.axis_box.setCurrentIndex(AXIS_NAMES.index(axis))
        self.degrees_spin = QDoubleSpinBox()
        self.degrees_spin.setRange(MIN_DEGREES, MAX_DEGREES)
        self.degrees_spin.setValue(360.0)
        self.degrees_spin.setSuffix(" °")
        self.frames_spin = QSpinBox()
        self.frames_spin.setObjectName("movieFramesSpin")
        self.frames_spin.setRange(MIN_FRAMES, MAX_FRAMES)
        self.frames_spin.setValue(72)
        self.fps_spin = QSpinBox()
        self.fps_spin.setRange(MIN_FPS, MAX_FPS)
        self.fps_spin.setValue(24)
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for spin, value in ((self.width_spin, grid_size[0]), (self.height_spin, grid_size[1])):
            spin.setRange(64, 4096)
            spin.setSingleStep(2)
            spin.setValue(value - value % 2)  # MP4 needs even sides
            spin.setSuffix(" px")
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_spin)
        size_row.addWidget(self.height_spin)
        self.scale_spin = scale_spin()

        buttons = save_cancel_buttons(self, self._accept)
        form = QFormLayout(self)
        form.addRow("File (.gif or .mp4)", path_row)
        form.addRow("Spin", self.axis_box)
        form.addRow("Angle range", self.degrees_spin)
        form.addRow("Frames", self.frames_spin)
        form.addRow("Frames per second", self.fps_spin)
        form.addRow("Size", size_row)
        form.addRow("Scale", self.scale_spin)
        form.addRow(buttons)

    def settings(self) -> MovieSettings:
        return MovieSettings(
            axis=AXIS_NAMES[self.axis_box.currentIndex()],
            frames=self.frames_spin.value(),
            fps=self.fps_spin.value(),
            degrees=self.degrees_spin.value(),
            size=(self.width_spin.value(), self.height_spin.value()),
            scale=self.scale_spin.value(),
        )

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export movie", self.path_edit.text(), "MP4 movie (*.mp4);;Animated GIF (*.gif)"
        )
        if path:
            self.path_edit.setText(path)

    def _accept(self) -> None:
        self.accept()
        self.exportRequested.emit(self.path_edit.text().strip(), self.settings())
