"""``equiview render``/``gui`` with ``--molecule-file``, ``--smiles`` and ``--model`` (issue 12), in subprocesses."""

from __future__ import annotations

import json

import pytest
from molecule_files_fixtures import METHANETHIOL, write_multi_xyz, write_xyz
from viewer_fixtures import ROOT, is_blank, read_png, requires_display, run_equiview

EXAMPLE = ROOT / "examples" / "schnet_model.py"
NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None}


def render_json(tmp_path, *argv: str) -> dict:
    out = tmp_path / "render.png"
    done = run_equiview("render", "--out", str(out), "--size", "480x600", "--json", *argv, env=NO_DISPLAY)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not is_blank(read_png(out))
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_render_a_sulfur_molecule_with_a_user_model(tmp_path):
    thiol = write_xyz(tmp_path / "thiol.xyz", METHANETHIOL, "methanethiol")
    result = render_json(
        tmp_path, "--molecule-file", str(thiol), "--model", f"schnet={EXAMPLE}:make_model", "--rotate", "0,0,40"
    )
    assert result["molecule"] == "methanethiol" and result["atoms"] == 6 and result["source"] == "thiol.xyz"
    for kind in ("naive", "egnn"):
        assert result["models"][kind]["verdict"] == "unsupported"
        assert result["models"][kind]["reason"] == "this model knows H, C, N, O, F; the molecule has S"
        assert result[f"{kind}_max_error"] is None
    assert result["models"]["schnet"]["max_error"] < 1e-4


def test_render_picks_a_molecule_of_a_file_and_builds_smiles(tmp_path):
    three = write_multi_xyz(tmp_path / "three.xyz")
    result = render_json(tmp_path, "--molecule-file", str(three), "--molecule", "1", "--rotate", "0,0,40")
    assert result["molecule"] == "ethanol" and result["atoms"] == 9
    assert result["models"]["egnn"]["max_error"] < 1e-4 and result["models"]["naive"]["max_error"] > 1e-3
    result = render_json(tmp_path, "--smiles", "CC(=O)O")
    assert result["atoms"] == 8 and result["source"] == "SMILES CC(=O)O"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--smiles", "C1CC"], "does not parse"),
        (["--molecule-file", "absent.xyz"], "no such file"),
        (["--model", "mine=absent.py:make"], "no such file"),
        # three models: refused before any of the files is looked at
        (["--model", "a=x.py:f", "--model", "b=y.py:g", "--model", "c=z.py:h"], "at most 4 model rows"),
    ],
)
def test_bad_molecules_and_models_are_one_line_exit_2(tmp_path, argv, expected):
    done = run_equiview("render", "--out", str(tmp_path / "x.png"), *argv, env=NO_DISPLAY, cwd=tmp_path)
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
    assert expected in lines[0]


@pytest.mark.gui
@requires_display
def test_gui_screenshot_of_four_rows_and_a_file(tmp_path):
    three = write_multi_xyz(tmp_path / "three.xyz")
    (tmp_path / "raw.py").write_text(
        "import torch\nclass Raw(torch.nn.Module):\n    def forward(self, z, pos, batch):\n        return pos + 0\n"
        "def make():\n    return Raw()\n"
    )
    out = tmp_path / "gui.png"
    done = run_equiview(
        "gui",
        "--screenshot",
        str(out),
        "--size",
        "600x750",
        "--molecule-file",
        str(three),
        "--molecule",
        "1",
        "--model",
        f"schnet={EXAMPLE}:make_model",
        "--model",
        f"raw={tmp_path / 'raw.py'}:make",
        env={"EQUIVIEW_SETTINGS": str(tmp_path / "s.ini")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    image = read_png(out)
    assert image.shape[:2] == (750, 600) and not is_blank(image)


IMATINIB = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"


def test_a_molecule_outside_the_training_data_gets_no_prediction(tmp_path):
    """The issue's finding: imatinib (37 heavy atoms) got "⟨R²⟩ predicted: −1.968e+05" beside a green badge."""
    result = render_json(tmp_path, "--smiles", IMATINIB, "--rotate", "0,0,40")
    for kind in ("naive", "egnn"):
        row = result["models"][kind]
        assert row["in_domain"] is False
        assert row["domain_problem"].startswith("outside the training data: not a prediction (37 heavy atoms")
    assert result["models"]["egnn"]["verdict"] == "invariant"  # the symmetry still holds; only the number is void
    small = render_json(tmp_path, "--smiles", "CCO")
    assert all(small["models"][kind]["in_domain"] is True for kind in ("naive", "egnn"))


@pytest.mark.parametrize("coordinate", ["1e308", "3e38"])
def test_render_of_overflowing_coordinates_is_one_line_exit_2(tmp_path, coordinate):
    """The issue's finding: 1e308 (finite in float64, inf in float32) and 3e38 printed a traceback."""
    path = tmp_path / "far.xyz"
    path.write_text(f"2\nfar\nC {coordinate} 0 0\nO 1.2 0 0\n")
    done = run_equiview("render", "--out", str(tmp_path / "x.png"), "--molecule-file", str(path), env=NO_DISPLAY)
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
    assert str(path) in lines[0] and "1e+04 Å" in lines[0]
