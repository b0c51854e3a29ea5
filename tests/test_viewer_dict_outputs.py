"""A user's model that returns a dict (features, k vectors per atom, irreps) in the viewer pipeline and the sweep.

The real e3nn example (``examples/e3nn_model.py``, "8x0e+8x1o+8x2e" plus [n, 2, 3] vectors) goes through the real
``Pipeline.frame`` and ``sweep``: its atoms are coloured by its features, its vectors are arrows, and its irreps
are judged block by block by the engine (Wigner-D, parity from det R), each irrep type named in the view's title
and a failing one in the badge. The same file with a wrong declaration ("1e" for vectors, or the blocks in the
wrong order) is caught in exactly the block it gets wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("e3nn")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SOURCE = (EXAMPLES / "e3nn_model.py").read_text()
DECLARED = 'IRREPS = "8x0e+8x1o+8x2e"'


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e3nn_dict")
    variants = {
        "right": SOURCE,
        "even": SOURCE.replace(DECLARED, 'IRREPS = "8x0e+8x1e+8x2e"'),  # r_ij is polar: "1e" is wrong under mirrors
        "shuffled": SOURCE.replace(DECLARED, 'IRREPS = "8x0e+8x2e+8x1o"'),  # same size, blocks read in wrong places
    }
    assert all(text != SOURCE for name, text in variants.items() if name != "right")
    for name, text in variants.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def source(files, name: str):
    from equiview.core.user_models import ModelSpec
    from equiview.viewer.model.snapshot import ModelSource

    return ModelSource.user(ModelSpec.parse(f"{name}={files / name}.py:make_model"))


@pytest.fixture(scope="module")
def pipeline(dataset):
    from equiview.viewer.model.pipeline import Pipeline

    return Pipeline(dataset)


def frame_at(pipeline, files, transform):
    from equiview.viewer.model.snapshot import ProjectionSpec, Snapshot

    snapshot = Snapshot(molecule=7, transform=transform)
    for name in ("right", "even", "shuffled"):
        snapshot = snapshot.with_row(source(files, name), ProjectionSpec("channel", 0))
    return pipeline.frame(snapshot)


def test_the_e3nn_dict_model_is_coloured_drawn_and_judged_per_irrep(pipeline, files):
    import torch

    from equiview.core.user_models import load_user_model
    from equiview.viewer.model.snapshot import TransformParams

    frame = frame_at(pipeline, files, TransformParams(rx=30, ry=-20, rz=75, tx=1.5, reflect=True))
    row = frame.rows["right"]
    assert row.available and row.embedding_dim == 8  # coloured by its 8 invariant scalars
    model = load_user_model(f"right={files / 'right.py'}:make_model")
    molecule = frame.molecule
    features = model.run(torch.from_numpy(molecule.z), torch.from_numpy(molecule.stored_positions)).features
    np.testing.assert_allclose(row.values_original, features[:, 0].numpy(), atol=1e-6)
    assert row.vectors is not None and row.vectors.atoms_original.shape == (molecule.num_atoms, 3)
    assert row.vectors.max_error < 1e-4 and row.vectors.equivariant  # both vectors per atom judged
    assert list(row.irreps) == ["0e", "1o", "2e"]
    assert all(block.equivariant and block.max_error < 1e-4 for block in row.irreps.values())
    assert row.verdict.kind == "equivariant" and row.badge.startswith("equivariant")
    title = frame.titles[("right", "transformed")]
    assert "irreps 0e " in title and ", 1o " in title and ", 2e " in title


def test_a_wrong_parity_fails_its_block_under_a_mirror_only(pipeline, files):
    from equiview.viewer.model.snapshot import TransformParams

    mirrored = frame_at(pipeline, files, TransformParams(rx=30, rz=75, reflect=True)).rows["even"]
    assert not mirrored.irreps["1e"].equivariant and mirrored.irreps["1e"].max_error > 0.01
    assert mirrored.irreps["0e"].equivariant and mirrored.irreps["2e"].equivariant
    assert mirrored.verdict.kind == "changed" and mirrored.badge.startswith("changed: 1e block")
    turned = frame_at(pipeline, files, TransformParams(rx=30, rz=75)).rows["even"]
    assert turned.verdict.kind == "equivariant"  # no mirror: parity cannot show


def test_the_sweep_judges_every_irrep_at_every_angle(dataset, files):
    from equiview.core.user_models import load_user_model
    from equiview.viewer.model.library import UserRowModel
    from equiview.viewer.model.sweep import sweep

    models = {
        name: UserRowModel(load_user_model(f"{name}={files / name}.py:make_model")) for name in ("right", "shuffled")
    }
    result = sweep(models, dataset[7], steps=6)
    right, shuffled = result.models["right"], result.models["shuffled"]
    assert list(right.irreps_error) == ["0e", "1o", "2e"]
    assert all(errors.shape == (6,) and errors.max() < 1e-4 for errors in right.irreps_error.values())
    assert right.vector_error.max() < 1e-4
    assert shuffled.irreps_error["0e"].max() < 1e-4  # read in the right place
    assert shuffled.irreps_error["1o"][1:].min() > 0.01 and shuffled.irreps_error["2e"][1:].min() > 0.01
    assert shuffled.irreps_error["1o"][0] == 0.0  # angle 0 is the identity
    report = result.as_json("gdb")["models"]["shuffled"]
    assert set(report["irreps_max_error"]) == {"0e", "1o", "2e"}


def test_equiview_sweep_json_names_the_irreps(tmp_path):
    from viewer_fixtures import run_equiview

    model = f"e3nn={EXAMPLES / 'e3nn_model.py'}:make_model"
    done = run_equiview("sweep", "--model", model, "--smiles", "CCO", "--steps", "4", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["models"]["e3nn"]
    assert set(report["irreps_max_error"]) == {"0e", "1o", "2e"}
    assert max(max(errors) for errors in report["irreps_max_error"].values()) < 1e-4
