"""The view state: a small QObject that widgets write to and the scene controller listens to.

Every setter validates its input, does nothing when the value is unchanged and otherwise emits
exactly one signal. Widgets never talk to the plotter; they only change this state.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from core.colouring import PROJECTION_KINDS, available_colormaps
from core.models.registry import MODEL_KINDS
from viewer.snapshot import (
    DEFAULT_COLORMAP,
    DEFAULT_MOLECULE,
    ROTATION_RANGE,
    TRANSLATION_RANGE,
    ModelSource,
    ProjectionSpec,
    Snapshot,
    TransformParams,
)


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return float(min(max(float(value), bounds[0]), bounds[1]))


class ViewState(QObject):
    """Molecule, transform, model sources, projections, colormap and display toggles."""

    moleculeChanged = Signal(int)
    transformChanged = Signal(object)  # TransformParams
    sourceChanged = Signal(str)  # model kind
    projectionChanged = Signal(str)  # model kind
    colormapChanged = Signal(str)
    inputRowChanged = Signal(bool)
    labelsChanged = Signal(bool)
    interactingChanged = Signal(bool)  # a slider is being dragged

    def __init__(self, num_molecules: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if num_molecules < 1:
            raise ValueError("the view state needs at least one molecule")
        self._num_molecules = int(num_molecules)
        self._molecule = min(DEFAULT_MOLECULE, self._num_molecules - 1)
        self._transform = TransformParams()
        self._sources = {kind: ModelSource.untrained(kind, 0) for kind in MODEL_KINDS}
        self._projections = {kind: ProjectionSpec() for kind in MODEL_KINDS}
        self._colormap = DEFAULT_COLORMAP
        self._show_input_row = True
        self._show_labels = True
        self._interacting = False

    # ------------------------------------------------------------------ read
    @property
    def num_molecules(self) -> int:
        return self._num_molecules

    @property
    def molecule(self) -> int:
        return self._molecule

    @property
    def transform(self) -> TransformParams:
        return self._transform

    def source(self, kind: str) -> ModelSource:
        return self._sources[kind]

    def projection(self, kind: str) -> ProjectionSpec:
        return self._projections[kind]

    @property
    def colormap(self) -> str:
        return self._colormap

    @property
    def show_input_row(self) -> bool:
        return self._show_input_row

    @property
    def show_labels(self) -> bool:
        return self._show_labels

    @property
    def interacting(self) -> bool:
        return self._interacting

    def snapshot(self) -> Snapshot:
        return Snapshot(
            molecule=self._molecule,
            transform=self._transform,
            sources=dict(self._sources),
            projections=dict(self._projections),
            colormap=self._colormap,
            show_input_row=self._show_input_row,
            show_labels=self._show_labels,
        )

    # ------------------------------------------------------------------ write
    def set_molecule(self, index: int) -> None:
        index = int(index)
        if not 0 <= index < self._num_molecules:
            raise ValueError(f"molecule index {index} is out of range 0..{self._num_molecules - 1}")
        if index != self._molecule:
            self._molecule = index
            self.moleculeChanged.emit(index)

    def set_transform(self, params: TransformParams) -> None:
        params = TransformParams(
            rx=_clamp(params.rx, ROTATION_RANGE),
            ry=_clamp(params.ry, ROTATION_RANGE),
            rz=_clamp(params.rz, ROTATION_RANGE),
            tx=_clamp(params.tx, TRANSLATION_RANGE),
            ty=_clamp(params.ty, TRANSLATION_RANGE),
            tz=_clamp(params.tz, TRANSLATION_RANGE),
            reflect=bool(params.reflect),
        )
        if params != self._transform:
            self._transform = params
            self.transformChanged.emit(params)

    def set_rotation(self, axis: int, degrees: float) -> None:
        self.set_transform(self._transform.with_rotation(axis, degrees))

    def set_translation(self, axis: int, angstrom: float) -> None:
        self.set_transform(self._transform.with_translation(axis, angstrom))

    def set_reflect(self, reflect: bool) -> None:
        self.set_transform(replace(self._transform, reflect=bool(reflect)))

    def reset_transform(self) -> None:
        self.set_transform(TransformParams())

    def set_source(self, source: ModelSource) -> None:
        """Set a row's model source. Callers load it first (see ``ModelLibrary``) so a bad file never gets here."""
        if source.kind not in self._sources:
            raise ValueError(f"unknown model kind {source.kind!r}; expected one of {', '.join(MODEL_KINDS)}")
        if source != self._sources[source.kind]:
            self._sources[source.kind] = source
            self.sourceChanged.emit(source.kind)

    def set_projection(self, kind: str, spec: ProjectionSpec) -> None:
        if kind not in self._projections:
            raise ValueError(f"unknown model kind {kind!r}; expected one of {', '.join(MODEL_KINDS)}")
        if spec.kind not in PROJECTION_KINDS:
            raise ValueError(f"unknown projection {spec.kind!r}; expected one of {', '.join(PROJECTION_KINDS)}")
        if spec.channel < 0:
            raise ValueError(f"channel must be non-negative, got {spec.channel}")
        if spec != self._projections[kind]:
            self._projections[kind] = spec
            self.projectionChanged.emit(kind)

    def set_colormap(self, name: str) -> None:
        if name not in available_colormaps():
            raise ValueError(f"unknown colormap {name!r}; choose one of {', '.join(available_colormaps())}")
        if name != self._colormap:
            self._colormap = name
            self.colormapChanged.emit(name)

    def set_show_input_row(self, show: bool) -> None:
        if bool(show) != self._show_input_row:
            self._show_input_row = bool(show)
            self.inputRowChanged.emit(self._show_input_row)

    def set_show_labels(self, show: bool) -> None:
        if bool(show) != self._show_labels:
            self._show_labels = bool(show)
            self.labelsChanged.emit(self._show_labels)

    def set_interacting(self, interacting: bool) -> None:
        if bool(interacting) != self._interacting:
            self._interacting = bool(interacting)
            self.interactingChanged.emit(self._interacting)
