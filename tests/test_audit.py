"""Batched audits (core/audit.py, check-invariance --split/--jsonl): many molecules × poses per forward pass.

The batched numbers must be the engine's numbers: per molecule the same as one molecule at a time, every molecule
reported exactly once, and the worst pose reopenable with the printed ``equiview gui`` command.
"""

from __future__ import annotations

import json
import shlex

import pytest
import torch
from molecule_files_fixtures import METHANETHIOL, write_multi_xyz, write_xyz

from equiview.core import audit
from equiview.core import equivariance as engine
from equiview.core.cli import main
from equiview.core.embeddings import encode
from equiview.core.models.registry import demo_model
from equiview.core.molecule_files import read_molecule_file

BATCH_AWARE = """
import torch
class Centred(torch.nn.Module):
    batched = True
    seen = []
    def forward(self, z, pos, batch):
        Centred.seen.append(int(batch.max()) + 1)
        count = int(batch.max()) + 1
        centre = torch.zeros(count, 3).index_add_(0, batch, pos) / torch.bincount(batch, minlength=count)[:, None]
        return pos - centre[batch]  # coordinates about each molecule's centroid: translation invariant only
def make():
    return Centred()
"""


def test_molecule_errors_equal_the_engine_called_once_per_molecule():
    generator = torch.Generator().manual_seed(0)
    molecule = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    h_x = torch.randn(9, 4, generator=generator)
    h_gx = h_x + 1e-3 * torch.randn(6, 9, 4, generator=generator)
    h_gx[2, 4, 1] = torch.nan  # a NaN in molecule 1 of pose 2 stays there
    errors = engine.molecule_feature_errors(h_x, h_gx, molecule, 3)
    scales = engine.molecule_output_scales(h_x, molecule, 3)
    for m in range(3):
        rows = molecule == m
        expected = engine.feature_errors(h_x[rows], h_gx[:, rows])
        assert torch.equal(errors[m].isnan(), expected.isnan())
        assert torch.equal(errors[m].nan_to_num(-1.0), expected.nan_to_num(-1.0))
        assert scales[m] == engine.output_scale(h_x[rows])
    assert errors[1, 2].isnan() and not errors[0].isnan().any()


def test_molecule_vector_errors_equal_the_engine_called_once_per_molecule():
    generator = torch.Generator().manual_seed(1)
    poses = audit.audit_poses(2, seed=3)
    moved = engine.Poses(poses.rotations[1:], poses.translations[1:])
    molecule = torch.tensor([0, 1, 1, 2])
    v_x = torch.randn(4, 3, generator=generator, dtype=torch.float64)
    v_gx = engine.expected_vectors(v_x, moved, "pseudo") + 1e-4 * torch.randn(len(moved), 4, 3, generator=generator)
    errors = engine.molecule_vector_errors(v_x, v_gx, moved, molecule, 3, "pseudo")
    for m in range(3):
        rows = molecule == m
        assert torch.equal(errors[m], engine.vector_errors(v_x[rows], v_gx[:, rows], moved, "pseudo"))


@pytest.fixture(scope="module")
def small_audit():
    molecules = audit.qm9_molecules(audit.split_indices("test")[:12])
    subjects = audit.builtin_subjects((), 0, torch.device("cpu"), torch.float32, kinds=("naive", "egnn", "dipole"))
    run = audit.Audit(subjects, molecules, audit.audit_poses(2, seed=0), torch.device("cpu"), graphs_per_forward=40)
    return run, list(run.run())


def test_every_molecule_and_model_is_reported_once(small_audit):
    run, results = small_audit
    keys = [(k, subject.name) for k, subject, _ in results]
    assert sorted(keys) == sorted((k, name) for k in range(12) for name in ("naive", "egnn", "dipole"))


def test_batched_errors_are_the_one_molecule_errors(small_audit):
    """The naive model's batched errors per molecule and pose match a forward pass of that molecule alone."""
    run, results = small_audit
    model = demo_model("naive", seed=0).eval()
    naive = {k: result for k, subject, result in results if subject.name == "naive"}
    for k in (0, 5, 11):
        data = run.molecules.collate([k])
        h_x = encode(model, data)
        h_gx = torch.stack([encode(model, _posed(data, run.element(k, b))) for b in range(1, len(run.poses))])
        alone = engine.feature_errors(h_x, h_gx)
        batched = naive[k].features.errors
        assert torch.allclose(batched, alone, rtol=1e-3, atol=1e-5), (k, batched, alone)
        assert float(alone.max()) > 1e-3  # the naive model really changes: the comparison is not of zeros


def _posed(data, g):
    moved = data.clone()
    moved.pos = g.apply(data.pos.to(torch.float64)).to(torch.float32)
    return moved


def test_verdicts_per_model(small_audit):
    _, results = small_audit
    verdicts = {(subject.name, result.verdict) for _, subject, result in results}
    assert verdicts == {("naive", "changed"), ("egnn", "invariant"), ("dipole", "equivariant")}


def test_the_gui_command_reopens_the_worst_pose(small_audit):
    from equiview.core.transforms import E3Transform
    from equiview.viewer.cli import build_full_parser, join_negative_values

    run, results = small_audit
    by_model: dict = {}
    for k, subject, result in results:
        by_model.setdefault(subject.name, []).append((k, result))
    report = audit.summarize(run, by_model, worst=2)
    item = report["naive"]["worst_molecules"][0]
    words = shlex.split(item["gui"])
    assert words[:2] == ["equiview", "gui"]
    args = build_full_parser().parse_args(join_negative_values(words[1:]))
    k = item["position"]
    result = dict(by_model["naive"])[k]
    worst = run.element(k, result.features.worst_pose + 1)
    centre = run.molecules.collate([k]).pos.to(torch.float64).mean(dim=0)
    rx, ry, rz = (float(v) for v in args.rotate.split(","))
    shift = [float(v) for v in args.translate.split(",")] if args.translate else [0.0, 0.0, 0.0]
    reopened = E3Transform.from_view(rx, ry, rz, shift, reflect=args.reflect, center=centre)
    assert args.molecule == item["molecule"]
    assert reopened.allclose(worst, atol=1e-3)


def test_check_invariance_jsonl_for_a_molecule_file(tmp_path, capsys):
    """Every molecule × model is one line; the model that knows QM9's elements marks the thiol unsupported."""
    molecules = write_multi_xyz(tmp_path / "three.xyz")
    model = tmp_path / "centred.py"
    model.write_text(BATCH_AWARE)
    out = tmp_path / "audit.jsonl"
    code = main(
        ["check-invariance", "--molecule-file", str(molecules), "--trials", "2", "--jsonl", str(out), "--json"]
        + ["--model", f"centred={model}:make", "--no-progress"]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 3 * 5  # water, ethanol, methanethiol × four built-in kinds and the user's model
    assert {(line["position"], line["model"]) for line in lines} == {
        (k, name) for k in range(3) for name in ("naive", "egnn", "naive-dipole", "dipole", "centred")
    }
    centred = [line for line in lines if line["model"] == "centred"]
    assert {line["verdict"] for line in centred} == {"changed"}
    assert all(line["translation"] < 1e-4 < line["rotation"] for line in centred)
    thiol = next(line for line in lines if line["position"] == 2 and line["model"] == "egnn")
    assert thiol["verdict"] == "unsupported" and "S" in thiol["reason"]
    assert summary["centred"]["verdict"] == "changed" and summary["egnn"]["verdict"] == "invariant"
    assert summary["egnn"]["skipped"] == 1
    assert "--model" in summary["centred"]["worst_molecules"][0]["gui"]


def test_a_batched_user_model_gets_real_batch_vectors(tmp_path):
    from equiview.core.user_models import load_user_model

    model_file = tmp_path / "centred.py"
    model_file.write_text(BATCH_AWARE)
    user = load_user_model(f"centred={model_file}:make")
    thiol = read_molecule_file(write_xyz(tmp_path / "thiol.xyz", METHANETHIOL, "thiol"))
    molecules = audit.structure_molecules(list(thiol) * 4)
    run = audit.Audit(
        [audit.user_subject(user, torch.device("cpu"), torch.float32)],
        molecules,
        audit.audit_poses(1, seed=0),
        torch.device("cpu"),
    )
    list(run.run())
    assert type(user.module).seen == [4 * 5]  # one forward: 4 molecules × (x and 4 poses)


def test_a_user_model_that_raises_is_that_rows_failure(tmp_path, capsys):
    model = tmp_path / "broken.py"
    model.write_text(
        "import torch\n"
        "class Broken(torch.nn.Module):\n"
        "    def forward(self, z, pos, batch):\n"
        "        print('noise on stdout')\n"
        "        raise RuntimeError('element 0 of tensors does not require grad')\n"
        "def make():\n"
        "    return Broken()\n"
    )
    out = tmp_path / "audit.jsonl"
    code = main(
        ["check-invariance", "--smiles", "CCO", "--trials", "1", "--jsonl", str(out), "--json", "--no-progress"]
        + ["--model", f"broken={model}:make"]
    )
    captured = capsys.readouterr()
    summary = json.loads(captured.out)  # the user's print went to stderr: stdout is equiview's JSON alone
    assert code == 0
    assert summary["broken"]["verdict"] == "failed" and "does not require grad" in summary["broken"]["reason"]
    broken = [json.loads(line) for line in out.read_text().splitlines() if '"broken"' in line]
    assert [line["verdict"] for line in broken] == ["failed"]


LAYERED = """
import torch
class Layered(torch.nn.Module):
    layers = ["embed", "distances", "coordinates"]
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(10, 4)
        self.distances = torch.nn.Linear(1, 4)
        self.coordinates = torch.nn.Linear(3, 4)
    def forward(self, z, pos, batch):
        h = self.embed(z)
        h = h + self.distances((pos - pos.mean(dim=0)).norm(dim=1, keepdim=True))
        return h + self.coordinates(pos)  # the raw coordinates: invariance breaks here
def make():
    return Layered()
"""


def test_layers_name_the_first_breaking_layer(tmp_path, capsys):
    model = tmp_path / "layered.py"
    model.write_text(LAYERED)
    out = tmp_path / "layers.jsonl"
    code = main(
        ["check-invariance", "--smiles", "CCO", "--trials", "1", "--layers", "--json", "--jsonl", str(out)]
        + ["--model", f"layered={model}:make", "--no-progress"]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["naive"]["first_breaking_layer"] == "f_pos_embed"
    assert summary["egnn"]["first_breaking_layer"] is None
    assert [item["name"] for item in summary["egnn"]["layers"]][:2] == ["f_initial_embed", "message_passing_layers.0"]
    assert [(item["name"], item["verdict"]) for item in summary["layered"]["layers"]] == [
        ("embed", "invariant"),
        ("distances", "invariant"),
        ("coordinates", "changed"),
    ]
    assert summary["layered"]["first_breaking_layer"] == "coordinates"
    line = next(json.loads(text) for text in out.read_text().splitlines() if '"layered"' in text)
    assert line["first_breaking_layer"] == "coordinates" and len(line["layers"]) == 3


def test_a_layer_name_that_is_no_submodule_is_that_rows_failure(tmp_path, capsys):
    model = tmp_path / "layered.py"
    model.write_text(LAYERED.replace('"coordinates"]', '"nowhere"]'))
    code = main(
        ["check-invariance", "--smiles", "CCO", "--trials", "1", "--layers", "--json"]
        + ["--model", f"layered={model}:make", "--no-progress"]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["layered"]["verdict"] == "failed" and "'nowhere'" in summary["layered"]["reason"]


def test_a_molecule_far_from_the_origin_reopens_within_the_windows_translation_range(tmp_path, capsys):
    """g acts about each molecule's centroid (as the window's sliders do): a molecule 60 Å from the origin gets
    gui commands whose --translate is the audit's own t (|t| ≤ 9.5 Å), not t − c + R c (up to 120 Å, refused)."""
    from molecule_files_fixtures import ETHANOL

    far = [(element, x + 60.0, y - 40.0, z + 25.0) for element, x, y, z in ETHANOL]
    molecule = write_xyz(tmp_path / "far.xyz", far, "far")
    code = main(["check-invariance", "--molecule-file", str(molecule), "--trials", "3", "--json", "--no-progress"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    commands = [
        item["gui"] for row in summary.values() if isinstance(row, dict) for item in row.get("worst_molecules", [])
    ]
    assert commands
    for command in commands:
        words = shlex.split(command)
        translate = next(
            (
                w.split("=", 1)[1] if "=" in w else words[i + 1]
                for i, w in enumerate(words)
                if w.startswith("--translate")
            ),
            "0,0,0",
        )
        assert max(abs(float(v)) for v in translate.split(",")) <= audit.MAX_TRANSLATION + 1e-6, command


def test_the_gui_command_of_a_smiles_molecule_names_the_smiles(capsys):
    """A SMILES audit's worst molecule reopens from the same SMILES, not as QM9's molecule 0."""
    assert main(["check-invariance", "--smiles", "CCO", "--trials", "1", "--json", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    words = shlex.split(summary["naive"]["worst"]["gui"])
    assert words[words.index("--smiles") + 1] == "CCO" and "--molecule" not in words


ZEROS = """
import torch
class Zeros(torch.nn.Module):
    def forward(self, z, pos, batch):
        return torch.zeros(len(z), 4) * pos.sum()
def make():
    return Zeros()
"""


def test_a_row_whose_output_is_zero_everywhere_is_flagged_and_fails_require_invariant(tmp_path, capsys):
    """Zeros compare equal in every pose: the row is invariant, says that this shows nothing, and a test suite
    that requires it invariant fails (one line on stderr)."""
    model = tmp_path / "zeros.py"
    model.write_text(ZEROS)
    argv = ["check-invariance", "--molecules", "2", "--trials", "1", "--model", f"zeros={model}:make", "--no-progress"]
    assert main([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["zeros"]["verdict"] == "invariant" and summary["zeros"]["zero_output"] is True
    assert "zero_output" not in summary["egnn"]
    assert main([*argv, "--require-invariant", "egnn"]) == 0
    captured = capsys.readouterr()
    assert "but every output is 0 on every molecule" in captured.out
    assert main([*argv, "--require-invariant", "zeros"]) == 1
    assert capsys.readouterr().err.strip() == f"zeros: {audit.ZERO_OUTPUT_NOTE}"
