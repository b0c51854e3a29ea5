"""The Sweep dock in the real window: hovering a curve marks its atom in every 3D view (through the state), and the
dock has a row of plots for each model row, the user's included."""

from __future__ import annotations

import numpy as np
import pytest
from molecule_files_fixtures import METHANETHIOL, write_multi_xyz, write_xyz
from PySide6.QtCore import QPoint, QPointF
from user_model_fixtures import CENTRED_MODEL
from viewer_fixtures import *  # noqa: F403 - fixtures: settings, window
from viewer_fixtures import requires_display, wait_for_frame

pytestmark = [pytest.mark.gui, requires_display]


def _open(qtbot, window):
    window.sweep_dock_action.trigger()
    qtbot.waitUntil(lambda: window.sweep_panel.result is not None, timeout=30000)
    qtbot.waitExposed(window.sweep_panel.plots)
    qtbot.wait(300)  # the new dock's layout settles before a test maps plot points to pixels
    return window.sweep_panel


def _curve_point(panel, kind: str, index: int, atom: int) -> QPoint:
    """Where atom ``atom``'s curve of row ``kind`` passes at sweep angle ``index``, in viewport pixels."""
    plot = panel.value_plots[kind]
    value = float(panel.values_at(kind, index)[atom])
    point = panel.plots.mapFromScene(plot.vb.mapViewToScene(QPointF(float(panel.result.angles[index]), value)))
    panel.plot_scroll.ensureVisible(point.x(), point.y(), 0, 20)  # the rows scroll: bring this one into view
    return point


def _markers(window):
    """Per view of the grid, by (row name, column): (visible, marker centre or None) of its one marker actor."""
    scene, seen = window.controller.scene, {}
    for row in ("input", *scene.model_rows):
        for column in ("original", "transformed"):
            view = scene.view(row, column)
            seen[(row, column)] = (bool(view.marker_actor.GetVisibility()), view.marker_centre())
    return seen


def test_hovering_a_curve_marks_its_atom_in_every_3d_view(qtbot, window, tmp_path):
    panel = _open(qtbot, window)
    scene = window.controller.scene
    actors = {key: view.marker_actor for key, view in scene.views.items()}
    assert not any(visible for visible, _ in _markers(window).values())
    qtbot.mouseMove(panel.plots.viewport(), _curve_point(panel, "naive", 9, 5))
    qtbot.waitUntil(lambda: panel._hovered is not None, timeout=3000)
    hovered = panel._hovered
    assert window.state.snapshot.highlight == hovered  # the panel set the state; the controller drew it
    wait_for_frame(qtbot, window)
    frame = window.controller.frame
    markers = _markers(window)
    assert len(markers) == 6
    for (row, column), (visible, centre) in markers.items():
        assert visible, (row, column)
        # the marker sits on the atom as each view draws it: x in the left column, g·x in the right one
        np.testing.assert_allclose(centre, frame.positions(column)[hovered], atol=1e-4)
    assert not np.allclose(frame.positions("original")[hovered], frame.positions("transformed")[hovered])
    window.window_image().save(str(tmp_path / "hover.png"))

    # another atom: the same actors move, none is added
    other = next(a for a in range(frame.molecule.num_atoms) if a != hovered)
    panel.highlight(other)
    wait_for_frame(qtbot, window)
    assert {key: view.marker_actor for key, view in scene.views.items()} == actors
    np.testing.assert_allclose(_markers(window)[("egnn", "transformed")][1], frame.positions("transformed")[other])

    # the mouse leaves the plots: the marker goes
    qtbot.mouseMove(window.transform_panel, QPoint(5, 5))
    qtbot.waitUntil(lambda: panel._hovered is None, timeout=3000)
    wait_for_frame(qtbot, window)
    assert window.state.snapshot.highlight is None
    assert not any(visible for visible, _ in _markers(window).values())


def test_a_hover_ends_where_it_began_and_a_playing_spin_keeps_the_marker(qtbot, window):
    panel = _open(qtbot, window)
    window.state.set_highlight(2)  # a clicked atom
    start = panel.angle  # the window's g (45° about z): the sweep's cursor starts there
    panel.set_playing(True)
    panel.highlight(7)  # hovering while it spins
    assert window.state.snapshot.highlight == 7
    qtbot.waitUntil(lambda: abs(panel.angle - start) > 5.0, timeout=20000)
    assert panel.playing  # the hover's state change did not stop Play
    panel.set_playing(False)
    wait_for_frame(qtbot, window)
    frame = window.controller.frame
    assert frame.transform != panel.spin.snapshot.transform  # the marker followed the atom as it spun
    np.testing.assert_allclose(
        _markers(window)[("naive", "transformed")][1], frame.positions("transformed")[7], atol=1e-4
    )
    panel.highlight(None)  # leaving the plot: back to the clicked atom
    assert window.state.snapshot.highlight == 2


def test_the_dock_has_a_row_of_plots_per_model_row_the_users_included(qtbot, window, tmp_path):
    (tmp_path / "centred.py").write_text(CENTRED_MODEL)
    assert window.add_user_model(f"centred={tmp_path / 'centred.py'}:make")
    assert window.open_molecule_file(write_multi_xyz(tmp_path / "three.xyz"))
    wait_for_frame(qtbot, window)
    panel = _open(qtbot, window)
    assert list(panel.value_plots) == ["naive", "egnn", "centred"] == list(window.state.snapshot.rows)
    atoms = window.controller.frame.molecule.num_atoms
    centred = panel.result.models["centred"]
    assert centred.values.shape == (72, atoms) and centred.max_error.max() > 1e-2
    assert sum(curve.isVisible() for curve in panel.curves["centred"]) == atoms
    rows = {slot.shown_at for slot in panel.row_slots.values()}
    assert rows == {0, 1, 2} and sum(slot.shown_at is None for slot in panel.slots) == 1
    # three rows do not squash into the dock: each keeps a readable height and the rows scroll
    from equiview.viewer.widgets.sweep_panel import ROW_MIN_HEIGHT

    lowest = 0.8 * ROW_MIN_HEIGHT
    qtbot.waitUntil(lambda: min(plot.size().height() for plot in panel.value_plots.values()) >= lowest, timeout=3000)
    assert panel.plot_scroll.verticalScrollBar().maximum() > 0

    # hovering the user's row marks the atom like any other row
    qtbot.mouseMove(panel.plots.viewport(), _curve_point(panel, "centred", 30, 1))
    qtbot.waitUntil(lambda: panel._hovered is not None, timeout=3000)
    assert window.state.snapshot.highlight == panel._hovered

    # a molecule with sulfur: the built-in rows say why they have no curves, the user's row is swept
    assert window.open_molecule_file(write_xyz(tmp_path / "thiol.xyz", METHANETHIOL, "methanethiol"))
    qtbot.waitUntil(lambda: panel.result is not None and bool(panel.result.unavailable), timeout=30000)
    assert "not available" in panel.value_plots["naive"].titleLabel.text
    assert "the molecule has S" in panel.error_plots["naive"].titleLabel.text
    assert not any(curve.isVisible() for curve in panel.curves["egnn"])
    assert sum(curve.isVisible() for curve in panel.curves["centred"]) == 6
    # a row without curves shows no numbers on its axes (they would be the last molecule's)
    assert not panel.value_plots["naive"].getAxis("left").style["showValues"]
    assert panel.value_plots["centred"].getAxis("left").style["showValues"]
    window.window_image().save(str(tmp_path / "rows.png"))
