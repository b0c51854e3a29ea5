"""Text in the grid stays readable and inside its view (issue 21, item 5), read back from VTK's own text layout
and from rendered pixels of the off-screen renderer (the path of ``equiview render`` and ``equiview movie``).

- An atom's index label shows even where the sphere of an atom in front covers the atom's centre.
- Colour-bar tick labels are plain decimals (no "4.50e+03", no "766.") and every label lies inside its view.
- The origin triad's axes carry the letters x, y, z in their colours.
- The input row names its elements: one swatch per element in the colour its atoms are drawn with.
"""

from __future__ import annotations

import numpy as np
import pytest
from molecule_files_fixtures import xyz_block

from equiview.viewer.model.colouring import bar_ticks, element_rgba, scale_note
from equiview.viewer.model.snapshot import Snapshot, StructureRef

pytestmark = pytest.mark.gui

SCENE_SIZE = (900, 700)

# water seen along -z: the first H sits 0.95 Å behind the O, 0.25 Å to its side, inside the O's disc
HIDDEN_WATER = [("O", 0.0, 0.0, 0.5), ("H", 0.25, 0.0, -0.45), ("H", 0.9, 0.45, 0.75)]


def display_point(renderer, point) -> tuple[float, float, float]:
    renderer.SetWorldPoint(*map(float, point), 1.0)
    renderer.WorldToDisplay()
    return renderer.GetDisplayPoint()


def viewport_px(renderer, size) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = renderer.GetViewport()
    return x0 * size[0], x1 * size[0], y0 * size[1], y1 * size[1]


def inside(box, area, slack: float = 0.5) -> bool:
    """Display box (x0, x1, y0, y1) within area (x0, x1, y0, y1)."""
    return (
        box[0] >= area[0] - slack
        and box[1] <= area[1] + slack
        and box[2] >= area[2] - slack
        and box[3] <= area[3] + slack
    )


# ------------------------------------------------------------------------------------------------ index labels
def test_a_label_shows_over_the_atom_in_front_of_its_atom(offscreen_scene, tmp_path):
    from equiview.core.data import load_dataset
    from equiview.viewer.model.pipeline import Pipeline
    from equiview.viewer.model.structures import StructureLibrary

    path = tmp_path / "water.xyz"
    path.write_text(xyz_block(HIDDEN_WATER, "water"))
    pipeline = Pipeline(load_dataset("bundled"), structures=StructureLibrary())
    snapshot = Snapshot(structure=StructureRef.file(str(path), 0), show_labels=True)
    scene = offscreen_scene
    scene.update(pipeline.frame(snapshot, models=True))
    # looking down -z, as the window and render fit the camera
    scene.fit_camera(direction=np.array([0.0, 0.0, 1.0]), up=np.array([0.0, 1.0, 0.0]))
    camera = scene.camera
    scene.set_labels_visible(True)
    view = scene.view("input", "original")
    width, height = scene.render_window.GetSize()

    # the setting is what the test claims: the H's centre lies under the O's sphere, which is nearer the camera
    o_x, o_y, o_depth = display_point(view.renderer, HIDDEN_WATER[0][1:])
    h_x, h_y, h_depth = display_point(view.renderer, HIDDEN_WATER[1][1:])
    radii = scene.frame.molecule.atom_radii * scene.style.atom_scale
    x0, x1, y0, y1 = viewport_px(view.renderer, (width, height))
    pixels_per_angstrom = (y1 - y0) / (2.0 * camera.GetParallelScale())
    assert o_depth < h_depth and np.hypot(h_x - o_x, h_y - o_y) < radii[0] * pixels_per_angstrom - 4
    assert np.hypot(h_x - o_x, h_y - o_y) > scene.label_size_px()  # the O's own label "0" is elsewhere

    with_labels = scene.image().astype(np.int16)
    scene.set_labels_visible(False)
    without = scene.image().astype(np.int16)
    row, column = round(height - 1 - h_y), round(h_x)
    box = np.s_[row - 3 : row + 4, column - 3 : column + 4]
    changed = (np.abs(with_labels[box] - without[box]).max(axis=2) > 60).mean()
    assert changed > 0.15, f"the hidden H's label is not drawn over the O ({changed:.2f} of its pixels changed)"
    # and it reads there: its glyph contrasts with what surrounds it (its box), not only with the O's red
    around = np.s_[row - 8 : row + 9, column - 8 : column + 9]
    luma = with_labels[around] @ np.array([0.299, 0.587, 0.114]) / 255.0
    contrast = abs(np.median(luma) - np.percentile(luma, 5))
    assert contrast > 0.45, f"the label's glyph and its surroundings differ by {contrast:.2f} in luminance only"


# ------------------------------------------------------------------------------------------------ colour bars
@pytest.mark.parametrize(
    "vmin, vmax",
    [(-5.34, 4.58), (-0.235, 0.755), (0.123, 766.4), (0.0, 4500.0), (749.5, 750.8), (0.0, 9.5e-7), (3e3, 1.2e4)],
)
def test_bar_ticks_are_plain_decimals_of_the_range(vmin, vmax):
    labels, exponent = bar_ticks(vmin, vmax)
    assert exponent % 3 == 0
    for text, value in zip(labels, np.linspace(vmin, vmax, 3) / 10.0**exponent):
        assert not text.endswith(".") and "e" not in text and len(text) <= 7, text
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert abs(float(text) - value) <= 0.5 * 10.0**-decimals + 1e-12, (text, value)
    assert len(set(labels)) == 3  # neighbouring ticks read differently
    assert (scale_note(exponent) != "") == (exponent != 0)


def test_bar_labels_lie_inside_their_view(offscreen_scene, pipeline):
    scene = offscreen_scene
    scene.update(pipeline.frame(Snapshot(), models=True))
    scene.fit_camera()
    size = scene.render_window.GetSize()
    # the shipped models' ranges, a range in the thousands and one of a millionth, at text scale 1 and 2
    for scale in (1.0, 2.0):
        scene.set_text_scale(scale)
        for row, (vmin, vmax) in zip(("naive", "egnn"), ((0.0, 4500.0), (0.0, 9.5e-7))):
            view = scene.view(row, "transformed")
            view.set_bar(np.zeros((256, 4), np.uint8) + 128, vmin, vmax, "h: PC 1")
        scene.render()
        for row in ("naive", "egnn"):
            view = scene.view(row, "transformed")
            area = viewport_px(view.renderer, size)
            ticks = [tick.GetInput() for tick in view.bar.ticks]
            assert all(not text.endswith(".") and "e" not in text for text in ticks), ticks
            for box in view.bar.label_boxes():
                assert box[1] > box[0] and inside(box, area), (row, scale, box, area)
    assert [t.GetInput() for t in scene.view("naive", "transformed").bar.ticks] == ["0", "2250", "4500"]
    assert scene.view("egnn", "transformed").bar.title_actor.GetInput() == "h: PC 1\n×10⁻⁹"


def test_the_drawn_bar_shows_its_labels(offscreen_scene, pipeline):
    """Pixels: text is drawn right of the strip, and nothing of it touches the view's right edge."""
    scene = offscreen_scene
    scene.update(pipeline.frame(Snapshot(), models=True))
    scene.fit_camera()
    image = scene.image().astype(np.int16)
    width, height = scene.render_window.GetSize()
    view = scene.view("naive", "transformed")
    x0, x1, y0, y1 = (round(v) for v in viewport_px(view.renderer, (width, height)))
    background = np.array([round(255 * c) for c in scene.style.background])
    strip = image[height - y1 : height - y0, x0:x1]
    ink = np.abs(strip - background).max(axis=2) > 60
    tick = view.bar.label_boxes()[1]
    label_columns = ink[:, round(tick[0]) - x0 : round(tick[1]) - x0 + 1]
    assert label_columns.any()
    assert not ink[:, -2:].any()  # the view's last columns stay background: no label runs into the next view


# ------------------------------------------------------------------------------------------------ triad letters
def test_the_triad_names_its_axes(offscreen_scene, pipeline):
    from equiview.viewer.scene import TRIAD_AXES, text_display_box

    scene = offscreen_scene
    scene.update(pipeline.frame(Snapshot(), models=True))
    scene.fit_camera()
    size = scene.render_window.GetSize()
    view = scene.view("input", "original")
    assert [actor.GetInput() for actor in view.triad_letters] == ["x", "y", "z"]
    with_letters = scene.image().astype(np.int16)
    for actor in view.triad_letters:
        actor.VisibilityOff()
    without = scene.image().astype(np.int16)
    area = viewport_px(view.renderer, size)
    for actor, (letter, colour) in zip(view.triad_letters, TRIAD_AXES):
        assert np.allclose(actor.GetTextProperty().GetColor(), np.array(colour) / 255.0)
        box = text_display_box(actor, view.text_layer)
        assert inside(box, area), (letter, box, area)
        rows = np.s_[size[1] - round(box[3]) : size[1] - round(box[2])]
        columns = np.s_[round(box[0]) : round(box[1])]
        drawn = np.abs(with_letters[rows, columns] - without[rows, columns]).max(axis=2) > 40
        assert drawn.mean() > 0.05, f"the letter {letter} is not drawn"


# ------------------------------------------------------------------------------------------------ element legend
def test_the_input_row_has_an_element_legend(offscreen_scene, pipeline):
    from equiview.viewer.scene import text_display_box

    scene = offscreen_scene
    frame = pipeline.frame(Snapshot(), models=True)
    scene.update(frame)
    scene.fit_camera()
    view = scene.view("input", "transformed")
    entries = view.legend_entries()
    assert [symbol for symbol, _ in entries] == ["O", "N", "C", "H"]  # gdb_814, heaviest first
    for (_, colour), z in zip(entries, (8, 7, 6, 1)):
        np.testing.assert_allclose(colour, element_rgba(np.array([z]))[0, :3] / 255.0)
    # the swatches are drawn in those colours (each box's left part, beside its letter)
    image = scene.image().astype(np.int16)
    width, height = scene.render_window.GetSize()
    area = viewport_px(view.renderer, (width, height))
    for actor, (symbol, colour) in zip(view.legend, entries):
        box = text_display_box(actor, view.renderer)
        assert inside(box, area), (symbol, box)
        row = height - round(0.5 * (box[2] + box[3]))
        patch = image[row - 1 : row + 2, round(box[0]) + 2 : round(box[0]) + 4].reshape(-1, 3)
        expected = np.round(np.array(colour) * 255)
        assert np.abs(patch - expected).max(axis=1).min() <= 12, (symbol, patch, expected)
    # a molecule with other elements gets its own legend
    other = pipeline.frame(Snapshot(molecule=0), models=True)  # gdb_1: methane
    scene.update(other)
    assert [symbol for symbol, _ in view.legend_entries()] == ["C", "H"]
    # a file with more elements than the legend has room for: the last entry says so
    from equiview.viewer.scene import MAX_LEGEND_ELEMENTS

    view.set_legend(np.arange(1, MAX_LEGEND_ELEMENTS + 3))
    symbols = [symbol for symbol, _ in view.legend_entries()]
    assert len(symbols) == MAX_LEGEND_ELEMENTS and symbols[0] == "Mg" and symbols[-1] == "…"
