"""File ▸ Export screenshot…: path, scale 1–4×, background, text colour and readouts; shows the size in pixels."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QWidget,
)

from equiview.core.errors import CommandError
from equiview.core.output_path import check_output_path
from equiview.viewer.model.caption import caption_height
from equiview.viewer.widgets.save_dialog_parts import file_row, save_cancel_buttons, scale_spin


class ExportDialog(QDialog):
    """Non-blocking (shown with ``open()``); emits :attr:`exportRequested` when accepted."""

    exportRequested = Signal(str, int, bool, bool, bool)  # path, scale, transparent, light text, readouts

    def __init__(
        self, default_path: str, grid_size: tuple[int, int], parent: QWidget | None = None, caption_lines: int = 0
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export screenshot")
        self._grid_size = grid_size
        self._caption_lines = caption_lines  # lines of readouts under the grid when asked for

        self.path_edit, path_row = file_row(default_path, "exportPathEdit", self._browse)

        self.scale_spin = scale_spin()
        self.scale_spin.setObjectName("exportScaleSpin")
        self.scale_spin.valueChanged.connect(self._update_size_hint)
        self.scale_spin.setToolTip("Render the grid at this multiple of its size on screen (sharp text, not upsampled)")
        self.transparent_check = QCheckBox("Transparent background")
        self.transparent_check.setObjectName("exportTransparentCheck")
        self.transparent_check.setToolTip("No background: for slides and figures (choose the text colour below)")
        self.transparent_check.toggled.connect(self._transparent_toggled)
        self.text_combo = QComboBox()
        self.text_combo.setObjectName("exportTextCombo")
        self.text_combo.addItem("Dark, for light backgrounds", False)
        self.text_combo.addItem("Light, for dark backgrounds", True)
        self.text_combo.setToolTip("Colour of titles, labels and colour bars in the image")
        self.readouts_check = QCheckBox("Include the readouts (verdicts and predictions)")
        self.readouts_check.setObjectName("exportReadoutsCheck")
        self.readouts_check.setToolTip("A strip of text under the grid with the numbers of the side panel")
        self.readouts_check.toggled.connect(self._update_size_hint)
        self.size_label = QLabel()
        self.size_label.setObjectName("exportSizeLabel")

        buttons = save_cancel_buttons(self, self._accept)

        form = QFormLayout(self)
        form.addRow("File", path_row)
        form.addRow("Scale", self.scale_spin)
        form.addRow("", self.transparent_check)
        form.addRow("Text", self.text_combo)
        form.addRow("", self.readouts_check)
        form.addRow("Size", self.size_label)
        form.addRow(buttons)
        self._update_size_hint()

    def output_size(self) -> tuple[int, int]:
        """Width and height in pixels of the image that Save writes."""
        w, h = self._grid_size
        s = self.scale_spin.value()
        strip = caption_height(self._caption_lines, s) if self.readouts_check.isChecked() else 0
        return w * s, h * s + strip

    def _update_size_hint(self) -> None:
        w, h = self.output_size()
        self.size_label.setText(f"{w} × {h} pixels")

    def _transparent_toggled(self, transparent: bool) -> None:
        # on a transparent image the slide's colour is the background: offer light text for dark slides
        self.text_combo.setCurrentIndex(1 if transparent else 0)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export screenshot", self.path_edit.text(), "PNG image (*.png)")
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            self.path_edit.setText(path)

    def _accept(self) -> None:
        path = self.path_edit.text().strip()
        if path and not Path(path).suffix:
            path += ".png"
        try:  # the command line's output policy (docs/files.md): no device, FIFO, link or folder is written over
            check_output_path(path, "Export", lock=False)
        except CommandError as error:
            QMessageBox.warning(self, "Export screenshot", str(error))
            return  # the dialog stays open with the path to correct
        self.accept()
        self.exportRequested.emit(
            path,
            self.scale_spin.value(),
            self.transparent_check.isChecked(),
            bool(self.text_combo.currentData()),
            self.readouts_check.isChecked(),
        )
