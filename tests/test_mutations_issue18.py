"""Mutations the issue found surviving the suite (issue 18), each killed here by a direct test.

The pipeline's error sign, the frozen colour scale and the view matrix are covered in test_pipeline_engine.py and
test_equivariance_engine.py; these are the checkpoint and atomic-write ones.
"""

from __future__ import annotations

import pytest
import torch

from equiview.core.atomic import write_with
from equiview.core.checkpoints import ShapeMismatchError, load_checkpoint, save_checkpoint
from equiview.core.models import demo_hparams, demo_model


def test_a_transposed_tensor_with_the_same_number_of_entries_is_a_shape_mismatch(tmp_path):
    """Shapes are compared, not ``numel()``: [100, 32] and [32, 100] hold the same count."""
    model = demo_model("egnn")
    path = save_checkpoint(tmp_path / "e.pt", model, kind="egnn", hparams=demo_hparams("egnn"))
    raw = torch.load(path, weights_only=True)
    state = dict(raw["state_dict"])
    weight = state["f_initial_embed.weight"]
    assert weight.dim() == 2 and weight.shape[0] != weight.shape[1]
    state["f_initial_embed.weight"] = weight.T.contiguous()
    torch.save({**raw, "state_dict": state}, tmp_path / "transposed.pt")
    with pytest.raises(ShapeMismatchError, match=r"f_initial_embed.weight \(file \[32, 100\], model \[100, 32\]\)"):
        load_checkpoint(tmp_path / "transposed.pt")


def test_a_float64_parameter_is_refused(tmp_path):
    """The dtype check: a float64 tensor in a float32 model is refused, not silently cast."""
    model = demo_model("egnn")
    path = save_checkpoint(tmp_path / "e.pt", model, kind="egnn", hparams=demo_hparams("egnn"))
    raw = torch.load(path, weights_only=True)
    state = dict(raw["state_dict"])
    state["f_initial_embed.weight"] = state["f_initial_embed.weight"].double()
    torch.save({**raw, "state_dict": state}, tmp_path / "double.pt")
    with pytest.raises(ShapeMismatchError, match=r"f_initial_embed.weight is torch.float64"):
        load_checkpoint(tmp_path / "double.pt")


def test_an_atomic_write_stages_its_file_beside_the_target(tmp_path):
    """Through the system temp folder, the final rename crosses file systems (or fails) and a crash leaves the
    partial file elsewhere: the temporary file must live in the target's own folder."""
    target = tmp_path / "deep" / "out.bin"
    target.parent.mkdir()
    seen = []

    def writer(handle):
        seen.extend(target.parent.iterdir())  # while the data is written: where is the file being written?
        handle.write(b"payload")

    write_with(target, writer)
    assert target.read_bytes() == b"payload"
    # the staged file, beside its target (core.atomic names it .out.<random>.partial.bin)
    assert len(seen) == 1 and seen[0].name.startswith(".out.") and seen[0].name.endswith(".partial.bin")
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]
