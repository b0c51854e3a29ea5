"""Titles say g as the spin boxes show it: R(20.7°, 38.6°, -146°), not R(20.6709°, 38.5979°, -145.984°)."""

from __future__ import annotations

import pytest

from equiview.viewer.model.snapshot import Snapshot, TransformParams

pytestmark = pytest.mark.gui


def test_title_rounds_g_as_the_spin_boxes(pipeline, offscreen_scene):
    g = TransformParams(20.6709, 38.5979, -145.984, tx=0.123456)
    offscreen_scene.update(pipeline.frame(Snapshot(transform=g), models=True))
    title = offscreen_scene.view("input", "transformed").title.GetInput()
    assert "R(20.7°, 38.6°, -146°) · t(0.12, 0, 0) Å" in title


def test_a_tiny_move_is_not_shown_as_zero():
    assert TransformParams(rx=0.004).describe() == "R(0.004°, 0°, 0°)"
    assert TransformParams(rx=-0.04, rz=10).describe() == "R(-0.04°, 0°, 10°)"
    assert TransformParams().describe() == "identity"
