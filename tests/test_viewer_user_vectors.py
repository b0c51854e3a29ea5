"""A user's model that returns (features, vectors): its per-atom arrows in the pipeline, the scene (one glyph actor
per view, written in place), ``equiview render --json`` and the movie; they turn with g only when the model is
equivariant, and they carry no unit."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from equiview.viewer.cli import prefer_offscreen_gl

prefer_offscreen_gl()  # without an X display, VTK goes straight to OSMesa

VECTOR_MODELS = '''
import torch
from torch import nn


def pairs(pos):
    diff = pos[:, None, :] - pos[None, :, :]  # x_i - x_j
    return diff, torch.exp(-diff.norm(dim=-1, keepdim=True))  # w(|x_i - x_j|)


def features(z, pos):
    _, w = pairs(pos)
    return torch.cat([w[..., 0].sum(1, keepdim=True), z[:, None].float()], dim=1)


class PairVectors(nn.Module):
    """v_i = sum_j (x_i - x_j) w(|x_i - x_j|): turns with the molecule."""

    def forward(self, z, pos, batch):
        diff, w = pairs(pos)
        return features(z, pos), (diff * w).sum(1)


class RawVectors(nn.Module):
    """The same features; each atom's vector reads its raw coordinates: does not turn."""

    def forward(self, z, pos, batch):
        return features(z, pos), pos.abs()


def equivariant():
    return PairVectors()


def raw():
    return RawVectors()
'''


def pair_vectors(pos: np.ndarray) -> np.ndarray:
    """The equivariant model's vectors, in numpy."""
    diff = pos[:, None, :] - pos[None, :, :]
    return (diff * np.exp(-np.linalg.norm(diff, axis=-1, keepdims=True))).sum(1)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("user_vectors") / "vector_models.py"
    path.write_text(textwrap.dedent(VECTOR_MODELS))
    return path


@pytest.fixture(scope="module")
def pipeline(dataset):
    from equiview.viewer.model.pipeline import Pipeline

    return Pipeline(dataset)


@pytest.fixture
def offscreen_scene():
    from equiview.viewer.offscreen import make_offscreen_plotter
    from equiview.viewer.scene import GridScene

    plotter = make_offscreen_plotter((900, 900))
    scene = GridScene(plotter)
    yield scene
    plotter.close()


def user(model_file, name: str, factory: str):
    from equiview.core.user_models import ModelSpec
    from equiview.viewer.model.snapshot import ModelSource

    return ModelSource.user(ModelSpec.parse(f"{name}={model_file}:{factory}"))


def vector_snapshot(model_file, **changes):
    from equiview.viewer.model.snapshot import ProjectionSpec, Snapshot

    pca = ProjectionSpec("pca")
    return (
        Snapshot(molecule=7, **changes)
        .with_row(user(model_file, "eq", "equivariant"), pca)
        .with_row(user(model_file, "raw", "raw"), pca)
    )


def rotation_of(frame) -> np.ndarray:
    from equiview.core.transforms import E3Transform

    t = frame.transform
    g = E3Transform.from_view(*t.rotation, t.translation, t.reflect, center=frame.molecule.centre)
    return g.rotation.numpy().astype(np.float64)


def test_user_vectors_turn_with_g_only_for_an_equivariant_model(pipeline, model_file):
    from equiview.viewer.model.snapshot import TransformParams

    frame = pipeline.frame(vector_snapshot(model_file, transform=TransformParams(rx=20, rz=50, tx=2.0, reflect=True)))
    rotation = rotation_of(frame)
    eq, raw = frame.rows["eq"].vectors, frame.rows["raw"].vectors
    # the model's own numbers, from the stored float32 positions
    np.testing.assert_allclose(eq.atoms_original, pair_vectors(frame.molecule.positions), atol=1e-5)
    for v in (eq, raw):
        assert v.atoms_original.shape == (frame.molecule.num_atoms, 3) and not v.has_dipole
        assert v.unit == "" and v.unit_text() == ""  # a user's vectors have no unit
        np.testing.assert_allclose(v.atoms_expected, v.atoms_original @ rotation.T, atol=1e-9)  # R·v(x)
    np.testing.assert_allclose(eq.atoms_transformed, eq.atoms_expected, atol=1e-4)
    assert eq.max_error < 1e-4 and eq.equivariant
    assert raw.max_error > 0.1 and not raw.equivariant
    for name in ("eq", "raw"):
        title = frame.titles[(name, "transformed")]
        assert "max |v(g·x) − R·v(x)|" in title and not title.endswith(" D")
        assert "|μ|" not in frame.titles[(name, "original")]
        assert frame.rows[name].prediction_original is None  # no prediction head, no dipole
    assert frame.rows["egnn"].vectors is None


def test_user_arrows_are_one_glyph_actor_per_view_written_in_place(offscreen_scene, pipeline, model_file):
    from equiview.viewer.arrows import ATOM_RGBA, GHOST_RGBA
    from equiview.viewer.model.pipeline import USER_ARROW_LENGTH
    from equiview.viewer.model.snapshot import TransformParams

    scene = offscreen_scene
    frame = pipeline.frame(vector_snapshot(model_file))
    scene.update(frame)
    n = frame.molecule.num_atoms
    original = scene.view("eq", "original").arrows.read()
    np.testing.assert_allclose(original["feet"], frame.positions_original, atol=1e-9)
    assert (original["rgba"] == ATOM_RGBA).all()
    # at arrow scale 1 the longest vector of the original pose is USER_ARROW_LENGTH Å
    assert original["scale"][:, 0].max() == pytest.approx(USER_ARROW_LENGTH)
    views = {name: scene.view(name, "transformed") for name in ("eq", "raw")}
    actors = {name: view.arrows.actor for name, view in views.items()}
    props = {name: view.renderer.GetViewProps().GetNumberOfItems() for name, view in views.items()}
    for rz in (30.0, 75.0):
        frame = pipeline.frame(vector_snapshot(model_file, transform=TransformParams(rz=rz, ty=3.0, reflect=True)))
        scene.update(frame)
        rotation = rotation_of(frame)
        turned = {}
        for name, view in views.items():
            assert view.arrows.actor is actors[name] and view.arrows.actor.GetVisibility()
            assert view.renderer.GetViewProps().GetNumberOfItems() == props[name]  # no actor per arrow or step
            stored = view.arrows.read()
            assert stored["feet"].shape == (2 * n, 3)  # v_i(g·x) at every atom, and its ghost R·v_i(x)
            np.testing.assert_allclose(stored["feet"][:n], frame.positions_transformed, atol=1e-9)
            np.testing.assert_allclose(stored["feet"][n:], frame.positions_transformed, atol=1e-9)
            assert (stored["rgba"][:n] == ATOM_RGBA).all() and (stored["rgba"][n:] == GHOST_RGBA).all()
            first = scene.view(name, "original").arrows.read()["direction"]
            np.testing.assert_allclose(stored["direction"][n:], first @ rotation.T, atol=1e-9)  # the ghost: R·v
            turned[name] = np.abs(stored["direction"][:n] - first @ rotation.T).max()
        assert turned["eq"] < 1e-3  # the arrows drawn turned with the molecule
        assert turned["raw"] > 0.1  # ... and these did not
    # a longer arrow scale: the same actor, longer glyphs
    frame = pipeline.frame(vector_snapshot(model_file, transform=TransformParams(rz=75.0), arrow_scale=2.0))
    scene.update(frame)
    stored = views["eq"].arrows.read()
    assert views["eq"].arrows.actor is actors["eq"]
    assert stored["scale"][n:, 0].max() == pytest.approx(2 * USER_ARROW_LENGTH)


def test_render_json_carries_a_user_models_vectors(tmp_path, capsys, model_file):
    from equiview.core.transforms import E3Transform
    from equiview.viewer.cli import main

    out = tmp_path / "vectors.png"
    argv = ["render", "--model", f"eq={model_file}:equivariant", "--model", f"raw={model_file}:raw"]
    argv += ["--molecule", "7", "--rotate", "10,0,60", "--translate", "1,0,0", "--size", "500x700"]
    assert main([*argv, "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    eq, raw = result["models"]["eq"], result["models"]["raw"]
    n = result["atoms"]
    for report in (eq, raw):
        assert report["unit"] is None and "dipole_original" not in report
        for key in ("vectors_original", "vectors_transformed", "vectors_expected"):
            assert np.asarray(report[key]).shape == (n, 3)
    rotation = E3Transform.from_view(10, 0, 60).rotation.numpy()
    original, transformed = np.asarray(eq["vectors_original"]), np.asarray(eq["vectors_transformed"])
    np.testing.assert_allclose(np.asarray(eq["vectors_expected"]), original @ rotation.T, atol=1e-6)
    np.testing.assert_allclose(transformed, original @ rotation.T, atol=1e-4)
    assert eq["vector_max_error"] < 1e-4 and raw["vector_max_error"] > 0.1
    assert np.abs(np.asarray(raw["vectors_transformed"]) - np.asarray(raw["vectors_expected"])).max() > 0.1
    assert "vector_max_error" not in result["models"]["egnn"]  # a scalar model


def test_the_movie_draws_a_user_models_arrows(tmp_path, pipeline, model_file):
    from equiview.viewer.model.movie_file import read_frames
    from equiview.viewer.model.movie_settings import MovieSettings
    from equiview.viewer.model.snapshot import ProjectionSpec, Snapshot
    from equiview.viewer.movie import record_movie

    settings = MovieSettings(axis="z", frames=2, fps=4, degrees=90.0, size=(300, 400), scale=1)
    frames = {}
    for scale in (0.1, 3.0):  # the same model, molecule and titles: only the arrows differ
        snapshot = (
            Snapshot(molecule=7, arrow_scale=scale)
            .without_row("naive")
            .with_row(user(model_file, "m", "equivariant"), ProjectionSpec("pca"))
        )
        path = tmp_path / f"arrows{scale}.gif"
        record_movie(pipeline, snapshot, path, settings)
        frames[scale] = list(read_frames(path))
    assert len(frames[3.0]) == 2
    for long, short in zip(frames[3.0], frames[0.1]):
        changed = np.abs(long.astype(int) - short.astype(int)).max(axis=2) > 40
        assert changed.sum() > 300  # the arrows, on every frame


def tips_outside(scene, row: str, column: str) -> int:
    """How many arrow tips of a view are drawn outside that view's area."""
    view = scene.view(row, column)
    stored = view.arrows.read()
    tips = (
        stored["feet"]
        + stored["direction"]
        / np.maximum(np.linalg.norm(stored["direction"], axis=1, keepdims=True), 1e-12)
        * stored["scale"][:, :1]
    )
    renderer = view.renderer
    x0, y0, x1, y1 = renderer.GetViewport()
    width, height = scene.render_window.GetSize()
    outside = 0
    for p in tips:
        renderer.SetWorldPoint(*(float(v) for v in p), 1.0)
        renderer.WorldToDisplay()
        x, y, _ = renderer.GetDisplayPoint()
        outside += not (x0 * width <= x <= x1 * width and y0 * height <= y <= y1 * height)
    return outside


def test_the_camera_fit_keeps_every_arrow_in_view(offscreen_scene, pipeline, model_file):
    from equiview.viewer.model.snapshot import TransformParams

    scene = offscreen_scene
    scene.update(pipeline.frame(vector_snapshot(model_file, arrow_scale=3.0, transform=TransformParams(rz=20.0))))
    scene.render()
    assert sum(tips_outside(scene, row, column) for row in ("eq", "raw") for column in ("original", "transformed")) == 0
    # turning g does not refit the camera: the arrows stay in view because the fit allowed for every rotation
    camera = scene.camera.GetParallelScale()
    for rx, rz in ((90.0, 0.0), (0.0, 135.0), (-60.0, -120.0)):
        frame = pipeline.frame(vector_snapshot(model_file, arrow_scale=3.0, transform=TransformParams(rx=rx, rz=rz)))
        scene.update(frame)
        scene.render()
        assert scene.camera.GetParallelScale() == camera
        assert tips_outside(scene, "eq", "transformed") == 0 and tips_outside(scene, "raw", "transformed") == 0


def test_arrows_are_drawn_over_the_atoms_they_start_in(offscreen_scene, pipeline, model_file):
    """Each arrow starts at its atom's centre: its first tenth lies inside the atom's sphere, and is seen anyway
    (the arrows' overlay renderer draws after the atoms, with the same camera and viewport)."""
    scene = offscreen_scene
    frame = pipeline.frame(vector_snapshot(model_file))
    scene.update(frame)
    view = scene.view("raw", "original")
    assert view.overlay.GetActiveCamera() is scene.camera and view.overlay.GetLayer() == 1
    assert view.overlay.GetViewport() == view.renderer.GetViewport() and view.overlay.GetDraw()
    assert not view.overlay.GetInteractive()  # the mouse turns the camera of the view beneath it
    image = scene.image()
    height = image.shape[0]
    stored = view.arrows.read()
    seen = 0
    for foot, direction in zip(stored["feet"], stored["direction"]):
        point = foot + 0.1 * direction  # inside the sphere (radius >= 0.3 Å; the arrow is up to 1.5 Å long)
        view.renderer.SetWorldPoint(*(float(v) for v in point), 1.0)
        view.renderer.WorldToDisplay()
        x, y, _ = view.renderer.GetDisplayPoint()
        r, g, b = (int(v) for v in image[height - 1 - round(y), round(x), :3])
        seen += r > g + 40 and g > b + 40  # the arrows' orange, not an atom's viridis colour
    assert seen >= 0.9 * len(stored["feet"])
    # a row removed: its slot's overlay is not drawn either
    scene.update(pipeline.frame(vector_snapshot(model_file).without_row("raw")))
    assert not view.overlay.GetDraw() and view.overlay.GetViewport() == view.renderer.GetViewport()
