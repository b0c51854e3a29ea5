"""The readouts as Qt lays them out: the unit "a0²" never sits alone on a line (it wrapped at the default size)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui


def laid_out_lines(label) -> list[str]:
    """The lines of a rich-text QLabel at its current width, as Qt's text layout breaks them."""
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setHtml(label.text())
    document.setDocumentMargin(0)
    document.setTextWidth(label.contentsRect().width())
    document.size()  # lays the text out
    lines = []
    block = document.begin()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            lines.append(block.text()[line.textStart() : line.textStart() + line.textLength()].strip())
        block = block.next()
    return lines


def test_the_unit_stays_with_its_number(qtbot, window):
    from viewer_fixtures import wait_for_frame

    wait_for_frame(qtbot, window)
    label = window.readouts.models["naive"].prediction
    assert "a0²" in label.text()
    lines = laid_out_lines(label)
    assert len(lines) >= 2  # the sentence wraps at this width: the test is about where
    assert all(line.replace("\u00a0", " ") != "a0²" for line in lines), lines
    assert any(line.endswith("a0²") and len(line) > 4 for line in lines), lines
