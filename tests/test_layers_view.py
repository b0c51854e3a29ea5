"""One layer of a model row (forward hooks) in the pipeline, the state, ``render``/``sweep``/``check-invariance``
``--layer NAME``: that layer's per-atom output colours the row and is what its verdict judges."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from equiview.core.cli import main as core_main

LAYERED = """
import torch
from torch import nn


class Layered(nn.Module):
    layers = ["embed", "mix", "pool"]

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(10, 4)   # atom types only: invariant
        self.mix = nn.Linear(7, 4)         # reads raw coordinates: changes under g
        self.pool = nn.Identity()          # one row per molecule: not per atom

    def forward(self, z, pos, batch):
        h = self.embed(z)
        h = self.mix(torch.cat([h, pos], dim=1))
        self.pool(h.sum(0, keepdim=True))
        return h
"""


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    path = tmp_path_factory.mktemp("layered") / "layered.py"
    path.write_text(textwrap.dedent(LAYERED) + "\n\ndef make():\n    return Layered()\n")
    return f"mine={path}:make"


def frame(pipeline, spec: str, layers: dict):
    from equiview.core.user_models import ModelSpec
    from equiview.viewer.model.snapshot import ModelSource, ProjectionSpec, Snapshot, TransformParams

    source = ModelSource.user(ModelSpec.parse(spec))
    snapshot = Snapshot(molecule=7, transform=TransformParams(rx=40, tz=1.0)).with_row(source, ProjectionSpec())
    return pipeline.frame(snapshot.replace(layers=layers))


def test_a_user_models_declared_layers_are_shown_and_judged(pipeline, layered):
    from equiview.viewer.model.layers import layer_names

    plain = frame(pipeline, layered, {})
    assert layer_names(pipeline.library.load(plain.rows["mine"].source)) == ("embed", "mix", "pool")
    embed = frame(pipeline, layered, {"mine": "embed", "naive": "f_pos_embed"})
    assert embed.rows["mine"].layer == "embed" and embed.rows["mine"].verdict.kind == "invariant"
    assert embed.rows["mine"].embedding_dim == 4 and embed.rows["mine"].bar_title.startswith("embed")
    assert embed.rows["naive"].verdict.kind == "changed" and embed.rows["egnn"].layer is None
    mix = frame(pipeline, layered, {"mine": "mix"}).rows["mine"]
    assert mix.verdict.kind == "changed" and mix.max_error > 0.01
    # the model's own output is the mix layer's: same numbers
    np.testing.assert_allclose(mix.values_transformed, plain.rows["mine"].values_transformed, atol=1e-6)
    pool = frame(pipeline, layered, {"mine": "pool"}).rows["mine"]
    assert pool.status == "failed" and "no per-atom output" in pool.message


def test_the_state_keeps_a_layer_per_row_until_the_rows_model_changes():
    from equiview.viewer.model.snapshot import ModelSource, Snapshot
    from equiview.viewer.state import ViewState, ViewValueError

    state = ViewState(100)
    state.set_layer("naive", "f_pos_embed")
    assert state.snapshot.layers == {"naive": "f_pos_embed"} and state.layer("naive") == "f_pos_embed"
    assert hash(state.snapshot) != hash(Snapshot()) and state.snapshot != Snapshot()
    state.set_source(ModelSource.untrained("naive", 3))  # another network: its layers are not the ones chosen
    assert state.snapshot.layers == {}
    with pytest.raises(ViewValueError):
        state.set_layer("nosuchrow", "f_pos_embed")
    with pytest.raises(ViewValueError):
        state.set_snapshot(Snapshot(layers={"nosuchrow": "x"}))


def test_an_unknown_layer_is_one_line_listing_the_names(capsys, tmp_path):
    from equiview.viewer.cli import main

    for argv in (
        ["render", "--out", str(tmp_path / "x.png"), "--layer", "nope"],
        ["sweep", "--steps", "4", "--layer", "nope"],
        ["check-invariance", "--molecules", "1", "--trials", "1", "--layer", "nope"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--layer 'nope'" in err[0]
        assert (
            "naive: f_initial_embed, f_pos_embed" in err[0]
            and "egnn: f_initial_embed, message_passing_layers.0" in err[0]
        )
    assert not (tmp_path / "x.png").exists()


def test_sweep_and_render_show_the_chosen_layer(capsys, tmp_path):
    from equiview.viewer.cli import main

    def sweep(layer: str) -> dict:
        assert main(["sweep", "--steps", "4", "--layer", layer, "--json"]) == 0
        return json.loads(capsys.readouterr().out)["models"]

    assert max(sweep("f_pos_embed")["naive"]["max_error"]) > 0.1
    assert max(sweep("f_initial_embed")["naive"]["max_error"]) == 0.0
    assert main(["render", "--out", str(tmp_path / "l.png"), "--layer", "f_initial_embed", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    assert models["naive"]["verdict"] == "invariant" and models["naive"]["max_error"] == 0.0


def test_check_invariance_judges_one_layer(capsys):
    assert core_main(["check-invariance", "--molecules", "2", "--trials", "1", "--layer", "f_pos_embed", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [item["name"] for item in result["naive"]["layers"]] == ["f_pos_embed"]
    assert result["naive"]["first_breaking_layer"] == "f_pos_embed"
    assert result["egnn"]["layers"] == [] and result["egnn"]["first_breaking_layer"] is None
