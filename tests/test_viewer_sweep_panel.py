"""The Sweep dock in the real window: values against compare_poses, the cursor, Play, hover, movie export."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from viewer_fixtures import close_window, requires_display, wait_for_frame, window_loading_models

from equiview.core.embeddings import compare_poses
from equiview.core.transforms import E3Transform
from equiview.viewer.model.colouring import Projection
from equiview.viewer.model.movie_file import read_frames
from equiview.viewer.model.movie_settings import MovieSettings
from equiview.viewer.model.sweep import spun_transform
from equiview.viewer.widgets.sweep_panel import RECOMPUTE_MS

pytestmark = [pytest.mark.gui, requires_display]


def _viewport_point(panel, plot, angle: float, value: float | None = None) -> QPoint:
    if value is None:  # the middle of the plot's value range
        value = 0.5 * sum(plot.vb.viewRange()[1])
    scene_point = plot.vb.mapViewToScene(QPointF(angle, value))
    point = panel.plots.mapFromScene(scene_point)
    panel.plot_scroll.ensureVisible(point.x(), point.y(), 0, 20)  # the rows scroll: bring this one into view
    return point


def _open(qtbot, window):
    """View > Sweep, as the user opens it: the panel sweeps what the window shows."""
    assert not window.sweep_dock.isVisible()
    window.sweep_dock_action.trigger()
    qtbot.waitUntil(lambda: window.sweep_panel.result is not None, timeout=30000)
    qtbot.waitExposed(window.sweep_panel.plots)
    qtbot.wait(300)  # the new dock's layout settles before a test maps plot points to pixels
    return window.sweep_panel


def test_hidden_dock_neither_sweeps_nor_draws_until_opened(qtbot, window):
    panel = window.sweep_panel
    assert not window.sweep_dock.isVisible() and panel.result is None  # hidden by default
    window.state.set_rotation(0, 35.0)
    window.molecule_panel.next()
    qtbot.wait(RECOMPUTE_MS + 100)
    assert panel.result is None and not panel._recompute.isActive()
    panel = _open(qtbot, window)  # opening sweeps the state shown now
    assert panel.spin.snapshot == window.state.snapshot
    shown = panel.result
    window.sweep_dock_action.trigger()  # hide again
    assert not window.sweep_dock.isVisible()
    window.molecule_panel.next()
    qtbot.wait(RECOMPUTE_MS + 100)
    assert panel.result is shown  # nothing computed while hidden
    window.sweep_dock_action.trigger()
    assert panel.result is not shown and panel.spin.snapshot == window.state.snapshot


def test_panel_values_equal_compare_poses_per_angle(qtbot, window, dataset):
    panel = _open(qtbot, window)
    window.state.set_rotation(0, 35.0)
    panel.recompute()
    molecule = window.pipeline.molecule(window.state.snapshot.molecule)
    identity = E3Transform.identity()
    result = panel.result
    assert result.axis == "z" and len(result.angles) == 72
    assert result.current_angle is None  # g turns about x too: no turn about z, not marked
    for kind in ("naive", "egnn"):
        model = window.library.load(window.state.snapshot.sources[kind]).model
        spec = window.state.snapshot.projections[kind]
        for index in (0, 7, 30, 61):
            reference = compare_poses(
                model, molecule.graph(), spun_transform("z", result.angles[index], identity, molecule.centre)
            )
            projection = Projection(spec.kind, spec.channel).fit(reference.h_original)
            np.testing.assert_allclose(panel.values_at(kind, index), projection(reference.h_transformed), atol=1e-5)
            assert result.models[kind].max_error[index] == pytest.approx(
                reference.max_error, rel=1e-4, abs=1e-5
            )  # an invariant model's error is float noise (~1e-6)
    # angle 0 is the identity: the curves start at h(x), and naive's error there is exactly 0
    assert result.models["naive"].max_error[0] == 0.0
    # the window's g = 45° about z lies on the axis: the cursor starts there, with the window's own colours
    window.state.set_rotation(0, 0.0)
    panel.recompute()
    assert panel.result.current_angle == pytest.approx(45.0) and panel.angle == pytest.approx(45.0)
    wait_for_frame(qtbot, window)
    for kind in ("naive", "egnn"):
        np.testing.assert_allclose(
            panel.values_at(kind, 9), window.controller.frame.rows[kind].values_transformed, atol=1e-5
        )


def test_clicking_the_plot_sets_the_angle_through_the_state(qtbot, window):
    panel = _open(qtbot, window)
    base = panel.spin.snapshot.transform  # the window's starting g
    scene = window.controller.scene
    actors = {key: (view.atom_actor, view.bond_actor) for key, view in scene.views.items()}
    plot = panel.value_plots["egnn"]
    qtbot.mouseClick(panel.plots.viewport(), Qt.MouseButton.LeftButton, pos=_viewport_point(panel, plot, 120.0))
    wait_for_frame(qtbot, window)
    assert panel.angle == pytest.approx(120.0, abs=3.0)
    expected = panel.spin.params(window.pipeline, panel.angle)
    assert window.state.snapshot.transform == expected
    assert all(cursor.value() == pytest.approx(panel.angle) for cursor in panel.cursors)
    # the frame drawn is the pose at that angle, and the egnn colours are the curves' values there
    molecule = window.controller.frame.molecule
    g = spun_transform("z", panel.angle, E3Transform.identity(), molecule.centre)
    np.testing.assert_allclose(
        window.controller.frame.positions_transformed, g.apply(molecule.graph().pos).double().numpy(), atol=1e-5
    )
    # no actor was created or replaced
    assert actors == {key: (view.atom_actor, view.bond_actor) for key, view in scene.views.items()}
    # dragging the cursor goes the same way
    panel.cursors[0].setValue(250.0)
    wait_for_frame(qtbot, window)
    assert window.state.snapshot.transform == panel.spin.params(window.pipeline, 250.0)
    # a sweep of its own steps is not a manual change: the sweep's base stays
    qtbot.wait(RECOMPUTE_MS + 100)
    assert panel.spin.snapshot.transform == base


def test_a_slider_step_does_not_sweep_recompute_does(qtbot, window):
    panel = _open(qtbot, window)
    panel.set_angle(90.0)
    swept = panel.result
    window.state.set_translation(0, 2.0)  # the user moves a slider
    qtbot.wait(RECOMPUTE_MS + 100)
    assert panel.result is swept and "moved by hand" in panel.angle_label.text()
    qtbot.mouseClick(panel.recompute_button, Qt.MouseButton.LeftButton)  # the user asks
    assert panel.spin.snapshot.transform == window.state.snapshot.transform
    assert panel.angle == 0.0 and "moved by hand" not in panel.angle_label.text()
    assert panel.result.current_angle is None and "no turn about z" in panel.angle_label.text()  # g has a shift
    assert panel.result.models["naive"].max_error[0] == 0.0  # angle 0 is the identity
    # another molecule is new input: swept again without asking
    window.molecule_panel.next()
    qtbot.waitUntil(lambda: panel.spin.snapshot.molecule == window.state.snapshot.molecule, timeout=5000)


class Counter:
    """State changes and rendered frames (bound methods: a lambda would keep the window alive)."""

    def __init__(self) -> None:
        self.steps = 0
        self.frames = 0

    def changed(self, _old, _new) -> None:
        self.steps += 1

    def drawn(self, _ms) -> None:
        self.frames += 1


def test_play_spins_one_step_per_drawn_frame_and_manual_input_stops_it(qtbot, window):
    panel = window.sweep_panel
    assert not window.sweep_dock.isVisible()
    panel.speed_box.setValue(90.0)
    counter = Counter()
    window.state.changed.connect(counter.changed)
    window.controller.frameRendered.connect(counter.drawn)
    window.play_action.trigger()  # Space: opens the hidden dock, then plays
    assert window.sweep_dock.isVisible() and panel.playing and panel.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: counter.steps >= 3 and panel.angle > 0.0, timeout=30000)
    assert window.state.snapshot.transform == panel.spin.params(window.pipeline, panel.angle)
    # never queued faster than drawn: each step waits for the previous frame's render
    assert counter.steps <= counter.frames + 1
    # the mechanism: after a step the next one waits for the controller's frameRendered
    panel._tick.stop()
    panel._advance()
    assert not panel._tick.isActive()
    panel.frame_drawn(1.0)
    assert panel._tick.isActive()
    window.transform_panel.reset()  # any manual input
    assert not panel.playing and panel.play_button.text() == "Play"
    window.state.changed.disconnect(counter.changed)
    window.controller.frameRendered.disconnect(counter.drawn)


def test_hovering_a_curve_highlights_its_atom(qtbot, window):
    panel = _open(qtbot, window)
    kind, atom = "egnn", 3
    value = float(panel.values_at(kind, 20)[atom])
    point = _viewport_point(panel, panel.value_plots[kind], float(panel.result.angles[20]), value)
    qtbot.mouseMove(panel.plots.viewport(), point)
    qtbot.waitUntil(lambda: panel._hovered is not None, timeout=3000)
    hovered = panel._hovered
    # atoms can share a value in the untrained 1-D demo: the hovered one must be at that height
    assert panel.values_at(kind, 20)[hovered] == pytest.approx(value, abs=0.05)
    assert window.readouts.atom.text() == window.readouts.atom_text(hovered)
    assert panel.curves[kind][hovered].opts["pen"].width() == 3


def test_export_movie_from_the_window_and_cancel(qtbot, window, tmp_path, monkeypatch):
    tmp_path = tmp_path / "movies"  # the settings fixture keeps its file in tmp_path
    tmp_path.mkdir()
    out = tmp_path / "spin.gif"
    settings = MovieSettings(axis="y", frames=5, fps=10, size=(320, 200))
    before = window.state.snapshot
    assert window.export_movie(str(out), settings)
    frames = list(read_frames(out))
    assert len(frames) == 5 and frames[0].shape == (200, 320, 3)
    assert window.state.snapshot == before

    cancelled_out = tmp_path / "cancelled.mp4"
    original_step = window._movie_step

    def step_then_cancel(done, total):
        original_step(done, total)
        if done == 2:
            window.movie_progress.cancel()  # what the dialog's Cancel button does

    monkeypatch.setattr(window, "_movie_step", step_then_cancel)
    assert not window.export_movie(str(cancelled_out), MovieSettings(frames=8, size=(320, 200)))
    assert "cancelled" in window.statusBar().currentMessage()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spin.gif"]
    assert window.state.snapshot == before


def test_bad_movie_settings_show_one_line_and_write_nothing(qtbot, window, tmp_path):
    tmp_path = tmp_path / "movies"
    tmp_path.mkdir()
    assert not window.export_movie(str(tmp_path / "x.avi"), MovieSettings(frames=4, size=(320, 200)))
    assert "unknown movie format" in window.last_error
    assert not window.export_movie(str(tmp_path / "x.mp4"), MovieSettings(frames=4, size=(321, 200)))
    assert "even width and height" in window.last_error
    assert list(tmp_path.iterdir()) == []


def test_sphere_tab(qtbot, window):
    panel = _open(qtbot, window)
    panel.tabs.setCurrentIndex(1)
    panel.compute_sphere()
    assert panel.sphere_canvas is not None
    assert panel.spheres["egnn"].max_error.max() < 1e-4
    assert panel.spheres["naive"].max_error.min() > 1e-3


def test_the_sweep_waits_for_models_loaded_in_the_background(qtbot, dataset, settings):
    window = window_loading_models(dataset, settings)
    try:
        with qtbot.waitSignal(window.modelsReady, timeout=60000):
            assert window.sweep_panel.result is None
            window.sweep_panel.set_playing(True)  # nothing to spin yet
            assert not window.sweep_panel.playing
            window.show()
            window.sweep_dock.show()  # open before the models arrive: the sweep follows them
        assert window.sweep_panel.result is not None
        assert window.sweep_panel.result.models["egnn"].max_error.max() < 1e-4
    finally:
        window.loader.wait(60)
        close_window(window)


def test_dipole_rows_plot_how_far_their_arrows_are_from_turning(qtbot, window):
    """With the dipole preset each error plot also carries max|v(g·x) − R·v(x)| (dashed): large for the naive
    dipole model, float noise for the equivariant one; scalar models have no such curve."""
    panel = _open(qtbot, window)
    assert all(len(slot.vector_curve.getData()[0] or ()) == 0 for slot in panel.row_slots.values())
    assert "v(g·x)" not in panel.error_plots["naive"].titleLabel.text
    window.models_panel.dipole_preset_button.click()
    wait_for_frame(qtbot, window)
    qtbot.waitUntil(
        lambda: panel.result is not None and panel.result.models["egnn"].vector_error is not None, timeout=30000
    )
    steps = len(panel.result.angles)
    for name in ("naive", "egnn"):
        x, y = panel.row_slots[name].vector_curve.getData()
        assert len(x) == steps + 1  # the turn closed at 360°
        assert "v(g·x)" in panel.error_plots[name].titleLabel.text
    # the curves are drawn on the log axis: log10 of the errors
    naive = 10.0 ** panel.row_slots["naive"].vector_curve.getData()[1]
    egnn = 10.0 ** panel.row_slots["egnn"].vector_curve.getData()[1]
    assert np.median(naive) > 1e-2 and egnn.max() < 1e-3
