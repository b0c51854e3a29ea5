"""Figures of a sweep (``equiview sweep --plot``) and of the invariance sphere (``--sphere N --plot``).

Explicit matplotlib ``Figure`` objects on the Agg canvas (no pyplot state), so they work in a headless
process; the viewer shows the sphere figure in its panel through matplotlib's Qt canvas.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

if TYPE_CHECKING:  # the figures only read the results: importing the sweep (and torch) is not needed
    from equiview.viewer.model.sweep import InvarianceSphere, Sweep, Unavailable


ERROR_FLOOR = 1e-9
"""max|Δh| is drawn on a log axis: exact zeros (float32 rounding can give them) are shown at this floor."""

SPHERE_MIN_DECADES = 1.0
"""The shared sphere colour scale spans at least this many decades, so rounding noise alone (a factor 2 around
1e-6) does not fill the whole colour range."""


def save_figure(figure: Figure, path: str | Path) -> None:
    """Write ``figure`` to ``path`` all at once (:func:`equiview.core.atomic.write_with`); the format follows the file name."""
    from equiview.core.atomic import write_with

    FigureCanvasAgg(figure)
    image_format = Path(path).suffix.lstrip(".").lower() or "png"
    write_with(path, lambda handle: figure.savefig(handle, dpi=110, format=image_format))


def draw_sweep(
    figure: Figure,
    result: Sweep,
    titles: Mapping[str, str],
    atom_labels: list[str] | None = None,
    colormap: str = "viridis",
    molecule: str = "",
) -> None:
    """Per model row: each atom's colour value against the angle (one curve per atom) and max|Δh| on a log axis
    (for a model with vectors also max|v(g·x) − R·v(x)|, dashed).

    A curve is drawn in the colour its atom has in the original pose; the band between the dashed lines is the
    colour bar's frozen range (values outside it are shown in the end colours). A row without a sweep (a model
    that does not know an element of the molecule, a failing user model) is a line under the title saying why.
    """
    rows = list(result.models)
    axes = figure.subplots(len(rows), 2, squeeze=False, sharex=True) if rows else np.zeros((0, 2))
    cmap = matplotlib.colormaps[colormap]
    for r, kind in enumerate(rows):
        model = result.models[kind]
        values_axes, error_axes = axes[r]
        norm = Normalize(model.vmin, model.vmax, clip=True)
        angles = np.append(result.angles, 360.0)  # close the turn: 360° is the pose at 0°
        for atom in range(model.values.shape[1]):
            curve = np.append(model.values[:, atom], model.values[0, atom])
            label = atom_labels[atom] if atom_labels else str(atom)
            values_axes.plot(angles, curve, color=cmap(norm(model.values_original[atom])), linewidth=1.0, label=label)
        values_axes.axhspan(model.vmin, model.vmax, color="0.9", zorder=0)
        for limit in (model.vmin, model.vmax):
            values_axes.axhline(limit, color="0.5", linestyle="--", linewidth=0.8)
        values_axes.set(ylabel="colour value", title=f"{titles.get(kind, kind)}: per-atom colour value")
        errors = np.maximum(np.append(model.max_error, model.max_error[0]), ERROR_FLOOR)
        error_axes.plot(angles, errors, color="crimson", linewidth=1.5, label="max |h(g·x) − h(x)|")
        error_axes.set(yscale="log", ylabel="max |Δh|", title=f"{titles.get(kind, kind)}: max |h(g·x) − h(x)|")
        if model.vector_error is not None:  # a model with vectors: do its arrows turn with the molecule?
            vector_errors = np.maximum(np.append(model.vector_error, model.vector_error[0]), ERROR_FLOOR)
            error_axes.plot(
                angles, vector_errors, color="tab:blue", linestyle="--", linewidth=1.5, label="max |v(g·x) − R·v(x)|"
            )
            error_axes.set(ylabel="max |Δh|, max |Δv|", title=f"{titles.get(kind, kind)}: max |Δh| and |Δv|")
            error_axes.legend(loc="lower left", fontsize="small")
        error_axes.grid(True, which="both", alpha=0.3)
        if result.current_angle is not None:  # where the current g lies on the axis
            for axis in (values_axes, error_axes):
                axis.axvline(result.current_angle, color="0.3", linestyle=":", linewidth=1.2, label="current g")
    # one range for every max|Δh| axis, so the rows compare at a glance (0.5 against 1e-6)
    errors = np.concatenate(
        [np.maximum(e, ERROR_FLOOR) for m in result.models.values() for e in m.error_curves] or [[1.0]]
    )
    low, high = float(errors.min()) / 3.0, float(errors.max()) * 3.0
    for row in axes:
        row[1].set_ylim(low, high)
    for column in axes[-1] if rows else ():
        column.set(xlabel=f"angle about {result.axis} (degrees)", xlim=(0, 360), xticks=np.arange(0, 361, 60))
    where = "" if result.current_angle is None else f"; current g at {result.current_angle:.1f}°"
    lines = (
        [f"{molecule}: spin about the {result.axis} axis through the centroid from the identity{where}"]
        if molecule
        else []
    )
    lines += [f"{titles.get(kind, kind)}: not available: {row.reason}" for kind, row in result.unavailable.items()]
    if lines:
        figure.suptitle("\n".join(lines))


def sweep_figure(result: Sweep, titles: Mapping[str, str], **kwargs) -> Figure:
    height = 3.4 * len(result.models) + 0.25 * len(result.unavailable)
    figure = Figure(figsize=(11, max(height, 1.0)), layout="constrained")
    draw_sweep(figure, result, titles, **kwargs)
    return figure


def sphere_norm(spheres: Mapping[str, InvarianceSphere] | InvarianceSphere) -> LogNorm:
    """ONE log colour scale for every sphere shown together, from the smallest error of all of them to the largest
    (at least :data:`SPHERE_MIN_DECADES` wide): the EGNN's 1e-6 stays dark beside the naive GNN's 1."""
    chosen = spheres.values() if isinstance(spheres, Mapping) else [spheres]
    errors = [np.maximum(sphere.max_error, ERROR_FLOOR) for sphere in chosen] or [np.ones(1)]
    low, high = min(float(e.min()) for e in errors), max(float(e.max()) for e in errors)
    return LogNorm(min(low, high / 10**SPHERE_MIN_DECADES), high, clip=True)


def draw_spheres(
    figure: Figure,
    spheres: Mapping[str, InvarianceSphere],
    titles: Mapping[str, str],
    molecule: str = "",
    unavailable: Mapping[str, Unavailable] | None = None,
) -> None:
    """One coloured sphere per model: the colour of a direction is max|Δh| over the turns about that axis.
    A model without a sphere (``unavailable``) is a line under the title saying why."""
    cmap = matplotlib.colormaps["inferno"]
    norm = sphere_norm(spheres)  # shared by every row: colours compare across models
    for column, (kind, sphere) in enumerate(spheres.items()):
        axes = figure.add_subplot(1, len(spheres), column + 1, projection="3d")
        bands = len(sphere.polar)
        polar_edges = np.linspace(0.0, np.pi, bands + 1)
        azimuth_edges = np.linspace(0.0, 2.0 * np.pi, 2 * bands + 1)
        p, a = np.meshgrid(polar_edges, azimuth_edges, indexing="ij")
        x, y, z = np.sin(p) * np.cos(a), np.sin(p) * np.sin(a), np.cos(p)
        faces = cmap(norm(np.maximum(sphere.max_error, ERROR_FLOOR)))
        axes.plot_surface(x, y, z, facecolors=faces, rstride=1, cstride=1, linewidth=0, antialiased=False, shade=False)
        for vector, name in (((1.3, 0, 0), "x"), ((0, 1.3, 0), "y"), ((0, 0, 1.3), "z")):
            axes.plot([0, vector[0]], [0, vector[1]], [0, vector[2]], color="0.4", linewidth=0.8)
            axes.text(*vector, name)
        axes.set_box_aspect((1, 1, 1))
        axes.set_axis_off()
        low, high = float(sphere.max_error.min()), float(sphere.max_error.max())
        axes.set_title(f"{titles.get(kind, kind)}\nmax |Δh| from {low:.1e} to {high:.1e}")
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
        figure.colorbar(mappable, ax=axes, shrink=0.6, label="max |Δh| over the turn (log, one scale for all)")
    lines = (
        [f"{molecule}: invariance sphere (each direction = a rotation axis through the centroid)"] if molecule else []
    )
    lines += [f"{titles.get(kind, kind)}: not available: {row.reason}" for kind, row in (unavailable or {}).items()]
    if lines:
        figure.suptitle("\n".join(lines))


def sphere_figure(
    spheres: Mapping[str, InvarianceSphere],
    titles: Mapping[str, str],
    molecule: str = "",
    unavailable: Mapping[str, Unavailable] | None = None,
) -> Figure:
    width = max(5.5 * len(spheres), 10.0 if unavailable else 0.0, 5.5)
    figure = Figure(figsize=(width, 5.2 + 0.25 * len(unavailable or {})), layout="constrained")
    draw_spheres(figure, spheres, titles, molecule, unavailable)
    return figure
