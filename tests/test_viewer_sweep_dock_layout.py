"""Issue 21: opening the Sweep dock at the default window size keeps the 3D rows usable and its tick labels apart.

At 1280x700 the dock used to open 320 px high: each of the three 3D rows shrank to ~110 px, and the log axis of
max|Δh| piled "1, 0.01, 0.0001, 10⁻⁶, 10⁻⁸" into 60 px. Read from the real window's geometry and from the text
rectangles pyqtgraph lays the tick labels out in.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage, QPainter
from viewer_fixtures import *  # noqa: F403 - fixtures: settings, window
from viewer_fixtures import requires_display, wait_for_frame

pytestmark = [pytest.mark.gui, requires_display]


def _labels(axis) -> list:
    """The tick labels of an axis as laid out now: (rectangle, text) each."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _flags, text in (specs[2] if specs else [])]


def _open_dock(qtbot, window):
    from equiview.viewer.main_window import DEFAULT_WINDOW_SIZE

    window.resize(*DEFAULT_WINDOW_SIZE)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == DEFAULT_WINDOW_SIZE, timeout=5000)
    window.sweep_dock_action.trigger()
    panel = window.sweep_panel
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)
    qtbot.waitExposed(panel.plots)
    qtbot.wait(300)  # the dock's layout settles
    wait_for_frame(qtbot, window)
    return panel


def test_the_sweep_dock_leaves_the_3d_rows_usable(qtbot, window):
    panel = _open_dock(qtbot, window)
    rows = len(window.controller.scene.visible_rows())
    assert rows == 3
    row_height = window.plotter.height() / rows
    # each 3D row keeps a fifth of the window's height (it had 111 of 700 px; without the dock 220)
    assert row_height >= 0.19 * window.height(), (row_height, window.height(), window.sweep_dock.height())
    # and the plots stay readable: a row of plots keeps most of its minimum height, the rest scrolls
    from equiview.viewer.widgets.sweep_panel import ROW_MIN_HEIGHT

    assert min(plot.size().height() for plot in panel.value_plots.values()) >= 0.8 * ROW_MIN_HEIGHT


def test_the_sweep_plots_tick_labels_do_not_overlap(qtbot, window):
    panel = _open_dock(qtbot, window)
    checked = 0
    for kind in panel.value_plots:
        for plot in (panel.value_plots[kind], panel.error_plots[kind]):
            for side in ("left", "bottom"):
                labels = _labels(plot.getAxis(side))
                assert len(labels) >= 2 or side == "left" and len(labels) >= 1, (kind, side, labels)
                for i, (a, text_a) in enumerate(labels):
                    for b, text_b in labels[i + 1 :]:
                        assert not a.intersects(b), (kind, side, text_a, text_b, a, b)
                checked += len(labels)
    assert checked >= 16
