"""The real main window under Xvfb + Mesa: sliders, invariance of the colours, read-back of VTK data."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from viewer_fixtures import close_window, requires_display, settle, wait_for_frame, window_loading_models

pytestmark = [pytest.mark.gui, requires_display]


def transformed_positions(dataset, index, rx=0.0, ry=0.0, rz=0.0, t=(0.0, 0.0, 0.0), reflect=False):
    from equiview.core.transforms import E3Transform

    pos = dataset[index].pos
    centre = pos.double().mean(dim=0)
    return E3Transform.from_view(rx, ry, rz, t, reflect, center=centre).apply(pos).double().numpy()


def test_rotation_slider_keeps_egnn_colours_and_changes_naive_ones(qtbot, window, dataset):
    scene = window.controller.scene
    egnn_before = scene.view("egnn", "transformed").point_array("value")
    naive_before = scene.view("naive", "transformed").point_array("value")
    original_points = scene.view("input", "original").atom_positions()
    actors_before = {key: (v.atom_actor, v.bond_actor, v.atoms.GetPoints()) for key, v in scene.views.items()}
    props_before = [v.renderer.GetViewProps().GetNumberOfItems() for v in scene.views.values()]

    slider = window.transform_panel.rotation_sliders[2]
    slider.setValue(60)
    wait_for_frame(qtbot, window)

    assert window.state.transform.rz == 60.0
    assert window.transform_panel.rotation_spins[2].value() == 60.0
    # the transformed views show exactly the transformed coordinates the models saw
    expected = transformed_positions(dataset, 800, rz=60.0)
    for row in ("input", "naive", "egnn"):
        np.testing.assert_allclose(scene.view(row, "transformed").atom_positions(), expected, atol=1e-5)
    np.testing.assert_allclose(scene.view("input", "original").atom_positions(), original_points)
    assert np.abs(expected - original_points).max() > 0.5  # the molecule did move

    egnn_original = scene.view("egnn", "original").point_array("value")
    egnn_after = scene.view("egnn", "transformed").point_array("value")
    naive_original = scene.view("naive", "original").point_array("value")
    naive_after = scene.view("naive", "transformed").point_array("value")
    assert np.abs(egnn_after - egnn_original).max() <= 1e-5
    assert np.abs(egnn_after - egnn_before).max() <= 1e-5
    assert np.abs(naive_after - naive_original).max() > 1e-3
    assert np.abs(naive_after - naive_before).max() > 1e-3
    # the colours written for VTK follow the values
    rgba_o = scene.view("egnn", "original").point_array("rgba").astype(int)
    rgba_t = scene.view("egnn", "transformed").point_array("rgba").astype(int)
    assert np.abs(rgba_o - rgba_t).max() <= 1
    assert not np.array_equal(
        scene.view("naive", "original").point_array("rgba"), scene.view("naive", "transformed").point_array("rgba")
    )

    # in place: same actors, same VTK points objects, no new props
    for key, view in scene.views.items():
        assert (view.atom_actor, view.bond_actor, view.atoms.GetPoints()) == actors_before[key]
    assert [v.renderer.GetViewProps().GetNumberOfItems() for v in scene.views.values()] == props_before

    readout = window.readouts.models  # while moving, the readouts follow a moment later
    qtbot.waitUntil(lambda: "changed" in readout["naive"].error.text(), timeout=5000)
    assert "invariant" in readout["egnn"].error.text()
    assert "untrained" in readout["naive"].prediction.text()


def test_translation_and_mirror_move_the_molecule_and_keep_egnn_invariant(qtbot, window, dataset):
    panel = window.transform_panel
    panel.translation_spins[0].setValue(2.5)
    panel.rotation_spins[1].setValue(-30.0)
    panel.reflect_box.setChecked(True)
    wait_for_frame(qtbot, window)
    params = window.state.transform
    assert (params.tx, params.ry, params.reflect) == (2.5, -30.0, True)
    assert panel.translation_sliders[0].value() == 25  # the slider follows the spin box
    expected = transformed_positions(dataset, 800, ry=-30.0, rz=45.0, t=(2.5, 0.0, 0.0), reflect=True)
    np.testing.assert_allclose(
        window.controller.scene.view("egnn", "transformed").atom_positions(), expected, atol=1e-5
    )
    frame = window.controller.frame
    assert frame.rows["egnn"].max_error <= 1e-5
    assert frame.rows["naive"].max_error > 1e-3
    # predictions of the invariant model agree for both poses
    assert frame.rows["egnn"].prediction_transformed == pytest.approx(frame.rows["egnn"].prediction_original, abs=1e-4)


def test_keyboard_reset_and_random(qtbot, window):
    from PySide6.QtCore import Qt

    slider = window.transform_panel.rotation_sliders[0]
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    wait_for_frame(qtbot, window)
    assert window.state.transform.rx == 15.0  # page step 15 degrees
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert window.state.transform.rx == 16.0

    window.transform_panel.random_button.click()
    wait_for_frame(qtbot, window)
    assert not window.state.transform.is_identity
    assert window.controller.frame.rows["egnn"].max_error <= 1e-5

    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    qtbot.keyClick(slider, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    wait_for_frame(qtbot, window)
    assert window.state.transform.is_identity
    assert all(s.value() == 0 for s in window.transform_panel.rotation_sliders)
    assert window.controller.frame.rows["naive"].max_error == 0.0


def test_slider_drag_drops_multisampling_and_restores_it(qtbot, window):
    scene = window.controller.scene
    window.labels_action.setChecked(True)
    settle(qtbot, window)
    assert scene.render_window.GetMultiSamples() == scene.style.quality_samples
    slider = window.transform_panel.rotation_sliders[1]
    slider.sliderPressed.emit()
    slider.setValue(20)
    wait_for_frame(qtbot, window)
    assert scene.render_window.GetMultiSamples() == 0
    assert not scene.view("egnn", "original").label_actor.GetVisibility()
    slider.sliderReleased.emit()
    settle(qtbot, window)
    assert scene.render_window.GetMultiSamples() == scene.style.quality_samples
    assert scene.view("egnn", "original").label_actor.GetVisibility()


def test_picking_an_atom_shows_its_values(qtbot, window):
    from PySide6.QtCore import QPoint, Qt

    settle(qtbot, window)
    scene = window.controller.scene
    renderer = scene.view("naive", "original").renderer
    positions = window.controller.frame.molecule.positions
    screen = []
    for p in positions:
        renderer.SetWorldPoint(*p, 1.0)
        renderer.WorldToDisplay()
        screen.append(renderer.GetDisplayPoint()[:2])
    screen = np.array(screen)
    # the atom farthest from all others on screen: no overlap, an unambiguous pick
    gaps = np.linalg.norm(screen[:, None] - screen[None], axis=2) + np.eye(len(screen)) * 1e9
    atom = int(np.argmax(gaps.min(axis=1)))
    ratio = window.plotter.devicePixelRatioF()
    height = scene.render_window.GetSize()[1]
    x, y = screen[atom][0] / ratio, (height - 1 - screen[atom][1]) / ratio
    hit = window.pick_atom(round(x), round(y))
    assert hit is not None and (hit.row, hit.column, hit.atom) == ("naive", "original", atom)
    assert window.pick_atom(3, 3) is None  # a corner of a view: background

    qtbot.mouseClick(window.plotter, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    qtbot.waitUntil(lambda: window.readouts.selected_atom() == atom)
    text = window.readouts.atom.text()
    assert f"Atom {atom}" in text and "Naive GNN" in text and "Equivariant GNN" in text


def test_input_row_labels_and_colormap(qtbot, window):
    scene = window.controller.scene
    window.models_panel.input_row_check.setChecked(False)
    wait_for_frame(qtbot, window)
    assert not scene.input_row_visible
    assert not scene.view("input", "original").renderer.GetDraw()
    assert scene.view("naive", "original").renderer.GetViewport()[3] == pytest.approx(1.0)
    assert window.input_row_action.isChecked() is False
    window.input_row_action.setChecked(True)
    assert scene.input_row_visible and scene.view("input", "original").renderer.GetDraw()

    # labels are off by default; when on, they grow with the atoms (zoom) within legible bounds
    assert window.state.show_labels is False and not window.labels_action.isChecked()
    settle(qtbot, window)
    assert not scene.view("input", "original").label_actor.GetVisibility()
    window.labels_action.setChecked(True)
    settle(qtbot, window)
    label = scene.view("input", "original").label_mapper.GetLabelTextProperty(0)
    assert scene.view("input", "original").label_actor.GetVisibility()
    assert label.GetFontSize() == scene.label_size_px()
    before = label.GetFontSize()
    scene.camera.SetParallelScale(scene.camera.GetParallelScale() * 0.6)  # zoom in (as the wheel does)
    window.controller.begin_motion()
    settle(qtbot, window)
    assert label.GetFontSize() > before or before == 22

    before = scene.view("naive", "original").point_array("rgba").copy()
    combo = window.models_panel.colormap_combo
    combo.setCurrentText("plasma")
    combo.activated.emit(combo.currentIndex())
    wait_for_frame(qtbot, window)
    assert window.state.colormap == "plasma"
    assert not np.array_equal(before, scene.view("naive", "original").point_array("rgba"))
    lut = scene.view("naive", "transformed").lut
    assert lut.GetNumberOfTableValues() == 256


def test_molecule_browser_and_properties(qtbot, window, dataset):
    panel = window.molecule_panel
    assert window.state.molecule == 800
    assert "gdb_814" in panel.summary.text()
    assert "gdb_814" in window.windowTitle()
    # the properties table shows the molecule's 19 targets; row 5 is <R^2>
    assert panel.table.rowCount() == 19
    assert float(panel.table.item(5, 1).text()) == pytest.approx(float(dataset[800].y[0, 5]), rel=1e-4)
    assert panel.table.item(5, 2).text() == "a0²"

    panel.next_button.click()
    wait_for_frame(qtbot, window)
    assert window.state.molecule == 801
    n = dataset[801].z.numel()
    assert window.controller.scene.view("input", "original").atom_positions().shape == (n, 3)
    np.testing.assert_allclose(
        window.controller.scene.view("input", "original").atom_positions(), dataset[801].pos.double().numpy(), atol=1e-6
    )

    panel.search_edit.setText("gdb_1")
    assert panel.search()
    wait_for_frame(qtbot, window)
    assert window.state.molecule == dataset.find("gdb_1")
    assert window.controller.scene.view("input", "original").atom_positions().shape == (5, 3)  # methane

    panel.search_edit.setText("C5H7NO")
    assert panel.search()
    wait_for_frame(qtbot, window)
    from equiview.core.elements import formula

    assert formula(dataset[window.state.molecule].z.tolist()) == "C5H7NO"
    assert "match" in panel.search_status.text()


def test_vtk_letter_keys_do_not_change_the_scene(qtbot, window):
    from PySide6.QtCore import Qt

    camera = window.controller.scene.camera
    before = (camera.GetPosition(), camera.GetParallelScale())
    representation = window.controller.scene.view("naive", "original").bond_actor.GetProperty().GetRepresentation()
    window.plotter.setFocus()
    for key in (Qt.Key.Key_W, Qt.Key.Key_V, Qt.Key.Key_Q, Qt.Key.Key_E, Qt.Key.Key_Plus, Qt.Key.Key_R):
        qtbot.keyClick(window.plotter, key)
    wait_for_frame(qtbot, window)
    assert window.isVisible() and not window.plotter._closed
    assert (
        window.controller.scene.view("naive", "original").bond_actor.GetProperty().GetRepresentation() == representation
    )
    assert (camera.GetPosition(), camera.GetParallelScale()) == before


def test_window_is_drawn_before_the_models_load(qtbot, dataset, settings):
    """Background loading: the input row at once, "loading models…" in the model rows, then the models."""
    window = window_loading_models(dataset, settings)
    try:
        with qtbot.waitSignal(window.modelsReady, timeout=60000):
            frame = window.controller.frame
            assert frame is not None and frame.rows == {}  # drawn without the models
            scene = window.controller.scene
            assert "loading models" in scene.view("egnn", "original").title.GetInput()
            assert scene.view("input", "transformed").atom_positions().shape == (14, 3)
            assert not window.models_panel.boxes["naive"].isEnabled() and not window.random_action.isEnabled()
            window.show()
        wait_for_frame(qtbot, window)
        frame = window.controller.frame
        assert set(frame.rows) == {"naive", "egnn"}
        assert "loading" not in scene.view("egnn", "original").title.GetInput()
        assert window.models_panel.boxes["naive"].isEnabled() and window.random_action.isEnabled()
        assert "loading" not in window.readouts.models["egnn"].error.text()
        # the same picture as a window that loaded its models first
        reference = window.pipeline.frame(window.state.snapshot, models=True)
        for kind in ("naive", "egnn"):
            np.testing.assert_array_equal(frame.rows[kind].values_original, reference.rows[kind].values_original)
    finally:
        window.loader.wait(60)
        close_window(window)


def test_startup_path_imports_torch_only_off_the_interface_thread_and_never_pyg(tmp_path):
    """`equiview gui`'s start-up in a fresh process: the interface thread never imports torch or PyG."""
    script = textwrap.dedent(
        """
        import sys, threading
        class Watch:
            def find_spec(self, name, path=None, target=None):
                root = name.split(".")[0]
                if root == "torch_geometric" or (root == "torch" and threading.current_thread() is threading.main_thread()):
                    print("IMPORTED", name, threading.current_thread().name, flush=True)
                return None
        sys.meta_path.insert(0, Watch())
        from equiview.viewer.app import create_application
        app = create_application()
        from equiview.viewer.cli import _load, build_full_parser
        table, library, snapshot = _load(build_full_parser().parse_args(["gui"]), background=True)
        from equiview.viewer.main_window import MainWindow
        window = MainWindow(table, library=library, initial=snapshot, restore_geometry=False, persist=False,
                            load_models_in_background=True)
        window.show()
        window.modelsReady.connect(app.quit)
        app.exec()
        print("rows", sorted(window.controller.frame.rows), flush=True)
        window.close()
        """
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", EQUIVIEW_SETTINGS=str(tmp_path / "s.ini"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "IMPORTED" not in done.stdout, done.stdout
    assert "rows ['egnn', 'naive']" in done.stdout


def view_centre(window, row, column):
    """Widget coordinates (Qt, top left) of the centre of a view."""
    from PySide6.QtCore import QPoint

    renderer = window.controller.scene.view(row, column).renderer
    x0, y0, x1, y1 = renderer.GetViewport()
    ratio = window.plotter.devicePixelRatioF()
    width, height = window.controller.grid_size()
    return QPoint(round(0.5 * (x0 + x1) * width / ratio), round((1.0 - 0.5 * (y0 + y1)) * height / ratio))


def drag(qtbot, widget, start, steps, modifier=None):
    from PySide6.QtCore import QPoint, Qt

    modifier = modifier or Qt.KeyboardModifier.NoModifier
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, modifier, pos=start)
    point = start
    for dx, dy in steps:
        point = point + QPoint(dx, dy)
        qtbot.mouseMove(widget, pos=point)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, modifier, pos=point)


def test_mouse_drag_in_the_gx_view_rotates_g(qtbot, window):
    """A drag in the g·x column turns g: sliders follow, naive colours change, EGNN colours stay."""
    scene = window.controller.scene
    settle(qtbot, window)
    camera = (scene.camera.GetPosition(), scene.camera.GetViewUp(), scene.camera.GetParallelScale())
    before = window.state.transform
    naive_before = scene.view("naive", "transformed").point_array("value")
    egnn_original = scene.view("egnn", "original").point_array("value")

    drag(qtbot, window.plotter, view_centre(window, "naive", "transformed"), [(6, 0)] * 8 + [(0, -5)] * 6)
    wait_for_frame(qtbot, window)

    after = window.state.transform
    assert after != before and after.translation == before.translation
    assert not window.state.interacting  # the release ended the drag
    panel = window.transform_panel
    assert [s.value() for s in panel.rotation_sliders] == [round(v) for v in after.rotation]
    assert [s.value() for s in panel.rotation_spins] == pytest.approx([round(v, 1) for v in after.rotation])
    assert np.abs(scene.view("naive", "transformed").point_array("value") - naive_before).max() > 1e-3
    assert np.abs(scene.view("egnn", "transformed").point_array("value") - egnn_original).max() <= 1e-5
    # the camera did not move: the models' input did
    assert (scene.camera.GetPosition(), scene.camera.GetViewUp(), scene.camera.GetParallelScale()) == camera
    assert window.controller.frame.transform == after


def test_drag_in_the_x_view_turns_only_the_camera_and_says_so(qtbot, window):
    scene = window.controller.scene
    settle(qtbot, window)
    hint = scene.view("input", "original").hint
    assert hint.GetVisibility() and "turn the view" in hint.GetInput()
    assert "rotate g" in scene.view("input", "transformed").hint.GetInput()
    position = scene.camera.GetPosition()
    before = window.state.transform
    naive_values = scene.view("naive", "transformed").point_array("value")

    from PySide6.QtCore import QPoint, Qt

    start = view_centre(window, "naive", "original")
    qtbot.mousePress(window.plotter, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 6):
        qtbot.mouseMove(window.plotter, pos=start + QPoint(8 * k, 0))
    assert hint.GetInput() == "view only: the models' input did not change"
    assert "view only" in window.statusBar().currentMessage()
    qtbot.mouseRelease(window.plotter, Qt.MouseButton.LeftButton, pos=start + QPoint(40, 0))
    settle(qtbot, window)
    assert scene.camera.GetPosition() != position
    assert window.state.transform == before
    np.testing.assert_array_equal(scene.view("naive", "transformed").point_array("value"), naive_values)


def test_default_and_identity_verdicts(qtbot, window):
    scene = window.controller.scene
    assert window.state.transform.rotation == (0.0, 0.0, 45.0)
    naive_badge = scene.view("naive", "transformed").badge.GetInput()
    egnn_badge = scene.view("egnn", "transformed").badge.GetInput()
    assert naive_badge.startswith("changed: max|Δh| = ") and egnn_badge.startswith("invariant: ")
    assert "changed" in window.readouts.models["naive"].error.text()
    assert "invariant" in window.readouts.models["egnn"].error.text()
    number = naive_badge.rsplit("= ", 1)[1]
    assert f"= {number}:" in window.readouts.models["naive"].error.text()  # the badge and the readouts agree

    window.transform_panel.reset_button.click()
    wait_for_frame(qtbot, window)
    # the readouts follow a change at most every READOUT_INTERVAL_MS
    qtbot.waitUntil(lambda: all("identity" in r.error.text() for r in window.readouts.models.values()))
    for kind in ("naive", "egnn"):
        badge = scene.view(kind, "transformed").badge
        assert badge.GetInput() == "identity: move a slider"
        assert "invariant" not in window.readouts.models[kind].error.text()
        assert "identity" in window.readouts.models[kind].error.text()
    grey = scene.view("naive", "transformed").badge.GetTextProperty().GetColor()
    assert max(grey) - min(grey) < 0.15  # neutral, neither orange nor green


def test_hover_shows_a_tooltip_and_marks_the_atom_in_all_views(qtbot, window):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    settle(qtbot, window)
    scene = window.controller.scene
    renderer = scene.view("egnn", "original").renderer
    frame = window.controller.frame
    ratio = window.plotter.devicePixelRatioF()
    height = scene.render_window.GetSize()[1]
    for atom in range(frame.molecule.num_atoms):
        renderer.SetWorldPoint(*frame.molecule.positions[atom], 1.0)
        renderer.WorldToDisplay()
        px, py, _ = renderer.GetDisplayPoint()
        local = QPointF(px / ratio, (height - 1 - py) / ratio)
        hit = window.pick_atom(round(local.x()), round(local.y()))
        if hit is not None and hit.atom == atom:
            break
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        local,
        window.plotter.mapToGlobal(local),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window.plotter, move)
    wait_for_frame(qtbot, window)
    assert window.state.highlight == atom and scene.highlight == atom
    for (_, column), view in scene.views.items():
        assert view.marker_actor.GetVisibility()
        np.testing.assert_allclose(view.marker_centre(), frame.positions(column)[atom])
    assert QToolTip.isVisible() and f"Atom {atom}" in QToolTip.text()


def test_readouts_are_visible_at_1024x640(qtbot, dataset, settings):
    from viewer_fixtures import close_window, make_window

    window = make_window(qtbot, dataset, settings, size=(1024, 640))
    try:
        qtbot.waitUntil(lambda: window.width() <= 1024 and window.height() <= 640)
        bounds = window.rect()
        for kind, readout in window.readouts.models.items():
            for label in (readout.error, readout.prediction):
                assert label.isVisible() and label.visibleRegion().boundingRect() == label.rect(), kind
                corner = label.mapTo(window, label.rect().bottomRight())
                assert bounds.contains(label.mapTo(window, label.rect().topLeft())) and bounds.contains(corner)
        assert window.grid_size()[0] >= 500  # the grid keeps most of the width
    finally:
        close_window(window)


def test_an_export_shows_the_state_of_that_moment(qtbot, window, tmp_path):
    """File > Export right after a change, before Qt has painted it: the image is of the new state (the window's
    last frame would be stale), rendered at full quality."""
    from viewer_fixtures import read_png

    wait_for_frame(qtbot, window)
    highlight = np.round(np.array(window.controller.scene.style.highlight) * 255)

    def ringed_pixels(path) -> int:
        image = read_png(path)[..., :3].astype(int)
        return int((np.abs(image - highlight).max(axis=-1) <= 8).sum())

    assert window.export_screenshot(tmp_path / "before.png")
    window.state.set_highlight(3)  # no events processed: the window has not drawn the ring yet
    assert window.export_screenshot(tmp_path / "after.png")
    assert ringed_pixels(tmp_path / "before.png") == 0 and ringed_pixels(tmp_path / "after.png") > 50
