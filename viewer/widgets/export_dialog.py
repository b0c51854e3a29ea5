"""File ▸ Export screenshot…: path, scale 1–4× and a transparent background option."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)


class ExportDialog(QDialog):
    """Non-blocking (shown with ``open()``); emits :attr:`exportRequested` when accepted."""

    exportRequested = Signal(str, int, bool)  # path, scale, transparent

    def __init__(self, default_path: str, grid_size: tuple[int, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export screenshot")
        self._grid_size = grid_size

        self.path_edit = QLineEdit(default_path)
        self.path_edit.setObjectName("exportPathEdit")
        self.path_edit.setMinimumWidth(320)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.scale_spin = QSpinBox()
        self.scale_spin.setObjectName("exportScaleSpin")
        self.scale_spin.setRange(1, 4)
        self.scale_spin.setSuffix(" ×")
        self.scale_spin.valueChanged.connect(self._update_size_hint)
        self.transparent_check = QCheckBox("Transparent background")
        self.transparent_check.setObjectName("exportTransparentCheck")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout(self)
        form.addRow("File", path_row)
        form.addRow("Scale", self.scale_spin)
        form.addRow("", self.transparent_check)
        form.addRow(buttons)
        self._update_size_hint()

    def _update_size_hint(self) -> None:
        w, h = self._grid_size
        s = self.scale_spin.value()
        self.scale_spin.setToolTip(f"{w * s} × {h * s} pixels")

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
        self.accept()
        self.exportRequested.emit(path, self.scale_spin.value(), self.transparent_check.isChecked())
