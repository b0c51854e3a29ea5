"""Issue 21: during Play the verdict badge in the 3D view and the side panel's readout show the same frame's number.

The readouts used to be rebuilt at most every 400 ms while anything moved, the badge every frame: during Play the
panel said max|Δh| = 0.354 while the badge said 0.492. Now Play steps refresh the readouts with each frame, and when
Play pauses both show the last frame.
"""

from __future__ import annotations

import pytest
from viewer_fixtures import *  # noqa: F403 - fixtures: settings, window
from viewer_fixtures import requires_display, wait_for_frame

pytestmark = [pytest.mark.gui, requires_display]


def _badge_number(window, kind: str) -> str:
    text = window.controller.scene.view(kind, "transformed").badge.GetInput()  # "changed: max|Δh| = 0.200"
    assert text.startswith(("changed: ", "invariant: ")), text
    return text.rsplit(" ", 1)[1]


class _FrameWatch:
    """Each frame the controller hands out: the naive badge's number and whether the readout says the same."""

    def __init__(self, window) -> None:
        self.window = window
        self.seen: list[tuple[str, str]] = []

    def frame_changed(self, _frame) -> None:
        if self.window.sweep_panel.playing:
            self.seen.append((_badge_number(self.window, "naive"), self.window.readouts.models["naive"].error.text()))


def test_play_shows_the_same_frames_number_in_the_badge_and_the_readouts(qtbot, window):
    window.sweep_dock_action.trigger()
    panel = window.sweep_panel
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)
    watch = _FrameWatch(window)
    window.controller.frameChanged.connect(watch.frame_changed)  # after the window's own slot
    try:
        panel.set_playing(True)
        qtbot.waitUntil(lambda: len({number for number, _ in watch.seen}) >= 6, timeout=60000)
        panel.set_playing(False)
    finally:
        window.controller.frameChanged.disconnect(watch.frame_changed)
    numbers = {number for number, _ in watch.seen}
    assert len(numbers) >= 6  # the number really changed from frame to frame while playing
    disagree = [(number, text) for number, text in watch.seen if f"= {number}:" not in text]
    assert not disagree, disagree[:3]

    # paused: once settled, both show the last frame's number
    wait_for_frame(qtbot, window)
    qtbot.waitUntil(window.is_settled, timeout=10000)
    for kind in ("naive", "egnn"):
        row = window.controller.frame.rows[kind]
        number = _badge_number(window, kind)
        assert f"= {number}:" in window.readouts.models[kind].error.text()
        assert float(number) == pytest.approx(row.max_error, rel=0.05)  # and it is the frame the window holds
