"""Failures in the window: a message, the window alive, the previous state kept. Closing cleans up."""

from __future__ import annotations

import numpy as np
import pytest
from viewer_fixtures import close_window, drop_file, make_window, read_png, requires_display, wait_for_frame

pytestmark = [pytest.mark.gui, requires_display]


def _demo_checkpoint(tmp_path, kind: str):
    from equiview.core.checkpoints import save_checkpoint
    from equiview.core.models.registry import demo_hparams, demo_model

    path = tmp_path / f"{kind}-demo.pt"
    save_checkpoint(path, demo_model(kind, seed=3), kind=kind, hparams=demo_hparams(kind))
    return path


def _snapshot_and_values(window):
    return (window.state.snapshot, window.controller.scene.view("naive", "transformed").point_array("value").copy())


def test_bad_checkpoint_reports_and_keeps_state(qtbot, window, tmp_path):
    window.transform_panel.rotation_spins[2].setValue(40.0)
    wait_for_frame(qtbot, window)
    before, values = _snapshot_and_values(window)

    garbage = tmp_path / "broken.pt"
    garbage.write_bytes(b"PK\x03\x04 this is not a torch archive")
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as blocker:
        assert window.load_checkpoint(garbage) is False
    message = blocker.args[0]
    assert "broken.pt" in message and "\n" not in message
    assert window.error_box is not None and window.error_box.isVisible()
    assert window.error_box.text() == message
    assert message in window.statusBar().currentMessage()
    assert window.isVisible()
    after, values_after = _snapshot_and_values(window)
    assert after == before
    np.testing.assert_array_equal(values_after, values)

    # a checkpoint of the wrong kind for a row is refused by that row
    naive_file = _demo_checkpoint(tmp_path, "naive")
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as blocker:
        assert window.models_panel.boxes["egnn"].use_checkpoint(naive_file) is False
    assert "holds a Naive GNN checkpoint, not an Equivariant GNN one" in blocker.args[0]
    assert window.state.snapshot == before

    # the app still works: the next slider step renders
    window.transform_panel.rotation_spins[2].setValue(80.0)
    wait_for_frame(qtbot, window)
    assert window.controller.frame.transform.rz == 80.0


def test_valid_checkpoint_loads_by_file_and_by_drop(qtbot, window, tmp_path):
    naive_file = _demo_checkpoint(tmp_path, "naive")
    assert window.load_checkpoint(naive_file)
    wait_for_frame(qtbot, window)
    source = window.state.source("naive")
    assert source.checkpoint == naive_file.resolve()
    assert window.controller.frame.rows["naive"].trained
    assert "naive-demo.pt" in window.readouts.models["naive"].title.text()
    combo = window.models_panel.boxes["naive"].source_combo
    assert "naive-demo.pt" in combo.currentText()

    egnn_file = _demo_checkpoint(tmp_path, "egnn")
    drop_file(qtbot, window, egnn_file)
    assert window.state.source("egnn").checkpoint == egnn_file.resolve()
    assert window.controller.frame.rows["egnn"].max_error <= 1e-5

    # back to the untrained demo with another seed: new colours
    before = window.controller.scene.view("egnn", "original").point_array("value").copy()
    box = window.models_panel.boxes["egnn"]
    box.source_combo.setCurrentIndex(0)
    box.source_combo.activated.emit(0)
    box.seed_spin.setValue(7)
    wait_for_frame(qtbot, window)
    assert window.state.source("egnn").is_untrained and window.state.source("egnn").seed == 7
    assert not np.allclose(before, window.controller.scene.view("egnn", "original").point_array("value"))


def test_export_errors_and_success(qtbot, window, tmp_path):
    before = window.state.snapshot
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as blocker:
        assert window.export_screenshot(tmp_path / "missing-folder" / "grid.png") is False
    assert "does not exist" in blocker.args[0]
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as blocker:
        assert window.export_screenshot(tmp_path) is False  # a folder, not a file
    assert "folder" in blocker.args[0]
    assert window.isVisible() and window.state.snapshot == before

    out = tmp_path / "grid.png"
    assert window.export_screenshot(out)
    image = read_png(out)
    width, height = window.grid_size()
    assert image.shape[:2] == (height, width)
    assert image[..., :3].std() > 5  # not blank

    big = tmp_path / "grid-2x.png"
    assert window.export_screenshot(big, scale=2, transparent=True)
    image = read_png(big)
    assert image.shape == (2 * height, 2 * width, 4)
    assert image[12, 12, 3] == 0 and image[..., 3].max() == 255  # transparent background, opaque molecule

    assert window.copy_to_clipboard()
    from PySide6.QtGui import QGuiApplication

    clip = QGuiApplication.clipboard().image()
    assert (clip.width(), clip.height()) == (width, height)

    dialog = window.open_export_dialog()
    assert dialog.isVisible() and dialog.scale_spin.maximum() == 4
    dialog.path_edit.setText(str(tmp_path / "from-dialog.png"))
    dialog.scale_spin.setValue(1)
    dialog._accept()
    assert (tmp_path / "from-dialog.png").is_file()


def test_unknown_molecule_keeps_the_current_one(qtbot, window):
    panel = window.molecule_panel
    panel.search_edit.setText("gdb_99999999")
    width = window.dock.width()
    # a miss is said inline, in the panel: no message box, the dock keeps its width
    assert panel.search() is False
    assert "gdb_99999999" in panel.search_status.text() and window.error_box is None
    panel.search_edit.setText("C99" * 30)
    assert panel.search() is False
    assert "C99" in panel.search_status.text() and window.error_box is None
    qtbot.wait(50)
    assert window.dock.width() == width
    assert window.state.molecule == 800
    assert window.isVisible()


def test_close_leaves_no_window_or_plotter(qtbot, dataset, settings):
    from PySide6.QtWidgets import QApplication

    from equiview.viewer.app import drain_events
    from equiview.viewer.main_window import MainWindow

    window = make_window(qtbot, dataset, settings)
    plotter = window.plotter
    window.show_error("a message box that is still open when the window closes")
    window.close()
    drain_events()
    assert plotter._closed
    assert plotter.render_window is None
    visible = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert not any(isinstance(w, MainWindow) or w.objectName() == "errorBox" for w in visible)
    # geometry and dock layout were saved to the isolated settings
    assert settings.value("window/geometry") is not None
    close_window(window)  # idempotent


def test_lifetime_check_sees_a_window_kept_alive_by_a_lambda(qtbot, dataset, settings):
    """The autouse check_gc fixture can fail: the old menu wiring (a lambda) keeps the closed window alive."""
    from lifetime import live_objects

    window = make_window(qtbot, dataset, settings)
    action = window.fit_action
    action.triggered.connect(lambda _checked=False, w=window: w.fit_view())
    close_window(window)
    del window
    alive = live_objects()
    leaked = {type(obj).__name__ for obj in alive}
    assert {"MainWindow", "SceneController", "GridScene", "ViewState"} <= leaked
    assert any(name.startswith("vtk") for name in leaked)
    window = next(obj for obj in alive if type(obj).__name__ == "MainWindow")
    del alive
    action.triggered.disconnect()  # break the cycle; the window goes with our last reference
    del action
    del window


def test_a_bug_in_a_slot_shows_its_traceback_and_keeps_the_state(qtbot, window, monkeypatch, capfd):
    before, values = _snapshot_and_values(window)

    def broken(snapshot):
        raise ZeroDivisionError("an internal bug, not bad input")

    monkeypatch.setattr(window.pipeline, "frame", broken)
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as blocker:
        window.transform_panel.rotation_spins[0].setValue(25.0)
    message = blocker.args[0]
    assert "internal error" in message and "ZeroDivisionError" in message
    box = window.error_box
    assert box is not None and box.objectName() == "bugBox" and box.icon() == box.Icon.Critical
    assert "Traceback" in box.detailedText() and "def broken" not in message
    assert "raise ZeroDivisionError" in capfd.readouterr().err  # the traceback also goes to stderr
    monkeypatch.undo()
    wait_for_frame(qtbot, window)
    after, values_after = _snapshot_and_values(window)
    assert after == before and window.transform_panel.rotation_spins[0].value() == 0.0
    np.testing.assert_array_equal(values, values_after)


def test_a_user_error_in_a_slot_is_one_line_without_traceback(qtbot, window, capfd):
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as blocker:
        window.models_panel._colormap_chosen(-1)  # no such entry: the state refuses the empty name
    assert blocker.args[0].startswith("unknown colormap ''")
    assert window.error_box.objectName() == "errorBox" and not window.error_box.detailedText()
    assert "Traceback" not in capfd.readouterr().err
    assert window.state.colormap == "viridis" and window.models_panel.colormap_combo.currentText() == "viridis"


def test_geometry_and_folders_are_remembered(qtbot, dataset, settings, tmp_path):
    from equiview.viewer.main_window import MainWindow
    from equiview.viewer.model.snapshot import Snapshot

    first = make_window(qtbot, dataset, settings, size=(1100, 700))
    assert first.export_screenshot(tmp_path / "a.png")
    close_window(first)
    assert settings.value("paths/export") == str(tmp_path.resolve())

    from equiview.viewer.app import create_application

    create_application()
    second = MainWindow(dataset, settings=settings, initial=Snapshot(), restore_geometry=True)
    try:
        assert (second.width(), second.height()) == (1100, 700)
        assert second._folder("paths/export") == str(tmp_path.resolve())
    finally:
        close_window(second)
