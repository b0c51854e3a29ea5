"""``equiview sweep`` with ``--molecule-file``, ``--smiles`` and ``--model`` (issues 10 and 12): real files, a real
user model file, JSON/CSV/PNG read back; bad input is one line with exit 2 and nothing written."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from molecule_files_fixtures import METHANETHIOL, write_multi_xyz, write_xyz
from viewer_fixtures import ROOT, is_blank, read_png

from equiview.viewer.cli import main

EXAMPLE = ROOT / "examples" / "schnet_model.py"

RAW_MODEL = """import torch
class Raw(torch.nn.Module):
    def forward(self, z, pos, batch):
        # raw coordinates, and about the centroid of ALL atoms given (it ignores batch): not invariant
        return torch.cat([pos, pos - pos.mean(dim=0), z[:, None].float()], dim=1)
def make():
    return Raw()
"""

CARBON_ONLY_MODEL = """import torch
class Distances(torch.nn.Module):
    known_elements = ("H", "C")
    def forward(self, z, pos, batch):
        return torch.cdist(pos, pos).sum(dim=1, keepdim=True)
def make():
    return Distances()
"""

ARROWS_MODEL = """import torch
class Arrows(torch.nn.Module):
    def forward(self, z, pos, batch):
        # invariant features; the arrows are the raw positions, which a translation moves: not equivariant
        return (pos - pos.mean(dim=0)).norm(dim=1, keepdim=True), pos
def make():
    return Arrows()
"""

BROKEN_MODEL = """import torch
class Broken(torch.nn.Module):
    def forward(self, z, pos, batch):
        raise RuntimeError("this model is broken")
def make():
    return Broken()
"""


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def model_file(tmp_path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return f"{name}={path}:make"


def test_sweep_a_sulfur_file_with_user_models(capsys, tmp_path):
    """The built-in rows and a user model that knows only H and C are unsupported; SchNet and raw are swept."""
    thiol = write_xyz(tmp_path / "thiol.xyz", METHANETHIOL, "methanethiol")
    plot, table = tmp_path / "sweep.png", tmp_path / "sweep.csv"
    code, out, err = run_main(
        capsys, "sweep", "--molecule-file", str(thiol), "--steps", "8", "--json", "--plot", str(plot),
        "--csv", str(table), "--model", f"schnet={EXAMPLE}:make_model", "--model",
        model_file(tmp_path, "carbon", CARBON_ONLY_MODEL),
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["molecule"] == "methanethiol" and len(result["angles"]) == 8
    models = result["models"]
    assert list(models) == ["naive", "egnn", "schnet", "carbon"]  # the grid's order
    for kind in ("naive", "egnn"):
        assert models[kind] == {
            "verdict": "unsupported",
            "reason": "this model knows H, C, N, O, F; the molecule has S",
        }
    assert models["carbon"] == {"verdict": "unsupported", "reason": "this model knows H, C; the molecule has S"}
    assert len(models["schnet"]["max_error"]) == 8 and max(models["schnet"]["max_error"]) <= 1e-4
    with open(table, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["angle_deg", "atom", "element", "schnet_value", "schnet_max_error"]
    assert len(rows) == 1 + 8 * 6 and rows[2][2] == "S"
    assert not is_blank(read_png(plot))


def test_a_user_model_is_another_row_of_the_json_csv_and_plot(capsys, tmp_path):
    raw = model_file(tmp_path, "raw", RAW_MODEL)
    common = ("sweep", "--smiles", "CCO", "--steps", "12", "--rotate", "0,0,0")
    code, _, err = run_main(capsys, *common, "--plot", str(tmp_path / "two.png"))
    assert code == 0, err
    code, out, err = run_main(
        capsys, *common, "--model", raw, "--json", "--plot", str(tmp_path / "three.png"), "--csv",
        str(tmp_path / "three.csv"),
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["molecule"] == "CCO" and list(result["models"]) == ["naive", "egnn", "raw"]
    raw_errors = result["models"]["raw"]["max_error"]
    assert raw_errors[0] == 0.0 and min(raw_errors[1:]) > 1e-2  # it reads raw coordinates
    assert max(result["models"]["egnn"]["max_error"]) <= 1e-4
    with open(tmp_path / "three.csv", newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[-2:] == ["raw_value", "raw_max_error"]
    # the user's curves are a third row of plots
    two, three = read_png(tmp_path / "two.png"), read_png(tmp_path / "three.png")
    assert three.shape[1] == two.shape[1] and three.shape[0] > two.shape[0] * 1.3


def test_the_user_rows_sweep_equals_the_grid_at_each_angle(dataset, tmp_path):
    """A user's model is run once per pose: its sweep equals the grid's row (pipeline frame) at every angle."""
    from equiview.core.user_models import ModelSpec
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.pipeline import Pipeline
    from equiview.viewer.model.snapshot import ModelSource, ProjectionSpec, Snapshot, StructureRef, TransformParams
    from equiview.viewer.model.spin import Spin

    spec = ModelSpec.parse(model_file(tmp_path, "raw", RAW_MODEL))
    source = ModelSource.user(spec)
    three = write_multi_xyz(tmp_path / "three.xyz")
    snapshot = Snapshot(structure=StructureRef.file(three, 1), transform=TransformParams(rx=20.0, tz=1.0))
    snapshot = snapshot.with_row(source, ProjectionSpec("pca"))
    pipeline = Pipeline(dataset, ModelLibrary())
    spin = Spin(snapshot, "y")
    result = spin.sweep(pipeline, 6)
    assert set(result.models) == {"naive", "egnn", "raw"} and not result.unavailable
    for index, angle in enumerate(result.angles):
        frame = pipeline.frame(spin.snapshot_at(pipeline, float(angle)))
        assert frame.molecule.name == "ethanol"
        for name in ("egnn", "raw"):
            row = frame.rows[name]
            assert result.models[name].max_error[index] == pytest.approx(row.max_error, rel=1e-4, abs=1e-5)
            np.testing.assert_allclose(result.models[name].values[index], row.values_transformed, atol=1e-4)


def test_sweep_picks_the_molecule_of_a_file_and_the_sphere_covers_user_models(capsys, tmp_path):
    three = write_multi_xyz(tmp_path / "three.xyz")
    raw = model_file(tmp_path, "raw", RAW_MODEL)
    code, out, err = run_main(capsys, "sweep", "--molecule-file", str(three), "--molecule", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["molecule"] == "ethanol"
    code, out, err = run_main(
        capsys, "sweep", "--smiles", "CCO", "--sphere", "4", "--steps", "6", "--model", raw, "--json",
        "--plot", str(tmp_path / "sphere.png"),
    )  # fmt: skip
    assert code == 0, err
    models = json.loads(out)["models"]
    assert np.array(models["raw"]["errors"]).shape == (4, 8) and models["raw"]["min_error"] > 1e-2
    assert models["egnn"]["max_error"] <= 1e-4
    assert not is_blank(read_png(tmp_path / "sphere.png"))


def test_a_user_model_that_fails_is_reported_and_the_others_still_sweep(capsys, tmp_path):
    code, out, err = run_main(
        capsys, "sweep", "--smiles", "CCO", "--steps", "4", "--json", "--model",
        model_file(tmp_path, "broken", BROKEN_MODEL),
    )  # fmt: skip
    assert code == 0, err
    models = json.loads(out)["models"]
    assert models["broken"]["verdict"] == "failed" and "this model is broken" in models["broken"]["reason"]
    assert len(models["egnn"]["max_error"]) == 4


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--molecule-file", "{tmp}/absent.xyz"], "no such file"),
        (["--smiles", "C1CC"], "does not parse"),
        (["--model", "mine={tmp}/absent.py:make"], "no such file"),
        (["--model", "mine={tmp}/raw.py:nope"], "has no 'nope'"),
        (["--model", "naive={tmp}/raw.py:make"], "is taken"),
        (["--molecule-file", "{tmp}/three.xyz", "--molecule", "7"], "there is no molecule 7"),
        (["--molecule-file", "{tmp}/three.xyz", "--molecule", "gdb_1"], "a position in the file"),
        (["--molecule-file", "{tmp}/three.xyz", "--smiles", "CCO"], "not allowed with argument"),
    ],
)
def test_bad_molecules_and_models_exit_2_with_one_line_and_write_nothing(capsys, tmp_path, args, fragment):
    (tmp_path / "raw.py").write_text(RAW_MODEL)
    write_multi_xyz(tmp_path / "three.xyz")
    before = sorted(tmp_path.iterdir())
    outputs = ["--plot", str(tmp_path / "s.png"), "--csv", str(tmp_path / "s.csv"), "--json"]
    code, out, err = run_main(capsys, "sweep", *[a.replace("{tmp}", str(tmp_path)) for a in args], *outputs)
    assert code == 2 and out == ""
    assert fragment in err and err.count("\n") == 1, err
    assert sorted(tmp_path.iterdir()) == before


def test_a_user_models_arrows_are_swept_like_the_grid_measures_them(dataset, tmp_path, capsys):
    """A user's model that returns vectors: its sweep's max|v(g_θ·x) − R_θ v(x)| is the grid's at every angle."""
    from equiview.core.user_models import ModelSpec
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.pipeline import Pipeline
    from equiview.viewer.model.snapshot import ModelSource, ProjectionSpec, Snapshot, StructureRef, TransformParams
    from equiview.viewer.model.spin import Spin

    arrows = model_file(tmp_path, "arrows", ARROWS_MODEL)
    snapshot = Snapshot(structure=StructureRef.smiles("CCO"), transform=TransformParams(rx=20.0, tz=1.0))
    snapshot = snapshot.with_row(ModelSource.user(ModelSpec.parse(arrows)), ProjectionSpec("channel"))
    pipeline = Pipeline(dataset, ModelLibrary())
    spin = Spin(snapshot, "z")
    result = spin.sweep(pipeline, 6)
    swept = result.models["arrows"].vector_error
    assert result.models["egnn"].vector_error is None and swept.shape == (6,)
    for index, angle in enumerate(result.angles):
        row = pipeline.frame(spin.snapshot_at(pipeline, float(angle))).rows["arrows"]
        assert swept[index] == pytest.approx(row.vectors.max_error, rel=1e-4, abs=1e-5)
    # the sweep turns about the centroid from the identity (g's shift is not part of it): angle 0 changes nothing.
    # Raw positions as arrows differ from R v(x) by (I - R) c, and RDKit centres CCO near the origin: ~1e-8 here.
    assert swept[0] == 0.0
    assert result.current_angle is None  # g (20° about x and a shift) is no turn about z

    code, out, err = run_main(capsys, "sweep", "--smiles", "CCO", "--steps", "6", "--model", arrows, "--json")
    assert code == 0, err
    models = json.loads(out)["models"]
    assert len(models["arrows"]["vector_max_error"]) == 6 and "vector_max_error" not in models["naive"]
