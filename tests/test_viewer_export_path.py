"""File ▸ Export screenshot… follows the command line's output policy (core.output_path): a FIFO, a device or a
symbolic link at the chosen path is refused with a message and the dialog stays open (issue 19, finding 3)."""

from __future__ import annotations

import os

import pytest


@pytest.mark.gui
def test_the_export_dialog_refuses_a_fifo_and_a_link(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from equiview.viewer.widgets.export_dialog import ExportDialog

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    dialog = ExportDialog(str(tmp_path / "grid.png"), (200, 100))
    qtbot.addWidget(dialog)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "grid.png")
    for path, words in ((fifo, "not a regular file"), (link, "symbolic link")):
        dialog.path_edit.setText(str(path))
        with qtbot.assertNotEmitted(dialog.exportRequested):
            dialog._accept()
        assert words in shown[-1] and str(path) in shown[-1]
    dialog.path_edit.setText(str(tmp_path / "grid.png"))
    with qtbot.waitSignal(dialog.exportRequested, timeout=2000) as emitted:
        dialog._accept()
    assert emitted.args[0] == str(tmp_path / "grid.png") and len(shown) == 2
    dialog.close()
