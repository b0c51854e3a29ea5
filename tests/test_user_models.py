"""User models (issue 12): ``--model NAME=FILE.py:FACTORY`` files written here, loaded, run and checked."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from molecule_files_fixtures import ETHANOL, METHANETHIOL, write_multi_xyz, write_xyz

from equiview.core.cli import main
from equiview.core.user_input_errors import UserModelError
from equiview.core.user_models import ModelSpec, load_user_model

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "schnet_model.py"

# Features from distances only (invariant) and a vector sum of bond directions (equivariant).
INVARIANT = """
import torch
from torch import nn

class DistanceFeatures(nn.Module):
    known_elements = ("H", "C", "N", "O", "F", "S")

    def forward(self, z, pos, batch):
        d = torch.cdist(pos.double(), pos.double())
        weights = torch.exp(-d) - torch.eye(len(z), dtype=torch.float64)
        features = torch.stack([weights.sum(1), (weights * z[None, :]).sum(1)], dim=1)
        vectors = (weights[:, :, None] * (pos[:, None, :] - pos[None, :, :]).double()).sum(1)
        return features.float(), vectors.float()

def make():
    return DistanceFeatures()
"""

# Reads raw coordinates: changes under every rotation, reflection and translation.
RAW_COORDINATES = """
import torch
from torch import nn

class RawCoordinates(nn.Module):
    def forward(self, z, pos, batch):
        return torch.cat([pos, z[:, None].float()], dim=1)

def make():
    return RawCoordinates()
"""


def write_model(tmp_path: Path, source: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def run_cli_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def cli_error(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("equiview: error:")
    return err[0]


# ------------------------------------------------------------------------------------------- the spec
def test_model_spec_parses_files_and_modules():
    spec = ModelSpec.parse("mine=models/net.py:make_model")
    assert (spec.name, spec.target, spec.factory, spec.is_file) == ("mine", "models/net.py", "make_model", True)
    spec = ModelSpec.parse("pkg=my_package.models:build")
    assert (spec.target, spec.is_file) == ("my_package.models", False)
    for bad in ("no-equals.py:make", "x=file.py", "x=file.py:1abc", "naive=file.py:make", "=file.py:make", "x=a b:c"):
        with pytest.raises(UserModelError):
            ModelSpec.parse(bad)


# ------------------------------------------------------------------------------------- check-invariance
def test_invariant_user_model_passes_every_case_and_its_vectors_rotate(tmp_path, capsys):
    model = write_model(tmp_path, INVARIANT)
    molecules = write_multi_xyz(tmp_path / "three.xyz")
    result = run_cli_json(
        capsys, "check-invariance", "--model", f"dist={model}:make", "--molecule-file", str(molecules), "--trials", "3"
    )
    report = result["dist"]
    assert set(report) >= {"max_error", "rotation", "reflection", "translation", "vector_max_error"}
    assert report["max_error"] < 1e-4 and report["vector_max_error"] < 1e-4
    assert result["molecules"] == 3
    # The built-in models do not know sulfur: the file's third molecule is skipped for them, with the reason.
    assert result["egnn"]["skipped"] == 1 and result["egnn"]["reason"].endswith("the molecule has S")
    assert result["egnn"]["max_error"] < 1e-4 and result["naive"]["translation"] > 1e-3


def test_raw_coordinate_model_fails_every_case(tmp_path, capsys):
    model = write_model(tmp_path, RAW_COORDINATES)
    result = run_cli_json(
        capsys, "check-invariance", "--model", f"raw={model}:make", "--smiles", "CCO", "--trials", "2"
    )
    report = result["raw"]
    assert min(report["rotation"], report["reflection"], report["translation"]) > 0.1
    assert report["max_error"] >= max(report["rotation"], report["reflection"], report["translation"])
    assert "vector_max_error" not in report
    assert result["molecules"] == 1


def test_molecule_with_sulfur_makes_the_shipped_architectures_unsupported(tmp_path, capsys):
    thiol = write_xyz(tmp_path / "thiol.xyz", METHANETHIOL, "methanethiol")
    model = write_model(tmp_path, INVARIANT)
    result = run_cli_json(
        capsys, "check-invariance", "--molecule-file", str(thiol), "--model", f"dist={model}:make", "--trials", "2"
    )
    for kind in ("naive", "egnn"):
        assert result[kind]["verdict"] == "unsupported"
        assert result[kind]["reason"] == "this model knows H, C, N, O, F; the molecule has S"
    assert result["dist"]["max_error"] < 1e-4


def test_user_model_known_elements_are_respected(tmp_path, capsys):
    spec = f"dist={write_model(tmp_path, INVARIANT)}:make"
    model = load_user_model(spec)
    assert model.known_elements == (1, 6, 7, 8, 9, 16)
    iodine = write_xyz(tmp_path / "hi.xyz", [("H", 0, 0, 0), ("I", 1.6, 0, 0)], "HI")
    result = run_cli_json(capsys, "check-invariance", "--model", spec, "--molecule-file", str(iodine), "--trials", "1")
    assert result["dist"] == {
        "verdict": "unsupported",
        "reason": "this model knows H, C, N, O, F, S; the molecule has I",
        "model": model.describe(),
        "molecules": 1,
    }


def test_the_readme_example_schnet_loads_and_is_invariant(capsys):
    result = run_cli_json(
        capsys, "check-invariance", "--model", f"schnet={EXAMPLE}:make_model", "--smiles", "CCO", "--trials", "2"
    )
    assert result["schnet"]["max_error"] < 1e-4
    model = load_user_model(f"schnet={EXAMPLE}:make_model")
    output = model.run(torch.tensor([6, 6, 8]), torch.tensor([[0.0, 0, 0], [1.5, 0, 0], [2.2, 1.1, 0]]))
    assert output.features.shape == (3, 64) and output.vectors is None


def test_a_module_path_works_like_a_file(tmp_path, monkeypatch):
    package = tmp_path / "my_models"
    package.mkdir()
    (package / "__init__.py").write_text("")
    write_model(package, INVARIANT, "distances.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        model = load_user_model("dist=my_models.distances:make")
        assert type(model.module).__name__ == "DistanceFeatures"
    finally:
        for name in [name for name in sys.modules if name.startswith("my_models")]:
            del sys.modules[name]


# ----------------------------------------------------------------------------------------- bad models
BROKEN = {
    "exception": (
        "import torch\nclass M(torch.nn.Module):\n    def forward(self, z, pos, batch):\n"
        "        raise RuntimeError('boom')\ndef make():\n    return M()\n",
        "forward raised RuntimeError: boom",
    ),
    "shape": (
        "import torch\nclass M(torch.nn.Module):\n    def forward(self, z, pos, batch):\n"
        "        return pos.sum()\ndef make():\n    return M()\n",
        "features have shape []",
    ),
    "nan": (
        "import torch\nclass M(torch.nn.Module):\n    def forward(self, z, pos, batch):\n"
        "        return pos * float('nan')\ndef make():\n    return M()\n",
        "NaN",
    ),
    "vectors": (
        "import torch\nclass M(torch.nn.Module):\n    def forward(self, z, pos, batch):\n"
        "        return pos, pos[:, :2]\ndef make():\n    return M()\n",
        "vectors have shape",
    ),
    "not_a_module": ("def make():\n    return 42\n", "returned a int, not a torch.nn.Module"),
    "factory_raises": ("def make():\n    raise ValueError('no weights')\n", "make() raised ValueError: no weights"),
    "file_raises": ("import not_a_real_package_xyz\n", "running the file raised ModuleNotFoundError"),
    "syntax": ("def make(:\n", "running the file raised SyntaxError"),
    "no_factory": ("x = 1\n", "has no 'make'"),
}


FORWARD_FAILURES = ("exception", "shape", "nan", "vectors")


@pytest.mark.parametrize("case", sorted(set(BROKEN) - set(FORWARD_FAILURES)))
def test_broken_user_models_are_one_line_errors_naming_the_model(tmp_path, capsys, case):
    source, expected = BROKEN[case]
    model = write_model(tmp_path, source, f"{case}.py")
    message = cli_error(
        capsys, "check-invariance", "--model", f"bad_{case}={model}:make", "--smiles", "C", "--trials", "1"
    )
    assert f"model 'bad_{case}'" in message and expected in message


@pytest.mark.parametrize("case", FORWARD_FAILURES)
def test_a_failing_forward_is_that_rows_failure_with_its_reason(tmp_path, capsys, case):
    source, expected = BROKEN[case]
    model = write_model(tmp_path, source, f"{case}.py")
    result = run_cli_json(
        capsys, "check-invariance", "--model", f"bad_{case}={model}:make", "--smiles", "C", "--trials", "1"
    )
    row = result[f"bad_{case}"]
    assert row["verdict"] == "failed" and f"model 'bad_{case}'" in row["reason"] and expected in row["reason"]
    assert result["egnn"]["verdict"] == "invariant"


def test_missing_file_and_module_and_duplicate_names(tmp_path, capsys):
    assert "no such file" in cli_error(capsys, "check-invariance", "--model", f"m={tmp_path / 'none.py'}:make")
    assert "no module named" in cli_error(capsys, "check-invariance", "--model", "m=no_such_pkg_xyz.models:make")
    model = write_model(tmp_path, INVARIANT)
    assert "given twice" in cli_error(
        capsys, "check-invariance", "--model", f"m={model}:make", "--model", f"m={model}:make"
    )


def test_help_warns_that_a_model_file_runs_code(capsys):
    assert main(["check-invariance", "--help"]) == 0
    assert "runs that Python code" in " ".join(capsys.readouterr().out.split())


def test_bad_molecule_inputs_are_one_line_errors(tmp_path, capsys):
    assert "does not parse" in cli_error(capsys, "check-invariance", "--smiles", "C1CC")
    assert "absent.xyz: no such file" in cli_error(
        capsys, "check-invariance", "--molecule-file", str(tmp_path / "absent.xyz")
    )
    ethanol = write_xyz(tmp_path / "ethanol.xyz", ETHANOL)
    assert main(["check-invariance", "--smiles", "C", "--molecule-file", str(ethanol)]) == 2  # one or the other
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_user_guide_shows_the_shipped_example_verbatim():
    assert EXAMPLE.read_text() in (REPO / "docs" / "own-models.md").read_text()
