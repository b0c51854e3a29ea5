"""The aligned view (Ctrl+A, ``--aligned``): g·x drawn from a camera moved by g, read back from rendered pixels.

Aligned, the two columns of a row are the same picture wherever the colours agree: the input row and the EGNN row
(invariant) match pixel for pixel inside the molecule's box, the naive row does not. Not aligned, the input row's
g·x is the turned molecule and its pixels differ.
"""

from __future__ import annotations

import numpy as np
import pytest

from equiview.viewer.model.aligned import ALIGNED_NOTE
from equiview.viewer.model.snapshot import Snapshot, TransformParams

pytestmark = pytest.mark.gui

SIZE = (1366, 768)
POSE = TransformParams(rx=30.0, ry=-20.0, rz=60.0)


def render(pipeline, aligned: bool, transform: TransformParams = POSE, size=SIZE) -> np.ndarray:
    from equiview.viewer.offscreen import render_frame

    frame = pipeline.frame(Snapshot(transform=transform, aligned=aligned), models=True)
    return render_frame(frame, size=size).astype(np.int16)


def molecule_box(image: np.ndarray, row: int, column: int, rows: int = 3) -> np.ndarray:
    """The middle of one view: below its title, left of its colour bar, beside its badge."""
    height, width = image.shape[0] // rows, image.shape[1] // 2
    top, left = row * height, column * width
    return image[top + int(0.16 * height) : top + int(0.92 * height), left + int(0.2 * width) : left + int(0.8 * width)]


def differing(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels whose colour differs by more than antialiasing noise."""
    return float((np.abs(a - b).max(axis=2) > 24).mean())


def test_aligned_columns_match_where_the_model_is_invariant(pipeline):
    image = render(pipeline, aligned=True)
    rows = {
        name: (molecule_box(image, r, 0), molecule_box(image, r, 1))
        for r, name in enumerate(("input", "naive", "egnn"))
    }
    assert (image[:, : SIZE[0] // 2].min(axis=2) < 200).mean() > 0.01  # the molecule is drawn at all
    assert differing(*rows["input"]) < 0.002
    assert differing(*rows["egnn"]) < 0.002
    assert differing(*rows["naive"]) > 0.01  # the naive GNN's colours move: only colours can differ here


def test_without_alignment_the_moved_input_looks_turned(pipeline):
    image = render(pipeline, aligned=False)
    assert differing(molecule_box(image, 0, 0), molecule_box(image, 0, 1)) > 0.01


def test_the_aligned_view_says_the_camera_moved(pipeline, offscreen_scene):
    frame = pipeline.frame(Snapshot(transform=POSE, aligned=True), models=True)
    offscreen_scene.update(frame)
    title = offscreen_scene.view("input", "transformed").title.GetInput()
    assert ALIGNED_NOTE in title and "camera" in title
    offscreen_scene.update(pipeline.frame(Snapshot(transform=POSE, aligned=False), models=True))
    assert ALIGNED_NOTE not in offscreen_scene.view("input", "transformed").title.GetInput()


def test_ctrl_a_aligns_the_window(qtbot, window):
    from PySide6.QtCore import Qt
    from viewer_fixtures import settle

    window.state.set_transform(POSE)
    settle(qtbot, window)
    assert not window.state.aligned
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    slider = window.transform_panel.rotation_sliders[0]  # not the search box, where Ctrl+A selects its text
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert window.state.aligned and window.aligned_action.isChecked()
    image = window.controller.image().astype(np.int16)
    assert differing(molecule_box(image, 0, 0), molecule_box(image, 0, 1)) < 0.002


# ------------------------------------------------------------------------------------------- presentation mode
def badge_height(window) -> float:
    """Pixel height of the naive row's verdict badge as VTK lays it out now."""
    view = window.controller.scene.view("naive", "transformed")
    box = [0.0] * 4
    view.badge.GetBoundingBox(view.renderer, box)
    return box[3] - box[2]


def test_presentation_text_scale_follows_the_view():
    from equiview.viewer.model.presentation import REFERENCE_VIEW, presentation_text_scale

    assert presentation_text_scale(*REFERENCE_VIEW) == 1.0
    assert presentation_text_scale(400, 200) == 1.0  # never smaller than the window's own text
    assert presentation_text_scale(2 * REFERENCE_VIEW[0], 1.5 * REFERENCE_VIEW[1]) == 1.5
    assert presentation_text_scale(1e5, 1e5) == 4.0


def test_f5_fills_the_screen_hides_the_panels_and_grows_the_text(qtbot, window):
    from PySide6.QtCore import Qt
    from viewer_fixtures import settle

    from equiview.viewer.model.presentation import presentation_text_scale

    settle(qtbot, window)
    normal = badge_height(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    slider = window.transform_panel.rotation_sliders[0]
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_F5)
    screen = window.screen().geometry()
    qtbot.waitUntil(lambda: window.geometry().size() == screen.size(), timeout=10000)
    settle(qtbot, window)
    window.controller.render_still()
    assert window.presenting and not window.dock.isVisible() and not window.statusBar().isVisible()
    scene = window.controller.scene
    width, height = scene.view_size_px()
    expected = presentation_text_scale(width / scene.dpi_scale, height / scene.dpi_scale)
    assert expected > 1.2  # the test screen (1920x1200) makes views larger than the reference
    assert scene.text_scale == pytest.approx(expected)
    assert badge_height(window) / normal == pytest.approx(expected, rel=0.2)

    window.set_presentation(False)  # F5 again: as it was
    qtbot.waitUntil(lambda: window.dock.isVisible(), timeout=10000)
    settle(qtbot, window)
    assert not window.presenting and scene.text_scale == 1.0
    assert not window.present_action.isChecked()


# ----------------------------------------------------------------------------------------------- exports
def test_renders_carry_no_live_window_hints(pipeline, offscreen_scene):
    """'drag: rotate g' is for the window: an off-screen scene (render, export, movie) draws no hint, and the strip
    where the window writes it is background in the rendered PNG."""
    offscreen_scene.update(pipeline.frame(Snapshot(transform=POSE), models=True))
    assert not any(view.hint.GetVisibility() for view in offscreen_scene.views.values())
    image = render(pipeline, aligned=False)
    row = image.shape[0] // 3
    strip = image[int(0.9 * row) : row - 2, 4 : int(0.3 * image.shape[1])]  # the top-left view's bottom-left corner
    background = np.array([round(255 * c) for c in (0.972, 0.976, 0.984)])
    assert np.abs(strip - background).max() <= 6
