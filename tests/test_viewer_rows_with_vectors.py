"""Issues 11 and 12 together: rows addressed by name (user models, removed and re-added rows) and dipole models
whose arrows are drawn in whichever grid slot their row sits, by that slot's one glyph actor."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from equiview.viewer.cli import prefer_offscreen_gl

prefer_offscreen_gl()  # without an X display, VTK goes straight to OSMesa

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "schnet_model.py"


SCENE_SIZE = (900, 900)  # taller than the other scene tests: up to three model rows below the input row


def user_source(name: str = "schnet"):
    from equiview.core.user_models import ModelSpec
    from equiview.viewer.model.snapshot import ModelSource

    return ModelSource.user(ModelSpec.parse(f"{name}={EXAMPLE}:make_model"))


def test_arrows_follow_their_row_into_any_slot(offscreen_scene, pipeline):
    from equiview.viewer.model.snapshot import ModelSource, ProjectionSpec, Snapshot, TransformParams

    scene = offscreen_scene
    pca = ProjectionSpec("pca")
    # the naive row removed: the equivariant row (a dipole model) moves to the first slot, a user row below it
    snapshot = (
        Snapshot(transform=TransformParams(rz=40.0, reflect=True))
        .with_source(ModelSource.untrained("dipole", 0))
        .without_row("naive")
        .with_row(user_source(), pca)
    )
    assert snapshot.rows == ("egnn", "schnet")
    frame = pipeline.frame(snapshot)
    scene.update(frame)
    assert scene.slot_of("egnn") == "model0" and scene.slot_of("schnet") == "model1"
    dipole_view = scene.views[("model0", "transformed")]
    stored = dipole_view.arrows.read()
    v = frame.rows["egnn"].vectors
    assert dipole_view.arrows.actor.GetVisibility() and stored["feet"].shape == (2, 3)  # v(g·x) and its ghost
    np.testing.assert_allclose(stored["feet"][0], v.centre_transformed, atol=1e-9)
    assert frame.rows["schnet"].vectors is None
    assert not scene.views[("model1", "transformed")].arrows.actor.GetVisibility()  # a user model: no arrows
    # the naive row comes back at the bottom with a naive-dipole model: its arrows are drawn in the third slot, by
    # the actor that slot has had since the scene was built
    third = scene.views[("model2", "original")].arrows
    actor = third.actor
    frame = pipeline.frame(snapshot.with_row(ModelSource.untrained("naive-dipole", 0), pca))
    scene.update(frame)
    assert scene.slot_of("naive") == "model2" and third.actor is actor and actor.GetVisibility()
    np.testing.assert_allclose(third.read()["feet"][0], frame.rows["naive"].vectors.centre_original, atol=1e-9)
    # a scalar model in that row: the same actor, hidden
    scene.update(pipeline.frame(snapshot.with_row(ModelSource.untrained("naive", 0), pca)))
    assert third.actor is actor and not actor.GetVisibility()


def test_state_rows_take_their_family_and_come_back_when_set(qapp, dataset):
    from equiview.viewer.model.errors import ViewValueError
    from equiview.viewer.model.snapshot import ModelSource, ProjectionSpec
    from equiview.viewer.state import ViewState

    state = ViewState(len(dataset))
    state.remove_row("egnn")
    with pytest.raises(ViewValueError, match="there is no model row 'egnn'"):
        state.set_source(ModelSource.untrained("dipole", 0))  # its row is not shown
    state.set_model(ModelSource.untrained("dipole", 0), ProjectionSpec("pca"))  # brings the row back
    assert state.snapshot.rows == ("naive", "egnn") and state.source("egnn").kind == "dipole"
    state.set_source(ModelSource.untrained("naive-dipole", 0))
    assert state.source("naive").kind == "naive-dipole"
    with pytest.raises(ValueError, match="unknown model kind 'schnet'"):
        state.set_source(ModelSource.untrained("schnet", 0))


def test_render_json_has_the_rows_and_the_dipoles(tmp_path, capsys):
    from equiview.core.checkpoints import save_checkpoint
    from equiview.core.models.registry import demo_hparams, demo_model
    from equiview.viewer.cli import main

    dipole = save_checkpoint(
        tmp_path / "dipole.pt", demo_model("dipole", 1), kind="dipole", hparams=demo_hparams("dipole"), target_idx=0
    )
    out = tmp_path / "rows.png"
    argv = ["render", "--egnn", str(dipole), "--model", f"schnet={EXAMPLE}:make_model", "--rotate", "0,30,45"]
    assert main([*argv, "--size", "600x600", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    models = result["models"]
    assert list(models) == ["naive", "egnn", "schnet"]
    assert models["egnn"]["kind"] == "dipole" and len(models["egnn"]["dipole_transformed"]) == 3
    assert models["egnn"]["vector_max_error"] < 1e-4 and models["egnn"]["max_error"] < 1e-3
    assert models["schnet"]["kind"] == "user" and "dipole_original" not in models["schnet"]
    assert models["schnet"]["max_error"] < 1e-4 and models["schnet"]["prediction_original"] is None
    assert result["egnn"] == models["egnn"] and result["egnn_max_error"] == models["egnn"]["max_error"]
    assert "schnet" not in result  # user rows only under "models": their names cannot clash with other keys
