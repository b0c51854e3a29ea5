"""Molecules of up to 5,000 atoms: read, drawn, coloured by a user's cutoff-graph model; built-in models past their
atom limit say so ("not available: more than N atoms") in render, sweep, check-invariance and the window.

The molecules are boxes of water from ``examples/water_box.py`` (deterministic), the user model is
``examples/cutoff_model.py`` loaded through ``--model NAME=FILE.py:FACTORY`` as a user loads it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from viewer_fixtures import ROOT, read_png, requires_display, wait_for_frame

from equiview.core.atom_limits import BUILTIN_MAX_ATOMS, builtin_max_atoms, too_many_atoms
from equiview.core.molecule import MAX_ATOMS
from equiview.viewer.scene import TRIAD_AXES

EXAMPLES = ROOT / "examples"
CUTOFF = f"cutoff={EXAMPLES / 'cutoff_model.py'}:make_model"
PAST_EGNN = f"more than {BUILTIN_MAX_ATOMS['egnn']} atoms"  # what an EGNN row says of a larger molecule


def example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def boxes(tmp_path_factory):
    """XYZ files of water boxes: the largest molecule equiview reads, one atom more, and one past the EGNN's limit."""
    folder = tmp_path_factory.mktemp("boxes")
    water_box = example("water_box")
    sizes = {"largest": MAX_ATOMS, "too_large": MAX_ATOMS + 1, "past_egnn": BUILTIN_MAX_ATOMS["egnn"] + 1}
    return {name: water_box.write_xyz(folder / f"{name}.xyz", atoms) for name, atoms in sizes.items()}


def equiview(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "equiview", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=600
    )


def view_pixels(image: np.ndarray, row: int, column: int, rows: int) -> np.ndarray:
    """The middle of one view of a rendered grid (``rows`` visible rows, 2 columns): the molecule, not its texts."""
    height, width = image.shape[0] // rows, image.shape[1] // 2
    view = image[row * height : (row + 1) * height, column * width : (column + 1) * width, :3].astype(np.int16)
    return view[int(0.2 * height) : int(0.95 * height), int(0.2 * width) : int(0.8 * width)]


def drawn_and_coloured(pixels: np.ndarray, background: np.ndarray, ignore=()) -> tuple[int, int]:
    """Pixels that differ from the background, and among them those of a saturated colour (not grey), leaving out
    colours near one of ``ignore`` (RGB)."""
    drawn = np.abs(pixels - background).sum(axis=-1) > 60
    saturated = (pixels.max(axis=-1) - pixels.min(axis=-1)) > 60
    for rgb in ignore:  # antialiased edges blend towards the background: a generous distance
        saturated &= np.abs(pixels - np.array(rgb, dtype=np.int16)).sum(axis=-1) > 120
    return int(drawn.sum()), int((drawn & saturated).sum())


# ----------------------------------------------------------------------------------------------- files
def test_5000_atoms_read_with_bonds_and_one_more_is_one_line_exit_2(boxes):
    from equiview.core.molecule_files import read_molecule_file

    (box,) = read_molecule_file(boxes["largest"])
    assert box.num_atoms == MAX_ATOMS == 5000 and box.formula == "H3333O1667"
    assert len(box.bonds) == 1666 * 2 + 1  # two O–H per water and the hydroxide's: no bond between molecules
    for command in ("check-invariance", "render"):
        extra = ("--out", str(boxes["too_large"].with_suffix(".png"))) if command == "render" else ()
        done = equiview(command, "--molecule-file", str(boxes["too_large"]), *extra)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
        assert str(boxes["too_large"]) in lines[0] and f"{MAX_ATOMS + 1} atoms" in lines[0]
        assert f"at most {MAX_ATOMS} atoms" in lines[0]
    assert not boxes["too_large"].with_suffix(".png").exists()


# ----------------------------------------------------------------------------------------------- limits
def test_every_builtin_kind_has_its_measured_limit():
    from equiview.core.models.registry import MODEL_KINDS, demo_model

    for kind in MODEL_KINDS:
        limit = builtin_max_atoms(demo_model(kind, seed=0))
        assert limit == BUILTIN_MAX_ATOMS[kind] and 300 <= limit <= MAX_ATOMS
        assert too_many_atoms(limit, limit) is None
        assert too_many_atoms(limit, limit + 1) == f"more than {limit} atoms"
    assert builtin_max_atoms(example("cutoff_model").make_model()) is None  # a user's model: every size


def test_check_invariance_skips_builtin_rows_past_their_limit(boxes):
    """One atom past the EGNN's limit: the EGNN and the dipole EGNN are not available (never 'invariant'), the rest is measured; the
    same in the loop (--json) and in the batched audit (--jsonl)."""
    done = equiview(
        "check-invariance", "--molecule-file", str(boxes["past_egnn"]), "--trials", "1", "--model", CUTOFF, "--json"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    for kind in ("egnn", "dipole"):
        limit = BUILTIN_MAX_ATOMS[kind]
        assert result[kind]["verdict"] == "unsupported" and result[kind]["reason"] == f"more than {limit} atoms"
        assert "max_error" not in result[kind]
    assert result["naive"]["verdict"] == "changed"
    assert result["cutoff"]["verdict"] == "invariant"

    jsonl = boxes["past_egnn"].with_suffix(".jsonl")
    done = equiview(
        "check-invariance", "--molecule-file", str(boxes["past_egnn"]), "--trials", "1", "--model", CUTOFF,
        "--jsonl", str(jsonl), "--no-progress",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"egnn         not available: {PAST_EGNN}" in done.stdout
    rows = {row["model"]: row for row in map(json.loads, jsonl.read_text().splitlines())}
    assert rows["egnn"]["verdict"] == "unsupported" and rows["egnn"]["reason"] == PAST_EGNN
    assert rows["cutoff"]["verdict"] == "invariant" and rows["naive"]["verdict"] == "changed"


def test_sweep_says_not_available_past_the_limit(boxes, tmp_path):
    done = equiview("sweep", "--molecule-file", str(boxes["past_egnn"]), "--steps", "4", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    models = json.loads(done.stdout)["models"]
    assert models["egnn"] == {"verdict": "unsupported", "reason": PAST_EGNN}
    assert len(models["naive"]["max_error"]) == 4  # the naive GNN (bonds: linear) is swept
    done = equiview("sweep", "--molecule-file", str(boxes["past_egnn"]), "--steps", "4", cwd=tmp_path)
    assert f"egnn   not available: {PAST_EGNN}" in done.stdout


# ----------------------------------------------------------------------------------------------- the user model
def test_the_cell_list_finds_exactly_the_pairs_within_the_cutoff():
    from equiview.core.neighbours import radius_edges

    symbols, positions = example("water_box").water_box(600)
    pos = torch.tensor(positions, dtype=torch.float32)
    batch = torch.zeros(len(pos), dtype=torch.long)
    i, j = radius_edges(pos, batch, 4.0)
    distances = torch.cdist(pos.double(), pos.double())
    expected = ((distances < 4.0) & ~torch.eye(len(pos), dtype=torch.bool)).nonzero()
    assert len(i) == len(expected) > 10 * len(pos)
    assert sorted(zip(i.tolist(), j.tolist())) == sorted(map(tuple, expected.tolist()))
    # two copies as a batch: the same pairs twice, none across molecules
    twice, numbered = torch.cat((pos, pos)), torch.cat((batch, batch + 1))
    i2, j2 = radius_edges(twice, numbered, 4.0)
    assert len(i2) == 2 * len(i) and bool((numbered[i2] == numbered[j2]).all())


# ----------------------------------------------------------------------------------------------- drawing
def test_render_draws_5000_atoms_and_colours_only_the_rows_that_compute(boxes, tmp_path):
    """Off screen: every view draws the box; the cutoff model's row is coloured, the EGNN's is grey and says why."""
    out = tmp_path / "box.png"
    done = equiview(
        "render", "--molecule-file", str(boxes["largest"]), "--model", CUTOFF, "--size", "1200x900",
        "--out", str(out), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["atoms"] == 5000
    assert result["models"]["egnn"]["verdict"] == "unsupported"
    assert result["models"]["egnn"]["reason"] == PAST_EGNN
    assert result["models"]["cutoff"]["verdict"] == "invariant"
    image = read_png(out)
    assert image.shape[:2] == (900, 1200)
    background = image[5, 5, :3].astype(np.int16)
    rows = ("input", "naive", "egnn", "cutoff")
    counts = {
        (row, column): drawn_and_coloured(view_pixels(image, r, c, len(rows)), background)
        for r, row in enumerate(rows)
        for c, column in enumerate(("original", "transformed"))
    }
    for (row, column), (drawn, coloured) in counts.items():
        assert drawn > 2000, (row, column, drawn)  # thousands of atoms and bonds drawn in every view
        if row == "egnn":  # the grey of a row without output; only the origin triad's x, y, z keep their colours
            pixels = view_pixels(image, rows.index(row), ("original", "transformed").index(column), len(rows))
            coloured = drawn_and_coloured(pixels, background, ignore=[rgb for _, rgb in TRIAD_AXES])[1]
            assert coloured < 0.01 * drawn, (column, coloured)
        else:
            assert coloured > 0.2 * drawn, (row, column, coloured, drawn)  # elements, or the models' colours


@requires_display
def test_the_window_shows_5000_atoms_picks_them_and_says_why_rows_are_missing(qtbot, window, boxes):
    from equiview.viewer.scene import display_points

    with qtbot.waitSignal(window.userModelLoaded, timeout=60000):
        assert window.add_user_model(CUTOFF)
    wait_for_frame(qtbot, window)
    assert window.open_molecule_file(boxes["largest"])
    wait_for_frame(qtbot, window)
    qtbot.waitUntil(lambda: window.readouts._frame is window.controller.frame, timeout=30000)
    scene, frame = window.controller.scene, window.controller.frame
    assert scene.view("input", "original").atom_positions().shape == (5000, 3)
    assert scene.view("cutoff", "transformed").atom_positions().shape == (5000, 3)
    assert frame.rows["egnn"].status == "unsupported"
    assert scene.view("egnn", "transformed").title.GetInput() == f"not available: {PAST_EGNN}"
    assert PAST_EGNN in window.readouts.models["egnn"].error.text()
    assert frame.rows["cutoff"].verdict.kind == "invariant"
    colours = scene.view("cutoff", "transformed").point_array("rgba")
    assert len(np.unique(colours, axis=0)) > 10  # coloured by the model's features, not one grey
    # bonds of so many atoms are half-lines on the same actor, each in its atom's colour, ending at the midpoints
    view = scene.view("cutoff", "transformed")
    assert view.lines and view.bond_actor.GetMapper() is view.line_mapper
    bonds = frame.molecule.bonds
    owners = np.column_stack((bonds[:, 0], bonds[:, 1])).reshape(-1)
    np.testing.assert_array_equal(view._line_rgba, colours[owners])
    lines = view.bond_lines
    assert lines.GetNumberOfCells() == 2 * len(bonds) == 2 * 3333
    ends = np.array([lines.GetPoint(lines.GetCell(k).GetPointId(1)) for k in (0, 1, 6665)])
    drawn = view.atom_positions()
    np.testing.assert_allclose(ends[:2], [0.5 * (drawn[bonds[0, 0]] + drawn[bonds[0, 1]])] * 2, atol=1e-9)

    # the QM9 molecule again: back to cylinder imposters on the same actor
    window.state.set_structure(None)
    wait_for_frame(qtbot, window)
    small = window.controller.scene.view("cutoff", "transformed")
    assert not small.lines and small.bond_actor.GetMapper() is small.bond_mapper
    window.state.set_structure(frame.molecule.key[0])  # the box (its StructureRef) again
    wait_for_frame(qtbot, window)
    scene, frame = window.controller.scene, window.controller.frame
    assert frame.molecule.num_atoms == 5000 and scene.view("cutoff", "transformed").lines

    # hover/picking: the front-most atom under a pixel; the projection is VTK's own WorldToDisplay
    view = scene.view("cutoff", "original")
    positions = frame.molecule.positions
    display = display_points(view.renderer, positions)
    for atom in (0, 2500, 4999):
        view.renderer.SetWorldPoint(*positions[atom], 1.0)
        view.renderer.WorldToDisplay()
        np.testing.assert_allclose(display[atom], view.renderer.GetDisplayPoint(), atol=1e-6)
    atom = int(np.argmax(display[:, 0]))  # the right-most atom on screen: nothing in front of it there
    hit = scene.pick(*display[atom, :2])
    assert hit is not None and (hit.row, hit.column) == ("cutoff", "original")
    assert np.linalg.norm(display[hit.atom, :2] - display[atom, :2]) < 10.0  # that atom or one it overlaps
