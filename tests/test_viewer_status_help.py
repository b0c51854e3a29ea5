"""The words around the grid (issue 21, item 5): the status bar, the Help on colours, one name for ⟨R²⟩.

- The status bar names the molecule, not render timings ("still frame 890 ms").
- The first hint names only the rows that have a model output: a molecule the EGNN cannot read ("not available")
  takes the EGNN out of the sentence.
- "h: PC 1" and the colour bar are explained in Help ▸ What the colours show and in the Models tab's tooltips.
- Export captions and ``render --json`` name the property as the window does (⟨R²⟩, not r2), in glyphs the caption
  font has.
"""

from __future__ import annotations

import pytest
from molecule_files_fixtures import METHANETHIOL, write_xyz
from viewer_fixtures import wait_for_frame

from equiview.viewer.model.snapshot import Snapshot

pytestmark = pytest.mark.gui


def test_status_bar_names_the_molecule_without_timings(qtbot, window):
    from viewer_fixtures import settle

    settle(qtbot, window)
    text = window.frame_label.text()
    assert "gdb_814" in text and "14 atoms" in text
    assert "ms" not in text.split() and "frame" not in text
    assert window.controller.last_frame_ms > 0  # the timing is still measured, for benches and the debug log


def test_first_hint_names_only_available_rows(qtbot, window, tmp_path):
    status = window.statusBar()
    assert "EGNN keeps its colours" in status.currentMessage() and "naive GNN" in status.currentMessage()
    # a molecule with sulfur: both built-in rows say "not available"; the hint promises nothing about them
    window.molecule_panel.open_file(str(write_xyz(tmp_path / "thiol.xyz", METHANETHIOL, "methanethiol")))
    wait_for_frame(qtbot, window)
    rows = window.controller.frame.rows
    assert not rows["egnn"].available and not rows["naive"].available
    message = status.currentMessage()
    assert message.startswith("Drag") and "EGNN" not in message and "naive" not in message
    # back to QM9: both rows are there again, and so is the sentence about them
    window.state.set_molecule(800)
    wait_for_frame(qtbot, window)
    assert "EGNN keeps its colours" in status.currentMessage()


def test_intro_message_follows_each_row(pipeline):
    from equiview.viewer.model.status_text import intro_message

    frame = pipeline.frame(Snapshot(), models=True)
    assert intro_message(frame).endswith("the EGNN keeps its colours, the naive GNN does not.")
    only_naive = pipeline.frame(Snapshot(rows=("naive",)), models=True)
    assert "EGNN" not in intro_message(only_naive) and "naive GNN's colours change" in intro_message(only_naive)
    assert "EGNN" not in intro_message(None)


def test_help_and_tooltips_explain_pc1_and_the_colour_bar(qtbot, window):
    menu_texts = [
        action.text().replace("&", "") for menu in window.menuBar().actions() for action in menu.menu().actions()
    ]
    assert "What the colours show" in menu_texts
    box = window.show_colours_help()
    text = box.text()
    for expected in ("h: PC 1", "first principal component", "fitted on x", "frozen", "g·x", "colour bar", "element"):
        assert expected in text, expected
    box.close()
    box_panel = window.models_panel.boxes["naive"]
    tip = box_panel.projection_combo.toolTip()
    for expected in ("PC 1", "first principal component", "frozen", "colour bar"):
        assert expected in tip, expected
    index = box_panel.projection_combo.findData("pca")
    assert "first principal component" in box_panel.projection_combo.itemData(index, 3)


# ------------------------------------------------------------------------------------------- one name for ⟨R²⟩
def test_captions_and_json_name_the_property_as_the_window_does(pipeline):
    from fontTools.ttLib import TTFont
    from PIL import ImageFont

    from equiview.viewer.cli import row_report
    from equiview.viewer.model.caption import _font, readout_lines

    frame = pipeline.frame(Snapshot(), models=True)
    assert {row.target_idx for row in frame.rows.values()} == {5}  # both shipped models predict ⟨R²⟩
    lines = readout_lines(frame)
    assert all("r2" not in line for line in lines)
    assert sum("⟨R²⟩ predicted" in line for line in lines) == 2
    for kind in ("naive", "egnn"):
        report = row_report(frame.rows[kind])
        assert report["property"] == "⟨R²⟩" and report["unit"] == "a0²"
    # the caption's font has a glyph for every character of the caption (no missing-glyph boxes)
    font = _font(13)
    assert isinstance(font, ImageFont.FreeTypeFont)
    glyphs = TTFont(font.path).getBestCmap()
    assert [char for char in "".join(lines) if ord(char) not in glyphs] == []
