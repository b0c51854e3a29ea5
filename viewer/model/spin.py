"""Spinning the current pose about an axis, in the viewer's terms: slider values per angle and the sweep of a state.

A :class:`Spin` is fixed by a snapshot (its molecule, models, projections and transform ``g``) and an axis; angle
θ maps to the slider values of ``S_θ`` (the turn by θ about the centroid; angle 0 is the identity), which is what
the sweep panel's cursor, Play and the movie export write into the state. The snapshot's own ``g`` is marked at its
angle when it is such a turn. :meth:`Spin.sweep` computes all angles at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from equiview.core.transforms import E3Transform
from equiview.viewer.model.pipeline import Pipeline, ShownMolecule, unavailable_reason
from equiview.viewer.model.snapshot import Snapshot, TransformParams
from equiview.viewer.model.sweep import InvarianceSphere, Sweep, Unavailable, invariance_sphere, spun_transform, sweep
from equiview.viewer.model.sweep_settings import DEFAULT_STEPS, check_axis, same_sweep_inputs


def pose_transform(molecule: ShownMolecule, params: TransformParams) -> E3Transform:
    """The element ``g`` that slider values ``params`` describe for ``molecule`` (rotations about its centroid)."""
    return E3Transform.from_view(
        params.rx, params.ry, params.rz, params.translation, params.reflect, center=molecule.centre
    )


def spun_params(molecule: ShownMolecule, params: TransformParams, axis: str, angle: float) -> TransformParams:
    """Slider values of the element ``params`` turned by ``angle`` degrees about ``axis`` through the moved centroid."""
    centre = molecule.centre
    base = E3Transform.from_view(params.rx, params.ry, params.rz, params.translation, params.reflect, center=centre)
    view = spun_transform(axis, angle, base, centre).to_view(center=centre)
    rx, ry, rz, tx, ty, tz = (_clean(v) for v in (view.rx, view.ry, view.rz, *view.translation))
    return TransformParams(rx, ry, rz, tx, ty, tz, view.reflect)


def row_models(pipeline: Pipeline, snapshot: Snapshot) -> tuple[dict, dict[str, Unavailable]]:
    """The networks of the state's model rows, in the grid's order, for a sweep: a built-in row's
    ``torch.nn.Module`` (batched), a user's row model (one pose per call). A row whose model does not know an
    element of the molecule, or whose built-in model stops below its size, is ``unavailable`` with the grid's reason
    instead."""
    from equiview.viewer.model.library import UserRowModel

    z = pipeline.molecule_for(snapshot).z
    models, unavailable = {}, {}
    for name in snapshot.rows:
        loaded = pipeline.library.load(snapshot.sources[name])
        reason = unavailable_reason(loaded, z)
        if reason is not None:
            unavailable[name] = Unavailable("unsupported", reason)
        elif name in snapshot.layers:  # the row shows one layer's output (one pose per call)
            from equiview.viewer.model.layers import LayerModel

            models[name] = LayerModel(loaded, snapshot.layers[name])
        else:
            models[name] = loaded if isinstance(loaded, UserRowModel) else loaded.model
    return models, unavailable


def state_spheres(
    pipeline: Pipeline, snapshot: Snapshot, bands: int, steps: int
) -> tuple[dict[str, InvarianceSphere], dict[str, Unavailable]]:
    """The invariance sphere of every model row of the state that knows the molecule's elements (see
    :func:`row_models`), about the state's pose; a user's model that fails is ``unavailable`` ("failed")."""
    from equiview.core.user_input_errors import UserModelError

    molecule = pipeline.molecule_for(snapshot)
    base = pose_transform(molecule, snapshot.transform)
    models, unavailable = row_models(pipeline, snapshot)
    spheres = {}
    for name, model in models.items():
        try:
            spheres[name] = invariance_sphere(model, molecule.graph(), bands, steps, base)
        except UserModelError as error:
            unavailable[name] = Unavailable("failed", str(error))
    return spheres, unavailable


def row_titles(snapshot: Snapshot) -> dict[str, str]:
    """ "Naive GNN (naive.pt)", "schnet (schnet_model.py:make_model)": the plots' titles of the state's rows."""
    return {name: f"{snapshot.sources[name].title} ({snapshot.sources[name].label()})" for name in snapshot.rows}


def _clean(value: float) -> float:
    """Drop float64 rounding noise (1e-16 Å shifts, -0.0) that would show up in the titles."""
    return round(float(value), 9) + 0.0


def wrap_angle(angle: float) -> float:
    """``angle`` in degrees brought into ``[0, 360)``."""
    wrapped = float(angle) % 360.0
    return 0.0 if wrapped >= 360.0 else wrapped


@dataclass(frozen=True)
class Spin:
    """Turning the molecule of ``snapshot`` about ``axis``; angle 0 is the identity, the snapshot's g is marked."""

    snapshot: Snapshot
    axis: str = "z"

    def __post_init__(self) -> None:
        object.__setattr__(self, "axis", check_axis(self.axis))

    def params(self, pipeline: Pipeline, angle: float) -> TransformParams:
        molecule = pipeline.molecule_for(self.snapshot)
        return spun_params(molecule, TransformParams(), self.axis, wrap_angle(angle))

    def snapshot_at(self, pipeline: Pipeline, angle: float) -> Snapshot:
        return self.snapshot.replace(transform=self.params(pipeline, angle))

    def sweep(self, pipeline: Pipeline, steps: int = DEFAULT_STEPS) -> Sweep:
        """Colour values and max|Δh| of every model row at ``steps`` angles (one batched pass per built-in model);
        rows without a sweep (an unknown element, a failing user model) are in ``unavailable``."""
        snapshot = self.snapshot
        molecule = pipeline.molecule_for(snapshot)
        models, unavailable = row_models(pipeline, snapshot)
        projections = {kind: (spec.kind, spec.channel) for kind, spec in snapshot.projections.items()}
        base = pose_transform(molecule, snapshot.transform)
        return sweep(models, molecule.graph(), self.axis, steps, base, projections, unavailable, snapshot.rows)

    def same_sweep(self, other: Spin) -> bool:
        """Whether ``other`` has the same sweep data (a different colormap or display toggle does not matter)."""
        a, b = self.snapshot, other.snapshot
        return self.axis == other.axis and a.transform == b.transform and same_sweep_inputs(a, b)
