"""The parts both File ▸ Export… dialogs share: the file field with its Browse… button, the scale and Save/Cancel."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLineEdit, QPushButton, QSpinBox


def file_row(default_path: str, object_name: str, browse: Callable[[], None]) -> tuple[QLineEdit, QHBoxLayout]:
    """A path field that takes the spare width, and a Browse… button calling ``browse``."""
    edit = QLineEdit(default_path)
    edit.setObjectName(object_name)
    edit.setMinimumWidth(320)
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return edit, row


def scale_spin() -> QSpinBox:
    """1–4×: the grid is rendered at this multiple of its size on screen."""
    spin = QSpinBox()
    spin.setRange(1, 4)
    spin.setSuffix(" ×")
    return spin


def save_cancel_buttons(dialog: QDialog, accept: Callable[[], None]) -> QDialogButtonBox:
    """Save runs ``accept`` (which checks the fields, closes and emits); Cancel rejects ``dialog``."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(accept)
    buttons.rejected.connect(dialog.reject)
    return buttons
