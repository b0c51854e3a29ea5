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
