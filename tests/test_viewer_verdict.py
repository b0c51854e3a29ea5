"""The viewer's verdict (viewer.model.verdict) judged by the engine's one tolerance, on both sides of each bound."""

from __future__ import annotations

import math

import pytest

from equiview.core.equivariance import TOLERANCES
from equiview.viewer.model.snapshot import TransformParams
from equiview.viewer.model.verdict import VERDICT_COLOURS, Verdict, verdict, within_tolerance

MOVED = TransformParams(rz=45.0)
F32 = TOLERANCES["float32"]


@pytest.mark.parametrize("scale", [0.0, 1.0, 1e3, 1e5])
def test_features_on_both_sides_of_the_bound(scale):
    bound = F32.absolute + F32.relative * scale
    assert within_tolerance(bound * 0.999, scale) and not within_tolerance(bound * 1.001, scale)
    assert verdict(bound * 0.999, MOVED, scale).kind == "invariant"
    assert verdict(bound * 1.001, MOVED, scale).kind == "changed"


def test_the_identity_is_never_called_invariant():
    judged = verdict(0.0, TransformParams(), 1.0)
    assert (judged.kind, judged.text) == ("identity", "identity: move a slider")
    assert verdict(5.0, TransformParams(), 1.0).kind == "identity"  # nothing moved: nothing to judge
    assert verdict(0.0, TransformParams(tx=1e-9), 1.0).kind == "invariant"  # any move is judged


def test_vectors_turn_an_invariant_row_into_changed_or_equivariant():
    ok = verdict(1e-6, MOVED, 1.0, vector_error=1e-6, vector_scale=10.0)
    assert (ok.kind, ok.text) == ("equivariant", "equivariant: 1.0e-06")
    bad = verdict(1e-6, MOVED, 1.0, vector_error=0.38, vector_scale=0.19)
    assert (bad.kind, bad.text) == ("changed", "changed: max|v(g·x) − R·v(x)| = 0.380")
    both = verdict(0.5, MOVED, 1.0, vector_error=0.38, vector_scale=0.19)
    assert both.text == "changed: max|Δh| = 0.500"  # the features fail first: their number is shown
    # the vector bound grows with the vectors' size, not the features'
    bound = F32.absolute + F32.relative * 1e4
    assert verdict(0.0, MOVED, 0.0, vector_error=bound * 0.999, vector_scale=1e4).kind == "equivariant"
    assert verdict(0.0, MOVED, 1e4, vector_error=bound * 1.001, vector_scale=1e4).kind == "changed"


def test_nan_is_changed():
    assert verdict(math.nan, MOVED, 1.0).kind == "changed"
    assert verdict(0.0, MOVED, 1.0, vector_error=math.nan, vector_scale=1.0).kind == "changed"
    assert not within_tolerance(math.nan, 1.0)


def test_colours_and_hex():
    assert Verdict("changed", 1.0).hex_colour == "#c2400d"  # 255 x (0.76, 0.25, 0.05), rounded
    assert Verdict("invariant", 0.0).hex_colour == "#1a8038" == Verdict("equivariant", 0.0).hex_colour
    assert Verdict("identity", 0.0).colour == VERDICT_COLOURS["identity"]


def test_defaults_and_the_numbers_kept_in_the_verdict():
    assert verdict(1.5e-4, MOVED).kind == "changed"  # default scale 1: bound 1.1e-4
    assert verdict(1.05e-4, MOVED).kind == "invariant"
    assert verdict(0.0, MOVED, 0.0, vector_error=0.95e-4).kind == "equivariant"  # default vector scale 0: 1e-4
    assert verdict(0.0, MOVED, 0.0, vector_error=1.05e-4).kind == "changed"
    kept = verdict(2e-6, MOVED, 1.0, vector_error=3e-6, vector_scale=1.0)
    assert (kept.max_error, kept.vector_error) == (2e-6, 3e-6)
    still = verdict(2e-6, TransformParams(), 1.0, vector_error=3e-6)
    assert (still.kind, still.max_error, still.vector_error) == ("identity", 2e-6, 3e-6)
    assert within_tolerance(1.0e-4, 0.0) and not within_tolerance(1.0e-4 + 1e-9, 0.0)  # float32 policy


def test_format_change_switches_at_one_hundredth():
    from equiview.viewer.model.verdict import format_change

    assert format_change(0.01) == "0.0100" and format_change(0.00999) == "1.0e-02"
    assert format_change(100.0) == "100"  # "100." loses its trailing point


def test_an_output_that_is_zero_everywhere_is_no_green_invariant():
    """h(x) = 0 on every atom: h(g·x) = 0 too, invariant and meaningless; the badge says so in the neutral grey."""
    zero = verdict(0.0, MOVED, 0.0)
    assert zero.kind == "invariant" and zero.zero_output
    assert zero.text == "invariant, but the output is 0 on every atom: nothing to compare"
    assert zero.colour == VERDICT_COLOURS["identity"]
    assert not verdict(0.0, MOVED, 1e-6).zero_output  # any output at all is judged as usual
    assert verdict(0.0, MOVED, 1e-6).colour == VERDICT_COLOURS["invariant"]
    assert not verdict(0.0, MOVED, 0.0, vector_error=0.0, vector_scale=2.0).zero_output  # the vectors say something
    assert verdict(1.0, MOVED, 0.0).kind == "changed"  # zeros that become non-zero are a change


def test_a_failing_irreps_block_makes_the_row_changed_and_is_named():
    """An irreps output passes only when every block passes; the badge names the first block that does not."""
    passing = {"0e": (1e-6, True), "1o": (2e-6, True)}
    assert verdict(1e-6, MOVED, 1.0, blocks=passing).kind == "equivariant"
    failing = {"0e": (1e-6, True), "1o": (0.3, False), "2e": (0.5, False)}
    judged = verdict(1e-6, MOVED, 1.0, blocks=failing)
    assert judged.kind == "changed" and judged.failed_block == ("1o", 0.3) and judged.max_error == 1e-6
    assert judged.text == "changed: 1o block max|h(g·x) − D(g)·h(x)| = 0.300"
    assert judged.colour == VERDICT_COLOURS["changed"]
    with_vectors = verdict(1e-6, MOVED, 1.0, vector_error=2e-6, vector_scale=1.0, blocks=failing)
    assert with_vectors.kind == "changed" and with_vectors.vector_error == 2e-6  # the readouts still show it


def test_zero_features_with_zero_vectors_are_no_proof_either():
    assert verdict(0.0, MOVED, 0.0, vector_error=0.0, vector_scale=0.0).zero_output
    assert verdict(0.0, MOVED, 0.0, vector_error=0.0, vector_scale=0.0).kind == "equivariant"


def test_the_default_scale_is_one():
    between = F32.absolute + F32.relative * 1.5  # above the bound at scale 1, below it at scale 2
    assert verdict(between, MOVED).kind == "changed"
    assert verdict(between, MOVED, 2.0).kind == "invariant"
