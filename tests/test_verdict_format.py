"""max|Δh| is printed one way everywhere: the badge in the view, the readouts, the vector titles."""

from __future__ import annotations

import pytest

from equiview.viewer.model.verdict import Verdict, format_change


@pytest.mark.parametrize(
    ("error", "text"),
    [(9.5e-7, "9.5e-07"), (0.6, "0.600"), (0.462, "0.462"), (0.0123, "0.0123"), (35.9, "35.9"), (123.4, "123")],
)
def test_three_significant_digits_with_their_zeros(error, text):
    assert format_change(error) == text


def test_the_badge_uses_the_same_format():
    assert Verdict("changed", 0.6).text == "changed: max|Δh| = 0.600"
    assert Verdict("invariant", 9.5e-7).text == "invariant: 9.5e-07"
