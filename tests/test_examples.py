"""The examples in examples/ run as a user runs them: forces through needs_grad, a PyG forward(data) model
through equiview.core.adapters.from_pyg (batched), each checked by check-invariance on real molecules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from molecule_files_fixtures import write_multi_xyz

from equiview.core.adapters import from_pyg, radius_edges
from equiview.core.cli import main
from equiview.core.user_models import load_user_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def check(capsys, *argv: str) -> dict:
    code = main(["check-invariance", "--trials", "2", "--json", *argv])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_forces_are_equivariant_with_needs_grad(capsys):
    result = check(capsys, "--smiles", "CC(=O)O", "--model", f"forces={EXAMPLES / 'forces_model.py'}:make_model")
    assert result["forces"]["verdict"] == "equivariant"
    assert result["forces"]["vector_parity"] == "polar"


def test_forces_without_needs_grad_fail_with_the_hint(tmp_path, capsys):
    source = (EXAMPLES / "forces_model.py").read_text().replace("    needs_grad = True", "    needs_grad = False")
    (tmp_path / "no_grad.py").write_text(source)
    result = check(capsys, "--smiles", "CCO", "--model", f"forces={tmp_path / 'no_grad.py'}:make_model")
    assert result["forces"]["verdict"] == "failed"
    assert "does not require grad" in result["forces"]["reason"] and "needs_grad = True" in result["forces"]["reason"]


def test_forces_in_the_batched_audit(tmp_path, capsys):
    out = tmp_path / "forces.jsonl"
    model = f"forces={EXAMPLES / 'forces_model.py'}:make_model"
    result = check(capsys, "--smiles", "c1ccccc1O", "--model", model, "--jsonl", str(out), "--no-progress")
    assert result["forces"]["verdict"] == "equivariant"
    assert result["forces"]["vector_max_error"] < 1e-4


def test_the_pyg_example_is_invariant_and_batched(tmp_path, capsys):
    out = tmp_path / "pyg.jsonl"
    model = f"pyg={EXAMPLES / 'pyg_model.py'}:make_model"
    molecules = write_multi_xyz(tmp_path / "three.xyz")
    result = check(capsys, "--molecule-file", str(molecules), "--model", model, "--jsonl", str(out), "--no-progress")
    assert result["pyg"]["verdict"] == "invariant" and result["molecules"] == 3
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["position"] for line in lines if line["model"] == "pyg"] == [0, 1, 2]
    assert load_user_model(model).module.batched is True


def test_from_pyg_hands_the_model_a_batch_with_a_radius_graph():
    seen = {}

    class Spy(torch.nn.Module):
        def forward(self, data):
            seen["graphs"], seen["edges"] = data.num_graphs, data.edge_index.shape[1]
            return data.pos.norm(dim=1, keepdim=True)

    pos = torch.tensor([[0.0, 0, 0], [1.0, 0, 0], [9.0, 0, 0], [0.0, 0, 0], [0.0, 2.0, 0]])
    batch = torch.tensor([0, 0, 0, 1, 1])
    from_pyg(Spy(), cutoff=5.0)(torch.ones(5, dtype=torch.long), pos, batch)
    assert seen == {"graphs": 2, "edges": 4}  # 0-1 and 3-4, both ways; atom 2 is 8 Å away, nothing across molecules
    assert radius_edges(pos, batch, 5.0).tolist() == [[0, 1, 3, 4], [1, 0, 4, 3]]
    with pytest.raises(ValueError):
        from_pyg(Spy(), cutoff=0.0)


def test_the_e3nn_example_is_equivariant_block_by_block(tmp_path, capsys):
    out = tmp_path / "e3nn.jsonl"
    model = f"e3nn={EXAMPLES / 'e3nn_model.py'}:make_model"
    result = check(capsys, "--smiles", "CC(=O)N", "--model", model, "--jsonl", str(out), "--no-progress")
    row = result["e3nn"]
    assert row["verdict"] == "equivariant" and row["vector_max_error"] < 1e-4
    assert {label: item["verdict"] for label, item in row["irreps"].items()} == {
        "0e": "equivariant",
        "1o": "equivariant",
        "2e": "equivariant",
    }
    line = json.loads(out.read_text().splitlines()[-1])
    assert line["model"] == "e3nn" and set(line["irreps"]) == {"0e", "1o", "2e"}


def test_a_wrong_parity_is_caught_in_its_block(tmp_path, capsys):
    """Declaring the l = 1 block even ("1e") is wrong for vectors r_ij: reflections break exactly that block."""
    source = (EXAMPLES / "e3nn_model.py").read_text().replace('IRREPS = "8x0e+8x1o+8x2e"', 'IRREPS = "8x0e+8x1e+8x2e"')
    (tmp_path / "wrong.py").write_text(source)
    model = f"wrong={tmp_path / 'wrong.py'}:make_model"
    result = check(capsys, "--smiles", "CCO", "--model", model, "--jsonl", str(tmp_path / "w.jsonl"), "--no-progress")
    row = result["wrong"]
    assert row["verdict"] == "changed"
    assert row["irreps"]["1e"]["verdict"] == "changed" and row["irreps"]["2e"]["verdict"] == "equivariant"


def test_assert_equivariant_checks_irreps():
    from equiview.testing import assert_equivariant

    spec = __import__("importlib.util").util.spec_from_file_location("e3nn_example", EXAMPLES / "e3nn_model.py")
    module = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(module)
    errors = assert_equivariant(module.make_model(), molecules=["CCO"], trials=2)
    assert "irreps_2e_rotation" in errors


def test_the_mace_example_features_irreps_and_forces(tmp_path, capsys):
    """A real (small, randomly initialised) MACE from mace-torch: scalars invariant, the 1o block equivariant,
    MACE's own compute_force forces equivariant; without needs_grad its forces fail with the hint."""
    model = f"mace={EXAMPLES / 'mace_model.py'}:make_model"
    result = check(capsys, "--smiles", "CCO", "--model", model, "--jsonl", str(tmp_path / "m.jsonl"), "--no-progress")
    row = result["mace"]
    assert row["verdict"] == "equivariant" and row["vector_max_error"] < 1e-4
    assert {label: item["verdict"] for label, item in row["irreps"].items()} == {
        "0e": "equivariant",
        "1o": "equivariant",
    }
    source = (EXAMPLES / "mace_model.py").read_text().replace("    needs_grad = True", "    needs_grad = False")
    (tmp_path / "no_grad.py").write_text(source)
    model = f"mace={tmp_path / 'no_grad.py'}:make_model"
    result = check(capsys, "--smiles", "CCO", "--model", model, "--jsonl", str(tmp_path / "n.jsonl"), "--no-progress")
    assert result["mace"]["verdict"] == "failed" and "needs_grad = True" in result["mace"]["reason"]


def test_the_dimenet_plus_plus_example_is_invariant_with_outputs_that_vary(tmp_path, capsys):
    """PyG's DimeNet++ (radius graph from from_pyg, triplets in plain torch) on three molecules: invariant, and not
    because its outputs are zero (PyG's default output initialiser)."""
    molecules = write_multi_xyz(tmp_path / "three.xyz")
    model = f"dimenet={EXAMPLES / 'dimenet_model.py'}:make_model"
    result = check(capsys, "--molecule-file", str(molecules), "--model", model, "--no-progress")
    assert result["dimenet"]["verdict"] == "invariant" and "zero_output" not in result["dimenet"]


def test_the_triplets_in_plain_torch_are_every_path_k_j_i_with_k_not_i():
    import importlib.util

    spec = importlib.util.spec_from_file_location("dimenet_model", EXAMPLES / "dimenet_model.py")
    dimenet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dimenet)
    edges = torch.tensor([[0, 1, 1, 2, 0, 2, 3, 1], [1, 0, 2, 1, 2, 0, 1, 3]])  # j -> i, a triangle and a tail
    i, j, idx_i, idx_j, idx_k, idx_kj, idx_ji = dimenet.triplets(edges, 4)
    assert torch.equal(i, edges[1]) and torch.equal(j, edges[0])
    found = sorted(zip(idx_k.tolist(), idx_j.tolist(), idx_i.tolist()))
    expected = sorted(
        (int(k), int(e_j), int(e_i))
        for e_j, e_i in edges.T
        for k, target in edges.T
        if int(target) == int(e_j) and int(k) != int(e_i)
    )
    assert found == expected
    assert torch.equal(edges[0, idx_kj], idx_k) and torch.equal(edges[1, idx_kj], idx_j)  # edge kj is k -> j
    assert torch.equal(edges[0, idx_ji], idx_j) and torch.equal(edges[1, idx_ji], idx_i)  # edge ji is j -> i
