"""Checkpoint files: round trip, the tutorial's plain state_dicts, and every way a file can be bad."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from test_models import TUTORIAL_EGNN_SHAPES, TUTORIAL_NAIVE_SHAPES

from equiview.core.checkpoints import (
    FORMAT_TAG,
    Checkpoint,
    CheckpointError,
    CheckpointNotFoundError,
    CorruptCheckpointError,
    NotACheckpointError,
    ShapeMismatchError,
    UnknownModelKindError,
    UnsafeCheckpointError,
    UnsupportedCheckpointVersionError,
    infer_hparams,
    load_checkpoint,
    save_checkpoint,
)
from equiview.core.models import MODEL_KINDS, build_model, default_hparams, demo_hparams, demo_model

FINGERPRINT = {"source": "bundled", "num_molecules": 21800, "split_sha256": {"train": "ab12", "test": "cd34"}}
METRICS = {"test_mae": 12.5, "epochs": 3, "history": [[1, 30.0], [2, 20.5]]}


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    assert all(torch.equal(sa[key], sb[key]) for key in sa)


def assert_one_line_naming(error: pytest.ExceptionInfo, path: Path) -> None:
    message = str(error.value)
    assert "\n" not in message and str(path) in message


class _Marker:
    """Unpickling this object would create a file: the test that nothing executes."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_round_trip(tmp_path, dataset, kind):
    torch.manual_seed(1)
    model = build_model(kind, hidden_channels=16)
    path = save_checkpoint(
        tmp_path / "sub" / f"{kind}.pt",
        model,
        kind=kind,
        hparams={"hidden_channels": 16},
        target_idx=5,
        normalisation=(190.0, 45.0),
        metrics=METRICS,
        fingerprint=FINGERPRINT,
    )
    loaded = load_checkpoint(path)
    assert isinstance(loaded, Checkpoint)
    assert loaded.kind == kind and loaded.path == path and not loaded.is_plain_state_dict
    assert loaded.hparams == {**default_hparams(kind), "hidden_channels": 16}
    assert loaded.target_idx == 5 and loaded.target_name == "r2"
    assert loaded.normalisation == (190.0, 45.0)
    assert loaded.metrics == METRICS and loaded.fingerprint == FINGERPRINT
    assert not loaded.model.training
    assert_same_weights(loaded.model, model)
    batch = dataset.collate([0, 800, 5634])
    with torch.no_grad():
        raw = model.eval()(batch)
    assert torch.allclose(loaded.predict(batch), raw * 45.0 + 190.0)
    assert kind in loaded.describe() and path.name in loaded.describe()
    assert "-> ⟨R²⟩ [a0²]" in loaded.describe()  # the window's name of the target, not the key "r2"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("normalisation", [None, (190.0, 45.0)])
def test_predict_from_embedding_matches_predict(tmp_path, dataset, normalisation):
    from equiview.core.embeddings import encode

    torch.manual_seed(2)
    model = build_model("egnn", hidden_channels=16)
    path = save_checkpoint(
        tmp_path / "e.pt", model, kind="egnn", hparams={"hidden_channels": 16}, normalisation=normalisation
    )
    loaded = load_checkpoint(path)
    batch = dataset.collate([0, 800, 5634])
    h = encode(loaded.model, batch)
    assert torch.allclose(loaded.predict_from_embedding(h, batch.batch), loaded.predict(batch), atol=1e-4)
    one = dataset[800]
    assert torch.allclose(loaded.predict_from_embedding(encode(loaded.model, one)), loaded.predict(one), atol=1e-4)
    raw = torch.tensor([[2.0]])
    expected = raw if normalisation is None else raw * normalisation[1] + normalisation[0]
    assert torch.equal(loaded.denormalise(raw), expected)


def test_file_holds_only_plain_data(tmp_path, dataset):
    model = demo_model("egnn")
    path = save_checkpoint(tmp_path / "e.pt", model, kind="egnn", hparams=demo_hparams("egnn"))
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert raw["format"] == FORMAT_TAG and raw["version"] == 1 and raw["kind"] == "egnn"
    assert raw["normalisation"] is None and raw["fingerprint"] is None and raw["metrics"] == {}
    assert type(raw["created_with"]["torch"]) is str
    loaded = load_checkpoint(path)
    assert loaded.normalisation is None and loaded.hparams["final_embedding_size"] == 1
    batch = dataset.collate([3, 4])
    with torch.no_grad():
        assert torch.equal(loaded.predict(batch), model(batch))  # nothing to de-normalise


def test_save_rejects_inconsistent_or_unplain_metadata(tmp_path):
    model = build_model("egnn", hidden_channels=16)
    with pytest.raises(ShapeMismatchError, match="f_initial_embed.weight"):
        save_checkpoint(tmp_path / "a.pt", model, kind="egnn", hparams={})  # hparams say 64 channels
    with pytest.raises(ValueError, match=r"b\.pt: metrics\.seen: set is not plain data"):
        save_checkpoint(
            tmp_path / "b.pt", model, kind="egnn", hparams={"hidden_channels": 16}, metrics={"seen": {1, 2}}
        )
    with pytest.raises(UnknownModelKindError, match="'gat'"):
        save_checkpoint(tmp_path / "c.pt", model, kind="gat", hparams={})
    with pytest.raises(ValueError, match="target_idx"):
        save_checkpoint(tmp_path / "d.pt", model, kind="egnn", hparams={"hidden_channels": 16}, target_idx=19)
    with pytest.raises(ValueError, match="positive finite std"):
        save_checkpoint(
            tmp_path / "e.pt", model, kind="egnn", hparams={"hidden_channels": 16}, normalisation=(1.0, 0.0)
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kind", "expected"), [("egnn", TUTORIAL_EGNN_SHAPES), ("naive", TUTORIAL_NAIVE_SHAPES)])
def test_tutorial_style_plain_state_dict_loads(tmp_path, dataset, kind, expected):
    torch.manual_seed(2)
    model = build_model(kind).eval()
    state_dict = model.state_dict()
    # the file the tutorial writes, key by key and shape by shape
    assert {key: list(value.shape) for key, value in state_dict.items()} == expected
    assert list(state_dict) == list(expected)
    path = tmp_path / f"{kind}_tutorial.pt"
    torch.save(state_dict, path)
    loaded = load_checkpoint(path)
    assert loaded.is_plain_state_dict and loaded.kind == kind
    assert loaded.hparams == default_hparams(kind)
    assert loaded.normalisation is None and loaded.target_idx == 5 and loaded.fingerprint is None
    assert_same_weights(loaded.model, model)
    data = dataset[800]
    with torch.no_grad():
        assert torch.equal(loaded.model.encode(data), model.encode(data))


def test_legacy_torch_save_format_loads_too(tmp_path):
    model = demo_model("naive")
    path = tmp_path / "legacy.pt"
    torch.save(model.state_dict(), path, _use_new_zipfile_serialization=False)
    loaded = load_checkpoint(path)
    assert loaded.is_plain_state_dict and loaded.hparams == demo_hparams("naive")
    assert_same_weights(loaded.model, model)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CorruptCheckpointError):
        load_checkpoint(path)


@pytest.mark.parametrize("kind", ["naive", "egnn"])  # the tutorial's kinds; the dipole kinds have no plain form
def test_plain_state_dict_hparams_are_inferred_from_shapes(tmp_path, kind):
    for hparams in (demo_hparams(kind), {**default_hparams(kind), "hidden_channels": 24, "final_embedding_size": 5}):
        layer_key = "num_mp_layers" if kind == "egnn" else "num_layers"
        hparams = {**hparams, layer_key: 3}
        model = build_model(kind, **hparams)
        assert infer_hparams(kind, model.state_dict()) == hparams
        path = tmp_path / "plain.pt"
        torch.save(model.state_dict(), path)
        assert load_checkpoint(path).hparams == hparams


def test_missing_file(tmp_path):
    path = tmp_path / "nope.pt"
    with pytest.raises(CheckpointNotFoundError) as error:
        load_checkpoint(path)
    assert_one_line_naming(error, path)
    assert isinstance(error.value, FileNotFoundError)


def test_not_a_checkpoint(tmp_path):
    text = tmp_path / "notes.pt"
    text.write_text("epoch 1: loss 3.2\n")
    unrelated = tmp_path / "tensors.pt"
    torch.save({"weight": torch.ones(3), "bias": torch.zeros(3)}, unrelated)
    a_list = tmp_path / "list.pt"
    torch.save([torch.ones(2)], a_list)
    lightning_like = tmp_path / "nested.pt"
    torch.save({"epoch": 3, "state_dict": build_model("egnn", hidden_channels=4).state_dict()}, lightning_like)
    plain_pickle = tmp_path / "data.pkl"
    plain_pickle.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    for path in (text, unrelated, a_list, lightning_like, plain_pickle, tmp_path):
        with pytest.raises(NotACheckpointError) as error:
            load_checkpoint(path)
        assert_one_line_naming(error, path)


def test_truncated_and_corrupt(tmp_path):
    good = save_checkpoint(tmp_path / "good.pt", demo_model("egnn"), kind="egnn", hparams=demo_hparams("egnn"))
    content = good.read_bytes()
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(content[: len(content) // 2])
    tail_cut = tmp_path / "tail_cut.pt"
    tail_cut.write_bytes(content[:-30])
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    broken_pickle = tmp_path / "broken.pkl"
    broken_pickle.write_bytes(pickle.dumps({"a": list(range(50))})[:20])
    for path in (truncated, tail_cut, empty, broken_pickle):
        with pytest.raises(CorruptCheckpointError) as error:
            load_checkpoint(path)
        assert_one_line_naming(error, path)


def test_missing_field_and_nan_weights(tmp_path):
    model = demo_model("egnn")
    path = save_checkpoint(tmp_path / "e.pt", model, kind="egnn", hparams=demo_hparams("egnn"))
    raw = torch.load(path, weights_only=True)
    del raw["state_dict"]
    torch.save(raw, tmp_path / "no_weights.pt")
    with pytest.raises(CorruptCheckpointError, match="missing field 'state_dict'"):
        load_checkpoint(tmp_path / "no_weights.pt")
    state_dict = model.state_dict()
    state_dict["f_predict.0.bias"][0] = float("nan")
    torch.save(state_dict, tmp_path / "nan.pt")
    with pytest.raises(CorruptCheckpointError, match="f_predict.0.bias contains NaN"):
        load_checkpoint(tmp_path / "nan.pt")


@pytest.mark.parametrize("container", ["torch_zip", "raw_pickle"])
def test_code_executing_pickle_is_refused(tmp_path, container):
    marker = tmp_path / "marker_was_created"
    path = tmp_path / "evil.pt"
    payload = {"format": FORMAT_TAG, "version": 1, "kind": "egnn", "hparams": _Marker(marker)}
    if container == "torch_zip":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=4))
    # sanity: an ordinary unpickler *would* create the marker
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_Marker(control))).close()
    assert control.exists()
    with pytest.raises(UnsafeCheckpointError, match="open") as error:
        load_checkpoint(path)
    assert_one_line_naming(error, path)
    assert not marker.exists()


def test_unknown_kind_and_newer_version(tmp_path):
    model = demo_model("egnn")
    path = save_checkpoint(tmp_path / "e.pt", model, kind="egnn", hparams=demo_hparams("egnn"))
    raw = torch.load(path, weights_only=True)
    torch.save({**raw, "kind": "transformer"}, tmp_path / "kind.pt")
    with pytest.raises(UnknownModelKindError, match="'transformer'") as error:
        load_checkpoint(tmp_path / "kind.pt")
    assert_one_line_naming(error, tmp_path / "kind.pt")
    torch.save({**raw, "version": 99}, tmp_path / "future.pt")
    with pytest.raises(UnsupportedCheckpointVersionError, match="v99"):
        load_checkpoint(tmp_path / "future.pt")


def test_shape_mismatch_names_the_keys(tmp_path):
    model = demo_model("egnn")
    path = save_checkpoint(tmp_path / "e.pt", model, kind="egnn", hparams=demo_hparams("egnn"))
    raw = torch.load(path, weights_only=True)
    torch.save({**raw, "hparams": {**raw["hparams"], "hidden_channels": 48}}, tmp_path / "hparams.pt")
    with pytest.raises(
        ShapeMismatchError, match=r"f_initial_embed.weight \(file \[100, 32\], model \[100, 48\]\)"
    ) as error:
        load_checkpoint(tmp_path / "hparams.pt")
    assert_one_line_naming(error, tmp_path / "hparams.pt")
    # a plain state_dict with one tensor of the wrong shape and one extra key
    state_dict = build_model("naive").state_dict()
    state_dict["f_combine.0.weight"] = torch.zeros(64, 100)
    state_dict["gnn.extra.weight"] = torch.zeros(2)
    torch.save(state_dict, tmp_path / "plain.pt")
    with pytest.raises(ShapeMismatchError, match="f_combine.0.weight.*unexpected keys gnn.extra.weight"):
        load_checkpoint(tmp_path / "plain.pt")
    # a key missing from a plain state_dict
    state_dict = build_model("egnn").state_dict()
    del state_dict["message_passing_layers.0.message_mlp.0.bias"]
    torch.save(state_dict, tmp_path / "missing.pt")
    with pytest.raises(ShapeMismatchError, match="missing keys message_passing_layers.0.message_mlp.0.bias"):
        load_checkpoint(tmp_path / "missing.pt")


def test_all_errors_share_the_base_class():
    for error in (
        CheckpointNotFoundError,
        NotACheckpointError,
        CorruptCheckpointError,
        UnsafeCheckpointError,
        UnknownModelKindError,
        ShapeMismatchError,
        UnsupportedCheckpointVersionError,
    ):
        assert issubclass(error, CheckpointError)
