"""Scene, pipeline, state and library without a window (VTK off-screen rendering, no Qt widgets)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from equiview.viewer.cli import prefer_offscreen_gl

prefer_offscreen_gl()  # without an X display, VTK goes straight to OSMesa


def test_identity_frame_has_no_error_and_both_columns_agree(pipeline):
    from equiview.viewer.model.snapshot import Snapshot, TransformParams

    frame = pipeline.frame(Snapshot(transform=TransformParams()))
    assert frame.molecule.name == "gdb_814" and frame.molecule.formula == "C5H7NO"
    np.testing.assert_allclose(frame.positions_transformed, frame.positions_original, atol=1e-6)
    for row in frame.rows.values():
        assert row.max_error == 0.0
        # at the exact identity nothing can change: the verdict says so, never "invariant"
        assert (row.verdict.kind, row.verdict.text) == ("identity", "identity: move a slider")
        assert row.badge == "identity: move a slider"
        np.testing.assert_array_equal(row.rgba_original, row.rgba_transformed)
        assert row.lut.shape == (256, 4) and row.vmin < row.vmax
        assert not row.trained and row.target_idx == 5
    assert frame.molecule.bonds.shape[1] == 2 and (frame.molecule.bonds[:, 0] < frame.molecule.bonds[:, 1]).all()
    assert set(frame.titles) == {(r, c) for r in ("input", "naive", "egnn") for c in ("original", "transformed")}


def test_colour_scale_is_frozen_on_the_original_pose(pipeline):
    from equiview.viewer.model.snapshot import Snapshot, TransformParams

    still = pipeline.frame(Snapshot(transform=TransformParams()))
    moved = pipeline.frame(Snapshot(transform=TransformParams(rx=90, tz=3.0)))
    for kind in ("naive", "egnn"):
        assert (moved.rows[kind].vmin, moved.rows[kind].vmax) == (still.rows[kind].vmin, still.rows[kind].vmax)
    assert moved.rows["egnn"].max_error <= 1e-5
    assert moved.rows["naive"].max_error > 1e-3
    assert moved.rows["naive"].badge.startswith("changed: max|Δh| = ")
    assert moved.rows["egnn"].badge.startswith("invariant: ")


def test_default_snapshot_shows_the_contrast(pipeline):
    """The first screen is not the identity: 45° about z, the naive GNN changes, the EGNN does not."""
    from equiview.viewer.model.snapshot import Snapshot

    frame = pipeline.frame(Snapshot())
    assert frame.transform.rotation == (0.0, 0.0, 45.0) and not frame.show_labels
    naive, egnn = frame.rows["naive"], frame.rows["egnn"]
    assert naive.verdict.kind == "changed" and naive.verdict.text == f"changed: max|Δh| = {naive.max_error:.3g}"
    assert egnn.verdict.kind == "invariant" and egnn.verdict.text == f"invariant: {egnn.max_error:.1e}"
    assert naive.verdict.colour != egnn.verdict.colour


def test_difference_mode_colours_by_the_change_from_zero(pipeline):
    from equiview.viewer.model.snapshot import Snapshot

    frame = pipeline.frame(Snapshot(colour_mode="difference"))
    naive, egnn = frame.rows["naive"], frame.rows["egnn"]
    assert naive.shown_range[0] == 0.0 and naive.shown_range == egnn.shown_range
    assert naive.shown_range[1] >= naive.delta.max() > 0.01  # the untrained demo's change is ~0.035
    np.testing.assert_allclose(naive.delta.max(), naive.max_error)
    assert egnn.delta.max() <= 1e-5
    # EGNN atoms sit at the bottom colour of the bar, the naive GNN's most changed atom near its top
    np.testing.assert_array_equal(egnn.shown_rgba, np.repeat(egnn.shown_lut[:1], len(egnn.delta), axis=0))
    assert not np.array_equal(naive.shown_rgba[np.argmax(naive.delta)], egnn.shown_rgba[0])
    assert frame.titles[("naive", "transformed")] == "|h(g·x) − h(x)|"


def test_trackball_drag_turns_g_about_the_viewing_frame():
    from equiview.core.transforms import E3Transform
    from equiview.viewer.model.snapshot import TransformParams
    from equiview.viewer.model.trackball import drag_axis_angle, rotated

    right, up, toward = np.eye(3)[0], np.eye(3)[1], np.eye(3)[2]
    axis, angle = drag_axis_angle(20, 0, right, up, toward)
    np.testing.assert_allclose(axis, up)  # a drag to the right turns about the view's up axis
    assert angle == pytest.approx(10.0)
    start = TransformParams(rz=45.0, tx=1.5, reflect=True)
    turned = rotated(start, axis, angle)
    assert (turned.tx, turned.reflect) == (1.5, True)
    before = E3Transform.from_view(*start.rotation, reflect=True).rotation.numpy()
    after = E3Transform.from_view(*turned.rotation, reflect=True).rotation.numpy()
    c, s = np.cos(np.radians(10)), np.sin(np.radians(10))
    np.testing.assert_allclose(after, np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]) @ before, atol=1e-7)
    # the atom nearest the viewer (+z) moves to the right with the mouse
    np.testing.assert_allclose(after @ np.linalg.inv(before) @ toward, [s, 0, c], atol=1e-7)


def test_projections_of_a_multichannel_model(pipeline, tmp_path):
    from equiview.core.checkpoints import save_checkpoint
    from equiview.core.models.registry import build_model
    from equiview.viewer.model.library import ModelSource
    from equiview.viewer.model.snapshot import ProjectionSpec, Snapshot, TransformParams

    model = build_model("egnn", hidden_channels=8, num_mp_layers=1)
    path = save_checkpoint(tmp_path / "wide.pt", model, kind="egnn", hparams={"hidden_channels": 8, "num_mp_layers": 1})
    sources = {"naive": ModelSource.untrained("naive"), "egnn": ModelSource.from_checkpoint("egnn", path)}
    for spec in (ProjectionSpec("pca"), ProjectionSpec("norm"), ProjectionSpec("channel", 7)):
        snapshot = Snapshot(
            transform=TransformParams(ry=45, reflect=True),
            sources=sources,
            projections={"naive": ProjectionSpec(), "egnn": spec},
        )
        row = pipeline.frame(snapshot).rows["egnn"]
        assert row.embedding_dim == 8 and row.trained
        assert np.abs(row.values_transformed - row.values_original).max() <= 1e-4
        assert spec.label() in row.bar_title
    with pytest.raises(ValueError, match="out of range"):
        pipeline.frame(
            Snapshot(sources=sources, projections={"naive": ProjectionSpec(), "egnn": ProjectionSpec("channel", 8)})
        )


def test_random_slider_values_reproduce_a_haar_random_element():
    from equiview.core.transforms import E3Transform
    from equiview.viewer.model.snapshot import TransformParams

    for seed in range(6):
        params = TransformParams.random(torch.Generator().manual_seed(seed))
        reference = E3Transform.random(torch.Generator().manual_seed(seed), reflect=None, translation_scale=1.5)
        rebuilt = E3Transform.from_view(params.rx, params.ry, params.rz, params.translation, params.reflect)
        assert rebuilt.is_reflection == reference.is_reflection == params.reflect
        assert torch.allclose(rebuilt.rotation, reference.rotation, atol=3e-3)
        assert torch.allclose(rebuilt.translation, reference.translation.clamp(-10, 10), atol=6e-3)


def test_view_state_validates_and_signals_once():
    from equiview.viewer.model.snapshot import ModelSource, ProjectionSpec, Snapshot, TransformParams
    from equiview.viewer.state import ViewState

    state = ViewState(1000)
    assert state.molecule == 800
    seen = []
    state.changed.connect(lambda old, new: seen.append((old, new)))
    first = state.snapshot
    state.set_rotation(2, 30.0)
    state.set_rotation(2, 30.0)  # unchanged: no signal
    state.set_translation(0, 99.0)  # clamped to the slider range
    assert len(seen) == 2 and state.transform.tx == 10.0 and state.transform.rz == 30.0
    assert seen[0][0] is first and seen[0][1] is seen[1][0] and seen[1][1] is state.snapshot
    assert seen[0][0].changed_fields(seen[0][1]) == {"transform"}
    with pytest.raises(ValueError, match="out of range"):
        state.set_molecule(1000)
    with pytest.raises(ValueError, match="unknown colormap"):
        state.set_colormap("no-such-map")
    with pytest.raises(ValueError, match="unknown projection"):
        state.set_projection("naive", ProjectionSpec("median"))
    with pytest.raises(ValueError, match="the naive row got a model source of kind 'egnn'"):
        state.set_snapshot(Snapshot(sources={"naive": ModelSource.untrained("egnn"), "egnn": ModelSource("egnn")}))
    assert len(seen) == 2  # refused changes never reach the signal
    state.set_source(ModelSource.untrained("egnn", 4))
    snapshot = state.snapshot
    assert snapshot.sources["egnn"].seed == 4 and snapshot.transform == TransformParams(rz=30.0, tx=10.0)
    with pytest.raises(TypeError):
        snapshot.sources["egnn"] = ModelSource.untrained("egnn", 5)  # a snapshot cannot be changed in place
    assert hash(snapshot) == hash(Snapshot(**{f: getattr(snapshot, f) for f in snapshot.__dataclass_fields__}))
    state.reset_transform()
    assert state.transform.is_identity


def test_library_caches_and_checks_kinds(tmp_path):
    from equiview.core.checkpoints import CheckpointError, save_checkpoint
    from equiview.core.models.registry import demo_hparams, demo_model
    from equiview.viewer.model.library import ModelLibrary, ModelLoadError
    from equiview.viewer.model.snapshot import ModelSource

    library = ModelLibrary()
    first = library.load(ModelSource.untrained("naive", 2))
    assert library.load(ModelSource.untrained("naive", 2)) is first
    assert first.embedding_dim == 1 and not first.trained
    path = save_checkpoint(tmp_path / "n.pt", demo_model("naive", 1), kind="naive", hparams=demo_hparams("naive"))
    source, model = library.load_file(path)
    assert source.kind == model.kind == "naive" and model.trained and library.load(source) is model
    with pytest.raises(ModelLoadError, match="holds a Naive GNN checkpoint, not an Equivariant GNN one"):
        library.load(ModelSource.from_checkpoint("egnn", path))
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="junk.pt"):
        library.load(ModelSource.from_checkpoint("naive", tmp_path / "junk.pt"))
    defaults = library.default_sources()
    assert set(defaults) == {"naive", "egnn"}


def test_scene_writes_in_place_and_reads_back(offscreen_scene, pipeline, dataset):
    from equiview.viewer.model.snapshot import Snapshot, TransformParams

    scene = offscreen_scene
    scene.update(pipeline.frame(Snapshot(transform=TransformParams())))
    view = scene.view("naive", "transformed")
    points, atom_actor, bond_mapper = view.atoms.GetPoints(), view.atom_actor, view.bond_mapper
    frame = pipeline.frame(Snapshot(transform=TransformParams(rz=45.0)))
    scene.update(frame)
    assert view.atoms.GetPoints() is points and view.atom_actor is atom_actor and view.bond_mapper is bond_mapper
    np.testing.assert_allclose(view.atom_positions(), frame.positions_transformed)
    np.testing.assert_allclose(view.point_array("value"), frame.rows["naive"].values_transformed)
    np.testing.assert_array_equal(view.point_array("rgba"), frame.rows["naive"].rgba_transformed)
    assert view.title.GetInput() == frame.titles[("naive", "transformed")]
    assert view.bonds.GetNumberOfPoints() == 2 * len(frame.molecule.bonds)  # one cylinder imposter per half
    # the verdict badge is in the view (so in every image), in the verdict's colour
    assert view.badge.GetInput() == frame.rows["naive"].badge and view.badge.GetInput().startswith("changed")
    assert view.badge.GetTextProperty().GetColor() == pytest.approx(frame.rows["naive"].verdict.colour)
    assert scene.view("egnn", "transformed").badge.GetInput().startswith("invariant")
    assert scene.view("naive", "original").badge is None
    # the highlight marks one atom in every view, in place
    props = [v.renderer.GetViewProps().GetNumberOfItems() for v in scene.views.values()]
    scene.update(pipeline.frame(Snapshot(transform=TransformParams(rz=45.0), highlight=3)))
    for (_, column), v in scene.views.items():
        assert v.marker_actor.GetVisibility()
        np.testing.assert_allclose(v.marker_centre(), frame.positions(column)[3])
    assert [v.renderer.GetViewProps().GetNumberOfItems() for v in scene.views.values()] == props
    scene.set_highlight(None)
    assert not any(v.marker_actor.GetVisibility() for v in scene.views.values())
    # another molecule with another atom count: new arrays, same actors
    methane = pipeline.frame(Snapshot(molecule=dataset.find("gdb_1")))
    scene.update(methane)
    assert view.atom_actor is atom_actor and view.atom_positions().shape == (5, 3)
    assert scene.transformed_in_view()


def test_scene_image_pick_and_layout(offscreen_scene, pipeline):
    from equiview.viewer.model.png import encode_png
    from equiview.viewer.model.snapshot import Snapshot, TransformParams
    from equiview.viewer.scene import label_types

    scene = offscreen_scene
    frame = pipeline.frame(Snapshot(transform=TransformParams(rx=30.0)))
    scene.update(frame)
    image = scene.image()
    assert image.shape == (700, 900, 3)
    assert image.reshape(-1, 3).std(axis=0).max() > 10
    assert encode_png(image)[:8] == b"\x89PNG\r\n\x1a\n"

    renderer = scene.view("egnn", "transformed").renderer
    p = frame.positions_transformed[0]
    renderer.SetWorldPoint(*p, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    hit = scene.pick(x, y)
    assert hit is not None and (hit.row, hit.column) == ("egnn", "transformed")
    np.testing.assert_allclose(frame.positions_transformed[hit.atom], p, atol=1.0)  # the front atom there

    scene.set_input_row_visible(False)
    assert scene.visible_rows() == ("naive", "egnn")
    assert scene.view("naive", "original").renderer.GetViewport() == pytest.approx((0.0, 0.5, 0.5, 1.0))
    assert not scene.view("input", "transformed").renderer.GetDraw()
    assert label_types(np.array([[0, 0, 0, 255], [255, 255, 255, 255]], dtype=np.uint8)).tolist() == [1, 0]


def test_half_bonds_take_their_atoms_colour():
    from equiview.viewer.scene import half_bonds

    positions = np.array([[0.0, 0, 0], [2.0, 0, 0], [2.0, 2.0, 0]])
    centres, directions, lengths, owners = half_bonds(positions, np.array([[0, 1], [1, 2]]))
    assert owners.tolist() == [0, 1, 1, 2]
    # bond 0-1: the half of atom 0 runs from (0,0,0) to the midpoint (1,0,0); atom 1's half comes back
    np.testing.assert_allclose(centres, [[0.5, 0, 0], [1.5, 0, 0], [2.0, 0.5, 0], [2.0, 1.5, 0]])
    np.testing.assert_allclose(directions, [[1.0, 0, 0], [-1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0]])
    np.testing.assert_allclose(lengths, [1.0, 1.0, 1.0, 1.0])
    # two atoms at one place: a bond of length 0, no division by zero
    _, directions, lengths, _ = half_bonds(np.zeros((2, 3)), np.array([[0, 1]]))
    assert np.isfinite(directions).all() and lengths.tolist() == [0.0, 0.0]


def test_the_highlight_rings_an_atom_without_changing_its_colour(offscreen_scene, pipeline):
    """Hovering an atom to read its colour must not change that colour: the highlight is a ring around the atom,
    drawn outside it, not a translucent shell over it."""
    from equiview.viewer.model.snapshot import Snapshot, TransformParams

    scene = offscreen_scene
    frame = pipeline.frame(Snapshot(transform=TransformParams(rz=45.0)))
    scene.update(frame)
    view = scene.view("naive", "transformed")
    renderer = view.renderer
    atom = int(
        np.argmax(frame.positions_transformed @ np.subtract(scene.camera.GetPosition(), scene.camera.GetFocalPoint()))
    )
    renderer.SetWorldPoint(*frame.positions_transformed[atom], 1.0)  # the atom nearest the viewer: nothing before it
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    radius_px = (
        frame.molecule.atom_radii[atom]
        * scene.style.atom_scale
        * renderer.GetSize()[1]
        / (2 * scene.camera.GetParallelScale())
    )
    inner, outer = scene.style.highlight_ring

    def pixels(image):
        """The atom's centre pixel and pixels on the ring's middle circle, at 16 angles."""
        row = image.shape[0] - 1 - y  # the image's first row is the top
        middle = 0.5 * (inner + outer) * radius_px
        angles = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
        ring = [image[round(row - middle * np.sin(a)), round(x + middle * np.cos(a)), :3] for a in angles]
        return image[round(row), round(x), :3].astype(int), np.array(ring, dtype=int)

    plain_centre, plain_ring = pixels(scene.image())
    scene.set_highlight(atom)
    ringed_centre, ringed_ring = pixels(scene.image())
    assert np.abs(ringed_centre - plain_centre).max() <= 2  # the atom keeps its colour
    highlight = np.round(np.array(scene.style.highlight) * 255)
    on_ring = np.abs(ringed_ring - highlight).max(axis=1) <= 40  # bonds and atoms in front may cover some
    assert on_ring.sum() >= 8 and not (np.abs(plain_ring - highlight).max(axis=1) <= 40).any()
