"""The window explains itself: difference colouring, rescaling, help, exports for dark slides, property names."""

from __future__ import annotations

import numpy as np
import pytest
from viewer_fixtures import read_png, requires_display, settle, wait_for_frame

pytestmark = [pytest.mark.gui, requires_display]


def test_difference_mode_colours_the_change_from_zero(qtbot, window):
    scene = window.controller.scene
    window.models_panel.difference_check.setChecked(True)
    wait_for_frame(qtbot, window)
    assert window.state.colour_mode == "difference" and window.difference_action.isChecked()
    frame = window.controller.frame
    naive, egnn = scene.view("naive", "transformed"), scene.view("egnn", "transformed")
    np.testing.assert_allclose(naive.point_array("value"), frame.rows["naive"].delta)
    assert egnn.point_array("value").max() <= 1e-5
    assert naive.lut.GetTableRange()[0] == 0.0 and naive.bar.title == "|Δh| per atom"
    # the EGNN's atoms all take the colour of 0; the naive GNN's do not
    egnn_rgba = egnn.point_array("rgba")
    assert (egnn_rgba == egnn_rgba[0]).all()
    assert not (naive.point_array("rgba") == egnn_rgba[0]).all()
    # the original column still shows h(x)
    np.testing.assert_allclose(
        scene.view("naive", "original").point_array("value"), frame.rows["naive"].values_original
    )
    window.difference_action.setChecked(False)
    wait_for_frame(qtbot, window)
    assert not window.models_panel.difference_check.isChecked()
    np.testing.assert_allclose(naive.point_array("value"), frame.rows["naive"].values_transformed)


def test_out_of_range_atoms_are_marked_and_rescale_fits_both_poses(qtbot, window):
    scene = window.controller.scene
    from equiview.viewer.model.snapshot import TransformParams

    window.state.set_transform(TransformParams(rx=120.0))
    wait_for_frame(qtbot, window)
    row = window.controller.frame.rows["naive"]
    below, above = row.outside_range
    assert below + above > 0, "this pose should push naive values beyond the frozen range"
    view = scene.view("naive", "transformed")
    assert view.range_note.GetVisibility() and "outside the colour range" in view.range_note.GetInput()
    assert view.bar.below == (below > 0) and view.bar.above == (above > 0)

    window.models_panel.rescale_button.click()
    wait_for_frame(qtbot, window)
    row = window.controller.frame.rows["naive"]
    assert row.outside_range == (0, 0) and not view.range_note.GetVisibility()
    assert not view.bar.below and not view.bar.above
    assert window.models_panel.frozen_button.isEnabled()
    # a new molecule starts with its own frozen range again
    window.molecule_panel.next()
    wait_for_frame(qtbot, window)
    assert not window.state.snapshot.colour_ranges and not window.models_panel.frozen_button.isEnabled()


def test_help_lists_keys_and_mouse_and_about_has_the_version(qtbot, window):
    from importlib.metadata import version

    box = window.show_keys()
    text = box.text()
    for expected in ("Drag in a g·x view", "turn the view", "Ctrl+R", "Ctrl+D", "Ctrl+L", "Ctrl+E", "F1"):
        assert expected in text, expected
    box.close()
    about = window.show_about()
    assert version("equiview") in about.text() and "arxiv.org" in about.text()
    about.close()
    # every control of the transform and models panels explains itself
    from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit

    kinds = (QAbstractButton, QComboBox, QAbstractSlider, QAbstractSpinBox, QLineEdit)
    for panel in (window.transform_panel, window.models_panel, window.molecule_panel):
        for widget in [w for kind in kinds for w in panel.findChildren(kind)]:
            if widget.isVisibleTo(panel) and not widget.objectName().startswith("qt_"):  # Qt's inner parts
                assert widget.toolTip(), widget.objectName() or widget.text()


def test_properties_are_named_with_units(window):
    table = window.molecule_panel.table
    names = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert names[0] == "μ dipole moment" and names[5] == "⟨R²⟩ electronic spatial extent"
    assert "mu" not in names and "r2" not in names
    assert "(D)" in table.item(0, 0).toolTip()


def test_export_for_dark_slides_with_readouts(qtbot, window, tmp_path):
    settle(qtbot, window)
    width, height = window.grid_size()
    dialog = window.open_export_dialog()
    assert dialog.size_label.text() == f"{width} × {height} pixels"
    dialog.scale_spin.setValue(2)
    dialog.transparent_check.setChecked(True)
    assert dialog.text_combo.currentData() is True  # light text offered for a transparent image
    dialog.readouts_check.setChecked(True)
    expected = dialog.output_size()
    assert dialog.size_label.text() == f"{expected[0]} × {expected[1]} pixels" and expected[1] > 2 * height
    out = tmp_path / "slide.png"
    dialog.path_edit.setText(str(out))
    dialog._accept()
    image = read_png(out)
    assert image.shape == (expected[1], expected[0], 4)
    assert image[6, 6, 3] == 0  # transparent background
    # the text is light: composited on black, the title band and the readouts strip show bright pixels
    opaque = image[..., 3] > 200
    bright = (image[..., :3].min(axis=2) > 200) & opaque
    assert bright[: 2 * 30].any(), "light view titles"
    assert bright[2 * height :].any(), "light readouts under the grid"
    dark_text = (image[..., :3].max(axis=2) < 60) & opaque
    assert not dark_text[: 2 * 30].any(), "no dark title text on a transparent image for dark slides"
