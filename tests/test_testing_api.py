"""equiview.testing (the root's testing.py): assert_invariant / assert_equivariant on real models, and the
pytest example in examples/ run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from equiview.core.models.registry import demo_model
from equiview.testing import assert_equivariant, assert_invariant

REPO = Path(__file__).resolve().parents[1]


class CrossProduct(nn.Module):
    """Per-atom features |x - c| and a pseudo-vector (x - c) × (x_0 - c): turns with det R."""

    def forward(self, z, pos, batch):
        centred = pos - pos.mean(dim=0)
        return centred.norm(dim=1, keepdim=True), torch.linalg.cross(centred, centred[:1].expand_as(centred))


def test_the_egnn_passes_and_the_naive_model_fails_naming_case_molecule_and_error():
    errors = assert_invariant(demo_model("egnn", seed=0), molecules=3, trials=2)
    assert set(errors) == {"rotation", "reflection", "translation"} and max(errors.values()) < 1e-4
    with pytest.raises(AssertionError) as caught:
        assert_invariant(demo_model("naive", seed=0), molecules=3, trials=2)
    message = str(caught.value)
    assert message.count("\n") == 0
    assert "not invariant: case '" in message and "molecule 'gdb_" in message and "float32" in message


def test_a_loose_tolerance_is_the_callers_choice():
    assert_invariant(demo_model("naive", seed=0), molecules=2, trials=2, atol=1e3)


def test_pseudo_vectors_pass_as_pseudo_and_fail_as_polar():
    assert_equivariant(CrossProduct(), molecules=["CCO"], trials=2, parity="pseudo", dtype="float64")
    with pytest.raises(AssertionError, match="case 'reflection'"):
        assert_equivariant(CrossProduct(), molecules=["CCO"], trials=2, parity="polar", dtype="float64")


def test_the_dipole_model_is_equivariant_and_the_callers_model_is_not_changed():
    model = demo_model("dipole", seed=0)
    assert_equivariant(model, molecules=2, trials=2, dtype=torch.float64)
    assert next(model.parameters()).dtype == torch.float32  # the float64 run used a copy


def test_the_pytest_example_passes_as_a_user_runs_it():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/test_with_equiview.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout


class Zeros(nn.Module):
    """Zero features for every atom (an untrained zero-initialised head, as PyG's DimeNet++ has by default)."""

    def forward(self, z, pos, batch):
        return torch.zeros(len(z), 4) * pos.sum()


def test_an_output_that_is_zero_everywhere_is_no_proof_of_invariance():
    with pytest.raises(AssertionError, match="every output is 0 on every molecule"):
        assert_invariant(Zeros(), molecules=2, trials=1)
