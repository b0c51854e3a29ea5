"""Issue 11 in the viewer: rows take dipole checkpoints, the pipeline computes both poses' arrows and the ghost
R·v(x), the scene draws them with ONE glyph actor per view written in place, ``equiview render`` reports them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from equiview.viewer.cli import prefer_offscreen_gl

prefer_offscreen_gl()  # without an X display, VTK goes straight to OSMesa


def dipole_snapshot(**changes):
    from equiview.viewer.model.snapshot import ModelSource, Snapshot

    snapshot = Snapshot(**changes)
    return snapshot.with_source(ModelSource.untrained("naive-dipole", 0)).with_source(
        ModelSource.untrained("dipole", 0)
    )


def test_the_viewer_knows_the_kinds_and_rows_of_core():
    from equiview.core.models.registry import FAMILY, VECTOR_KINDS
    from equiview.viewer.model import snapshot

    assert snapshot.ROW_OF_KIND == FAMILY and snapshot.VECTOR_KINDS == VECTOR_KINDS


def test_rows_take_any_kind_of_their_family():
    from equiview.viewer.model.snapshot import ModelSource, Snapshot

    snapshot = Snapshot().with_source(ModelSource.untrained("dipole", 3))
    assert snapshot.sources["egnn"].kind == "dipole" and snapshot.sources["naive"].kind == "naive"
    assert ModelSource.untrained("naive-dipole").row == "naive"


def test_view_state_refuses_a_dipole_source_in_the_other_row():
    from equiview.viewer.model.snapshot import ModelSource, Snapshot
    from equiview.viewer.state import ViewState

    state = ViewState(1000)
    state.set_source(ModelSource.untrained("dipole", 1))
    assert state.source("egnn").kind == "dipole"
    wrong = Snapshot(sources={"naive": ModelSource.untrained("dipole"), "egnn": ModelSource.untrained("egnn")})
    with pytest.raises(ValueError, match="naive row got a model source of kind 'dipole'"):
        state.set_snapshot(wrong)
    state.set_arrow_scale(1000.0)
    assert state.snapshot.arrow_scale == 10.0  # clamped to the control's range


def test_pipeline_computes_both_poses_arrows_and_the_ghost(pipeline):
    from equiview.core.transforms import E3Transform
    from equiview.viewer.model.snapshot import TransformParams

    params = TransformParams(rx=20, rz=45, tx=4.0, ty=-10.0, reflect=True)
    frame = pipeline.frame(dipole_snapshot(transform=params))
    g = E3Transform.from_view(*params.rotation, params.translation, params.reflect, center=frame.molecule.centre)
    rotation = g.rotation.numpy()
    for row_name in ("naive", "egnn"):
        row = frame.rows[row_name]
        v = row.vectors
        assert v is not None and v.atoms_original.shape == (frame.molecule.num_atoms, 3)
        np.testing.assert_allclose(v.dipole_expected, rotation @ v.dipole_original, atol=1e-6)
        np.testing.assert_allclose(v.atoms_expected, v.atoms_original @ rotation.T, atol=1e-6)
        np.testing.assert_allclose(v.centre_transformed, frame.positions_transformed.mean(axis=0), atol=1e-4)
        assert row.prediction_original == pytest.approx(np.linalg.norm(v.dipole_original), abs=1e-5)
        assert row.prediction_transformed == pytest.approx(np.linalg.norm(v.dipole_transformed), abs=1e-5)
        assert "max |v(g·x) − R·v(x)|" in frame.titles[(row_name, "transformed")]
    assert frame.rows["egnn"].vectors.max_error < 1e-4
    assert frame.rows["naive"].vectors.max_error > 1e-2
    assert frame.rows["egnn"].target_idx == 0


def test_scalar_rows_have_no_vectors(pipeline):
    from equiview.viewer.model.snapshot import Snapshot, TransformParams

    frame = pipeline.frame(Snapshot(transform=TransformParams(rz=30)))
    assert all(row.vectors is None for row in frame.rows.values())


def test_arrows_are_one_glyph_actor_per_view_written_in_place(offscreen_scene, pipeline, dataset):
    from equiview.viewer.arrows import dipole_angstrom_per_debye
    from equiview.viewer.model.snapshot import Snapshot, TransformParams

    def per_debye(frame):  # the dipole reaches outside the molecule at arrow scale 1 (issue 21)
        radii = frame.molecule.atom_radii * scene.style.atom_scale
        return dipole_angstrom_per_debye(frame.rows["egnn"].vectors, frame.molecule.positions, radii)

    scene = offscreen_scene
    scene.update(pipeline.frame(dipole_snapshot()))
    view = scene.view("egnn", "transformed")
    arrows, actor, polydata = view.arrows, view.arrows.actor, view.arrows.polydata
    props = view.renderer.GetViewProps().GetNumberOfItems()
    previous = None
    for rz in (15.0, 30.0, 45.0):
        frame = pipeline.frame(dipole_snapshot(transform=TransformParams(rz=rz, tx=1.0)))
        scene.update(frame)
        assert view.arrows is arrows and arrows.actor is actor and arrows.polydata is polydata
        assert view.renderer.GetViewProps().GetNumberOfItems() == props  # no actor added per step
        stored = arrows.read()
        v = frame.rows["egnn"].vectors
        assert stored["feet"].shape == (2, 3) and actor.GetVisibility()  # v(g·x) and the ghost R·v(x)
        np.testing.assert_allclose(stored["feet"][0], v.centre_transformed, atol=1e-9)
        np.testing.assert_allclose(stored["direction"][0], v.dipole_transformed * per_debye(frame), atol=1e-9)
        np.testing.assert_allclose(stored["direction"][1], v.dipole_expected * per_debye(frame), atol=1e-9)
        assert stored["scale"][0, 0] == pytest.approx(np.linalg.norm(v.dipole_transformed) * per_debye(frame))
        if previous is not None:
            assert not np.allclose(stored["direction"][0], previous)  # the arrow turned with the molecule
        previous = stored["direction"][0]
    original = scene.view("egnn", "original").arrows
    assert original.read()["feet"].shape == (1, 3)
    # per-atom vectors and the arrow scale: same actor, more glyphs, longer arrows
    frame = pipeline.frame(dipole_snapshot(transform=TransformParams(rz=45.0), show_atom_vectors=True, arrow_scale=2))
    scene.update(frame)
    stored = arrows.read()
    n = frame.molecule.num_atoms
    assert arrows.actor is actor and stored["feet"].shape == (2 + n, 3)
    np.testing.assert_allclose(stored["feet"][2:], frame.positions_transformed, atol=1e-9)
    np.testing.assert_allclose(
        stored["direction"][0], frame.rows["egnn"].vectors.dipole_transformed * 2 * per_debye(frame), atol=1e-9
    )
    # a scalar model: the same actor, hidden
    scene.update(pipeline.frame(Snapshot()))
    assert arrows.actor is actor and not actor.GetVisibility()
    assert scene.view("input", "original").arrows is None


def test_render_reports_the_dipoles(tmp_path, capsys):
    from equiview.core.checkpoints import save_checkpoint
    from equiview.core.models.registry import demo_hparams, demo_model
    from equiview.viewer.cli import main

    paths = {}
    for kind in ("naive-dipole", "dipole"):
        paths[kind] = save_checkpoint(
            tmp_path / f"{kind}.pt", demo_model(kind, 1), kind=kind, hparams=demo_hparams(kind), target_idx=0
        )
    out = tmp_path / "vectors.png"
    argv = ["render", "--naive", str(paths["naive-dipole"]), "--egnn", str(paths["dipole"])]
    argv += ["--rotate", "0,0,45", "--reflect", "--size", "600x450", "--out", str(out), "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result["egnn"]["kind"] == "dipole" and result["naive"]["kind"] == "naive-dipole"
    for row in ("naive", "egnn"):
        entry = result[row]
        assert len(entry["dipole_original"]) == 3 and len(entry["dipole_transformed"]) == 3
        assert entry["prediction_original"] == pytest.approx(np.linalg.norm(entry["dipole_original"]), abs=1e-5)
    assert result["egnn"]["vector_max_error"] < 1e-4 < 1e-2 < result["naive"]["vector_max_error"]
    # a checkpoint of the other family is refused in one line
    assert main(["render", "--naive", str(paths["dipole"]), "--out", str(out)]) == 2
    assert "not a Naive GNN one" in capsys.readouterr().err


def test_dipole_preset_needs_both_shipped_files(monkeypatch, tmp_path):
    from equiview.viewer.model import library as library_module

    monkeypatch.setattr(library_module, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(library_module.ModelLoadError, match="naive-dipole.pt is missing"):
        library_module.ModelLibrary().dipole_sources()
