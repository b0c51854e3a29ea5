"""The Models tab's layer selector in the real window (Xvfb, real OpenGL): the naive GNN's f_pos_embed layer reads
raw coordinates, so its row's badge says "changed", while its atom embedding (f_initial_embed) is invariant."""

from __future__ import annotations

import pytest
from viewer_fixtures import wait_for_frame
from viewer_fixtures import window as window

pytestmark = pytest.mark.gui


def choose(qtbot, window, row: str, layer: str | None) -> None:
    combo = window.models_panel.boxes[row].layer_combo
    index = combo.findData(layer)
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    wait_for_frame(qtbot, window)


def badge(window, row: str) -> str:
    return window.controller.scene.view(row, "transformed").badge.GetInput()


def test_the_layer_selector_judges_one_layer_of_the_naive_model(qtbot, window):
    combo = window.models_panel.boxes["naive"].layer_combo
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names[:3] == [None, "f_initial_embed", "f_pos_embed"] and combo.isEnabled()
    assert badge(window, "naive").startswith("changed")  # the model's output, at g = 45° about z
    model_values = window.controller.frame.rows["naive"].values_original.copy()

    choose(qtbot, window, "naive", "f_pos_embed")
    assert window.state.snapshot.layers == {"naive": "f_pos_embed"}
    row = window.controller.frame.rows["naive"]
    assert row.layer == "f_pos_embed" and row.verdict.kind == "changed" and row.max_error > 0.1
    assert badge(window, "naive").startswith("changed: max|Δh| = ")
    assert row.values_original.shape == model_values.shape and (row.values_original != model_values).any()
    assert "layer f_pos_embed" in window.controller.frame.titles[("naive", "original")]

    choose(qtbot, window, "naive", "f_initial_embed")  # an earlier layer: the atom types only
    assert window.controller.frame.rows["naive"].verdict.kind == "invariant"
    assert badge(window, "naive").startswith("invariant: ")
    assert badge(window, "egnn").startswith("invariant: ")  # the other row keeps its model's output

    choose(qtbot, window, "naive", None)
    assert window.state.snapshot.layers == {} and window.controller.frame.rows["naive"].layer is None
    assert badge(window, "naive").startswith("changed")
