"""The invariance spheres of all rows share one log colour scale (issue 18: each had its own, so the EGNN's 1e-6
looked as hot as the naive GNN's 1)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from equiview.viewer.model.sweep import InvarianceSphere, sphere_cells
from equiview.viewer.model.sweep_plot import ERROR_FLOOR, draw_spheres, sphere_norm


def sphere(low: float, high: float) -> InvarianceSphere:
    polar, azimuth = sphere_cells(4)
    errors = np.geomspace(low, high, polar.size * azimuth.size).reshape(polar.size, azimuth.size)
    return InvarianceSphere(polar, azimuth, errors)


def test_one_log_scale_spans_every_row():
    spheres = {"naive": sphere(0.53, 1.03), "egnn": sphere(1.2e-6, 2.4e-6)}
    norm = sphere_norm(spheres)
    assert norm.vmin == 1.2e-6 and norm.vmax == 1.03
    assert float(norm(2.4e-6)) < 0.1 and float(norm(0.53)) > 0.9  # the EGNN's hottest cell stays dark
    figure = Figure()
    draw_spheres(figure, spheres, {})
    bars = [axes for axes in figure.axes if axes.get_label() == "<colorbar>"]
    assert len(bars) == 2 and len({(bar.get_ylim()) for bar in bars}) == 1  # both colour bars show the same range


def test_a_lone_sphere_still_spans_a_decade_and_zeros_sit_at_the_floor():
    norm = sphere_norm({"egnn": sphere(1.2e-6, 2.4e-6)})
    assert norm.vmax == 2.4e-6 and norm.vmin <= 2.4e-7
    zeros = InvarianceSphere(*sphere_cells(4), np.zeros((4, 8)))
    assert sphere_norm({"z": zeros}).vmax == ERROR_FLOOR
