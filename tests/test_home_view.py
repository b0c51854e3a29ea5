"""The home view direction: along the flattest axis, longest axis across, tilted, deterministic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from equiview.viewer.model.home_view import TILT_DEGREES, home_view_direction


def _assert_orthonormal(direction: np.ndarray, up: np.ndarray) -> None:
    assert np.linalg.norm(direction) == pytest.approx(1.0)
    assert np.linalg.norm(up) == pytest.approx(1.0)
    assert float(direction @ up) == pytest.approx(0.0, abs=1e-12)


def test_flat_molecule_is_seen_face_on_before_the_tilt():
    # a flat, elongated molecule in the plane z = 5: long along x, shorter along y
    rng = np.random.default_rng(0)
    positions = np.c_[rng.uniform(-4, 4, 12), rng.uniform(-1, 1, 12), np.full(12, 5.0)]
    direction, up = home_view_direction(positions)
    _assert_orthonormal(direction, up)
    # the tilt moves the view direction off the normal (z) by a fixed angle
    tilt = math.degrees(math.acos(abs(float(direction @ np.array([0.0, 0.0, 1.0])))))
    expected = math.degrees(
        math.acos(math.cos(math.radians(TILT_DEGREES[0])) * math.cos(math.radians(TILT_DEGREES[1])))
    )
    assert tilt == pytest.approx(expected, abs=1e-6)
    assert direction[2] > 0  # the camera sits on the +z side
    assert abs(up[0]) < abs(up[1])  # the longest axis (x) runs across the view, not up


def test_degenerate_inputs_fall_back_to_looking_down_z():
    reference = home_view_direction(None)
    _assert_orthonormal(*reference)
    for positions in (
        np.zeros((0, 3)),
        np.array([[0.0, 0, 0], [1.0, 0, 0]]),
        np.array([[0.0, 0, 0], [1.0, 0, 0], [2.0, 0, 0]]),
    ):  # too few atoms, or on one line
        direction, up = home_view_direction(positions)
        np.testing.assert_allclose(direction, reference[0], atol=1e-12)
        np.testing.assert_allclose(up, reference[1], atol=1e-12)


def test_result_does_not_depend_on_atom_order_or_position():
    rng = np.random.default_rng(3)
    positions = rng.normal(size=(14, 3)) * np.array([3.0, 1.5, 0.4])
    direction, up = home_view_direction(positions)
    shuffled = home_view_direction(positions[rng.permutation(14)] + np.array([10.0, -2.0, 7.0]))
    np.testing.assert_allclose(shuffled[0], direction, atol=1e-9)
    np.testing.assert_allclose(shuffled[1], up, atol=1e-9)
