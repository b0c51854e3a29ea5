"""check-invariance gives every row a verdict that user code cannot corrupt (issue 18).

Each test reproduces one finding of the issue: an aliased output buffer read as "invariant 0.0", SystemExit and
prints from a user's forward, reserved names, wrong attribute types, pseudo-vectors, overflowing coordinates, and
``--require-invariant`` as a CI gate.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest
from molecule_files_fixtures import ETHANOL, write_xyz

from equiview.core.cli import main

# Reads raw x coordinates into ONE persistent float64 buffer and returns it: without a copy, h(x) is overwritten by
# h(g·x) and the error reads 0.0.
ALIASED = """
import torch
class Aliased(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.buf = None
    def forward(self, z, pos, batch):
        if self.buf is None or self.buf.shape[0] != len(z):
            self.buf = torch.zeros(len(z), 1, dtype=torch.float64)
        self.buf.copy_(pos[:, :1].double())
        return self.buf
def make():
    return Aliased()
"""

FRESH = ALIASED.replace("return self.buf", "return self.buf.clone()")

EXITS = """
import sys, torch
class Exits(torch.nn.Module):
    def forward(self, z, pos, batch):
        sys.exit(0)
def make():
    return Exits()
"""

PRINTS = """
import torch
print("hello from the import")
class Prints(torch.nn.Module):
    def forward(self, z, pos, batch):
        print("hello from forward")
        d = torch.cdist(pos.double(), pos.double())
        return torch.exp(-d).sum(1, keepdim=True).float()
def make():
    return Prints()
"""

# SE(3)-equivariant pseudo-vectors: sum of cross products of centred positions (a pseudo-vector, like an angular
# momentum). Rotations and translations keep v -> R v; a reflection gives det(R) R v = -R v.
PSEUDO = """
import torch
class Pseudo(torch.nn.Module):
    vector_parity = {parity!r}
    def forward(self, z, pos, batch):
        p = pos.double() - pos.double().mean(dim=0)
        d = torch.cdist(p, p)
        w = torch.exp(-d)
        neighbour = (w[:, :, None] * p[None, :, :]).sum(1)
        vectors = torch.cross(p, neighbour, dim=-1)
        return d.sum(1, keepdim=True).float(), vectors.float()
def make():
    return Pseudo()
"""


def write(tmp_path: Path, source: str, name: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return f"{name}={path}:make"


def run_json(capsys, *argv: str, code: int = 0) -> dict:
    assert main([*argv, "--json"]) == code
    out = capsys.readouterr().out
    return json.loads(out)


def test_an_aliased_output_buffer_is_not_a_false_invariant(tmp_path, capsys):
    result = run_json(
        capsys,
        "check-invariance",
        "--model",
        write(tmp_path, FRESH, "fresh"),
        "--model",
        write(tmp_path, ALIASED, "aliased"),
        "--smiles",
        "CCO",
        "--trials",
        "2",
    )
    assert result["fresh"]["verdict"] == result["aliased"]["verdict"] == "changed"
    assert result["aliased"]["rotation"] == pytest.approx(result["fresh"]["rotation"], rel=1e-12)
    assert result["aliased"]["rotation"] > 0.1


def test_a_forward_that_exits_is_that_rows_failure_and_the_others_are_checked(tmp_path, capsys):
    result = run_json(
        capsys, "check-invariance", "--model", write(tmp_path, EXITS, "exits"), "--smiles", "CCO", "--trials", "1"
    )
    assert result["exits"]["verdict"] == "failed"
    assert "raised SystemExit" in result["exits"]["reason"]
    assert result["egnn"]["verdict"] == "invariant" and result["naive"]["verdict"] == "changed"


def test_a_failed_row_fails_require_invariant_with_its_reason(tmp_path, capsys):
    spec = write(tmp_path, EXITS, "exits")
    assert (
        main(["check-invariance", "--model", spec, "--smiles", "C", "--trials", "1", "--require-invariant", "all"]) == 1
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert [line.split(":")[0] for line in err] == ["naive", "naive-dipole", "exits"]
    assert err[-1].startswith("exits: failed: model 'exits'")


def test_what_user_code_prints_goes_to_stderr_and_the_json_stays_whole(tmp_path, capsys):
    assert (
        main(
            [
                "check-invariance",
                "--model",
                write(tmp_path, PRINTS, "talky"),
                "--smiles",
                "C",
                "--trials",
                "1",
                "--json",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    json.loads(captured.out)
    assert "hello from the import" in captured.err and "hello from forward" in captured.err


@pytest.mark.parametrize("name", ["dipole", "naive-dipole", "egnn", "naive", "all", "dtype"])
def test_built_in_row_names_are_reserved(tmp_path, capsys, name):
    spec = write(tmp_path, PRINTS, "talky").replace("talky=", f"{name}=", 1)
    assert main(["check-invariance", "--model", spec, "--smiles", "C", "--trials", "1"]) == 2
    assert "is taken" in capsys.readouterr().err


def test_every_built_in_kind_is_reserved():
    from equiview.core.models.registry import MODEL_KINDS
    from equiview.core.user_models import RESERVED_NAMES

    assert set(MODEL_KINDS) <= set(RESERVED_NAMES)


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("known_elements = 5", "known_elements is a int"),
        ("known_elements = 'CHO'", "known_elements is a str"),
        ("known_elements = [None]", "which is not an element"),
        ("vector_parity = 'axial'", "vector_parity is 'axial'"),
        ("vector_parity = 1", "vector_parity is 1"),
    ],
)
def test_wrong_attribute_types_are_one_line_errors(tmp_path, capsys, attribute, expected):
    source = PRINTS.replace('print("hello from the import")\n', "").replace(
        "class Prints(torch.nn.Module):", f"class Prints(torch.nn.Module):\n    {attribute}"
    )
    assert (
        main(["check-invariance", "--model", write(tmp_path, source, "typed"), "--smiles", "C", "--trials", "1"]) == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0] and "model 'typed'" in err[0]


def test_declared_pseudo_vectors_are_equivariant_and_polar_ones_fail_only_reflections(tmp_path, capsys):
    argv = ["check-invariance", "--smiles", "CC(=O)NC", "--trials", "3"]
    pseudo = run_json(capsys, *argv, "--model", write(tmp_path, PSEUDO.format(parity="pseudo"), "spin"))["spin"]
    assert pseudo["verdict"] == "equivariant" and pseudo["vector_parity"] == "pseudo"
    assert pseudo["vector_max_error"] < 1e-4
    polar = run_json(capsys, *argv, "--model", write(tmp_path, PSEUDO.format(parity="polar"), "spin"))["spin"]
    assert polar["verdict"] == "changed" and polar["too_large_for"] == ["vector_reflection"]
    assert polar["vector_rotation"] < 1e-4 and polar["vector_translation"] < 1e-4
    assert polar["vector_reflection"] > 1e3 * polar["vector_rotation"] and polar["vector_reflection"] > 0.01


@pytest.mark.parametrize("coordinate", ["1e308", "3e38", "2e4", "nan"])
def test_coordinates_beyond_the_bound_are_one_line_errors(tmp_path, capsys, coordinate):
    atoms = [(s, *xyz) for s, *xyz in ETHANOL]
    atoms[0] = (atoms[0][0], float(coordinate), atoms[0][2], atoms[0][3])
    path = write_xyz(tmp_path / "far.xyz", atoms, "far")
    assert main(["check-invariance", "--molecule-file", str(path), "--trials", "1", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0]


def test_require_invariant_is_a_ci_gate(capsys):
    argv = ["check-invariance", "--molecules", "2", "--trials", "2"]
    assert main([*argv, "--require-invariant", "egnn", "--require-invariant", "dipole"]) == 0
    capsys.readouterr()
    assert main([*argv, "--require-invariant", "naive", "--json"]) == 1
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert captured.err.strip().splitlines() == ["naive: too large for: rotation, reflection, translation"]
    assert result["naive"]["verdict"] == "changed" and result["egnn"]["verdict"] == "invariant"
    assert result["dipole"]["verdict"] == "equivariant" and result["naive-dipole"]["verdict"] == "changed"
    worst = result["naive"]["worst"]
    assert worst["error"] == result["naive"]["max_error"] and worst["case"] in ("rotation", "reflection", "translation")
    assert len(worst["rotation"]) == 3 and len(worst["translation"]) == 3
    assert main([*argv, "--require-invariant", "nosuchrow"]) == 2


def test_float64_reaches_float64_rounding(capsys):
    result = run_json(capsys, "check-invariance", "--molecules", "2", "--trials", "2", "--dtype", "float64")
    assert result["dtype"] == "float64"
    assert result["egnn"]["verdict"] == "invariant" and result["egnn"]["max_error"] < 1e-11
    assert result["dipole"]["vector_max_error"] < 1e-11 and result["naive"]["verdict"] == "changed"
    assert all(math.isfinite(result["naive"][case]) for case in ("rotation", "reflection", "translation"))


def test_help_states_the_one_tolerance_policy(capsys):
    from equiview.core.equivariance import TOLERANCE_TEXT

    assert main(["check-invariance", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert " ".join(TOLERANCE_TEXT.split()) in text
    assert "--dtype" in text and "--require-invariant" in text and "docs/verdicts.md" in text
