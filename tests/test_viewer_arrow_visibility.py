"""Issue 21: dipole arrows a class can see. Read back from rendered pixels of the real scene (VTK, Mesa):

- at the default arrow scale the dipole arrow reaches outside the molecule (beyond the atoms' pixel box),
- it is drawn over atoms that lie in front of it (an overlay layer with its own depth buffer),
- the ghost R·v(x) has its own colour and enough pixels to be seen beside or around the arrow,
- presentation mode thickens the arrows with the text, and ``--arrow-scale`` still stretches them.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.gui

SCENE_SIZE = (1366, 768)


def _snapshot(**changes):
    from equiview.viewer.model.library import shipped_checkpoint
    from equiview.viewer.model.snapshot import ModelSource, Snapshot

    snapshot = Snapshot(**changes)
    for kind in ("naive-dipole", "dipole"):
        path = shipped_checkpoint(kind)
        source = ModelSource.from_checkpoint(kind, path) if path is not None else ModelSource.untrained(kind, 0)
        snapshot = snapshot.with_source(source)
    return snapshot


def _to_pixel(scene, view, point) -> tuple[float, float, float]:
    """Image column, row (from the top) and depth of a world point drawn in ``view``."""
    renderer = view.renderer
    renderer.SetWorldPoint(float(point[0]), float(point[1]), float(point[2]), 1.0)
    renderer.WorldToDisplay()
    x, y, depth = renderer.GetDisplayPoint()
    height = scene.render_window.GetSize()[1]
    return x, height - 1 - y, depth


def _pixels_per_angstrom(scene) -> float:
    return scene.view_size_px()[1] / (2.0 * scene.camera.GetParallelScale())


def _view_box(scene, view) -> tuple[int, int, int, int]:
    """left, top, right, bottom image pixels of a view."""
    width, height = scene.render_window.GetSize()
    x0, y0, x1, y1 = view.renderer.GetViewport()
    return round(x0 * width), round((1 - y1) * height), round(x1 * width), round((1 - y0) * height)


def _mask(image: np.ndarray, rgb, tolerance: int) -> np.ndarray:
    return np.abs(image[..., :3].astype(np.int16) - np.array(rgb, dtype=np.int16)).max(axis=2) <= tolerance


def _red(image: np.ndarray) -> np.ndarray:
    """The dipole arrow's red, lit or in shade (no viridis atom and no background is like it)."""
    rgb = image[..., :3].astype(np.int16)
    return (rgb[..., 0] > 110) & (rgb[..., 0] > 2 * rgb[..., 1] + 20) & (rgb[..., 0] > 2 * rgb[..., 2] + 10)


def _blue(image: np.ndarray) -> np.ndarray:
    """The ghost's blue over the light background (bluer than any atom colour of viridis is there)."""
    rgb = image[..., :3].astype(np.int16)
    return (rgb[..., 2] > 150) & (rgb[..., 2] > rgb[..., 0] + 60) & (rgb[..., 2] > rgb[..., 1] + 20)


def _atom_discs(scene, view, frame, column: str) -> np.ndarray:
    """Per atom as drawn: image column, row and radius in pixels ``[n, 3]``."""
    from equiview.viewer.model.aligned import drawn_positions

    radii = frame.molecule.atom_radii * scene.style.atom_scale * _pixels_per_angstrom(scene)
    points = np.array([_to_pixel(scene, view, p)[:2] for p in drawn_positions(frame, column)])
    return np.column_stack([points, radii])


def _atom_box(scene, view, frame, column: str) -> tuple[float, float, float, float]:
    discs = _atom_discs(scene, view, frame, column)
    points, radii = discs[:, :2], discs[:, 2]
    return (
        float((points[:, 0] - radii).min()),
        float((points[:, 1] - radii).min()),
        float((points[:, 0] + radii).max()),
        float((points[:, 1] + radii).max()),
    )


def _draw(pipeline, scene, **changes):
    frame = pipeline.frame(_snapshot(**changes), models=True)
    scene.update(frame)
    scene.fit_camera()
    return frame, scene.image()


@pytest.mark.parametrize("row", ["naive", "egnn"])
def test_the_default_dipole_arrow_reaches_outside_the_molecule(pipeline, offscreen_scene, row):
    scene = offscreen_scene
    frame, image = _draw(pipeline, scene, aligned=True)
    assert frame.arrow_scale == 1.0
    view = scene.view(row, "original")
    left, top, right, bottom = _view_box(scene, view)
    red = np.zeros(image.shape[:2], dtype=bool)
    red[top + 30 : bottom, left:right] = _red(image)[top + 30 : bottom, left:right]  # below the title
    assert red.sum() > 150, red.sum()
    a_left, a_top, a_right, a_bottom = _atom_box(scene, view, frame, "original")
    rows, columns = np.nonzero(red)
    outside = np.maximum.reduce([a_left - columns, columns - a_right, a_top - rows, rows - a_bottom])
    assert outside.max() >= 5 and (outside > 0).sum() >= 20, outside.max()  # beyond the atoms' pixel box
    # and clear of the silhouette: the tip lies a tenth of the molecule's size away from every atom's disc
    discs = _atom_discs(scene, view, frame, "original")
    gap = np.min(np.hypot(columns[:, None] - discs[:, 0], rows[:, None] - discs[:, 1]) - discs[:, 2], axis=1)
    size = max(a_right - a_left, a_bottom - a_top)
    assert gap.max() > 0.1 * size, (gap.max(), size)


def test_the_arrow_is_drawn_over_an_atom_in_front_of_it(pipeline, offscreen_scene):
    """Look at the dipole from the side, from where an atom beside its shaft lies between the camera and the shaft:
    that atom hides part of the shaft in depth, yet the arrow's red is what the pixels show there."""
    scene = offscreen_scene
    frame = pipeline.frame(_snapshot(aligned=True), models=True)
    scene.update(frame)
    scene.fit_camera()
    v = frame.rows["egnn"].vectors
    centre, positions = v.centre_original, frame.molecule.positions
    length = float(scene.view("egnn", "original").arrows.read()["scale"][0, 0])
    unit = v.dipole_original / np.linalg.norm(v.dipole_original)
    along = (positions - centre) @ unit  # how far along the shaft each atom sits
    across = (positions - centre) - along[:, None] * unit  # and where beside it
    candidates = np.nonzero((along > 0.3) & (along < 0.6 * length))[0]
    assert len(candidates), "no atom beside the shaft"
    atom = int(candidates[np.argmin(np.linalg.norm(across[candidates], axis=1))])
    direction = across[atom] / np.linalg.norm(across[atom])  # the camera looks from beyond that atom
    scene.fit_camera(direction=direction, up=np.cross(direction, unit))  # the shaft runs across the view
    image = scene.image()
    view = scene.view("egnn", "original")
    radius_px = float(frame.molecule.atom_radii[atom] * scene.style.atom_scale) * _pixels_per_angstrom(scene)
    atom_x, atom_y, atom_depth = _to_pixel(scene, view, positions[atom])
    assert radius_px > 4
    seen = []
    for t in np.linspace(0.05, 0.7 * length, 60):  # along the shaft, short of the tip
        x, y, depth = _to_pixel(scene, view, centre + t * unit)
        if np.hypot(x - atom_x, y - atom_y) < 0.5 * radius_px and depth > atom_depth:  # the atom is in front
            seen.append(bool(_red(image)[round(y), round(x)]))
    assert len(seen) >= 3, "no point of the shaft lies behind the atom: the test would test nothing"
    assert np.mean(seen) > 0.8, seen


def test_the_ghost_is_clearly_visible(pipeline, offscreen_scene):
    from equiview.viewer.arrows import GHOST_RGBA

    scene = offscreen_scene
    frame, image = _draw(pipeline, scene, aligned=True)
    assert GHOST_RGBA[3] >= 100  # not a faint smudge
    for row in ("naive", "egnn"):
        left, top, right, bottom = _view_box(scene, scene.view(row, "transformed"))
        blue = _blue(image)[top + 30 : bottom, left : right - 120]  # left of the colour bar
        # a shaft of 1 Å across and half the arrow's length at the least, in pixels
        arrow_px = 1.25 * frame.molecule.radius * _pixels_per_angstrom(scene)
        assert blue.sum() > 0.5 * arrow_px * 0.25 * _pixels_per_angstrom(scene), (row, blue.sum(), arrow_px)
    # the naive model's v(g·x) is not R·v(x): its red arrow and blue ghost part ways; the EGNN's ghost surrounds it
    naive = frame.rows["naive"].vectors
    angle = np.degrees(
        np.arccos(
            np.dot(naive.dipole_transformed, naive.dipole_expected)
            / (np.linalg.norm(naive.dipole_transformed) * np.linalg.norm(naive.dipole_expected))
        )
    )
    assert angle > 10


def test_presentation_mode_thickens_the_arrows_and_arrow_scale_stretches_them(pipeline, offscreen_scene):
    from equiview.viewer.arrows import DIPOLE_REACH

    scene = offscreen_scene
    frame, _ = _draw(pipeline, scene, aligned=True)
    arrows = scene.view("egnn", "original").arrows
    plain = arrows.read()
    outer = float(
        (
            np.linalg.norm(frame.molecule.positions - frame.molecule.positions.mean(axis=0), axis=1)
            + frame.molecule.atom_radii * scene.style.atom_scale
        ).max()
    )
    assert plain["scale"][0, 0] == pytest.approx(DIPOLE_REACH * outer, rel=1e-6)  # the dipole ends outside
    scene.set_text_scale(4.0)
    thick = arrows.read()
    assert thick["scale"][0, 1] == pytest.approx(2.0 * plain["scale"][0, 1])
    assert thick["scale"][0, 0] == pytest.approx(plain["scale"][0, 0])
    scene.set_text_scale(1.0)

    frame, _ = _draw(pipeline, scene, aligned=True, arrow_scale=2.5)
    assert arrows.read()["scale"][0, 0] == pytest.approx(2.5 * plain["scale"][0, 0], rel=1e-6)
