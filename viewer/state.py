"""The view state: a small QObject that holds the current :class:`~equiview.viewer.model.snapshot.Snapshot`.

Widgets write to it; the scene controller listens to it. Every setter validates its input, builds
a new snapshot and, when it differs from the current one, replaces it and emits :attr:`changed`
once with the old and the new snapshot. Widgets never talk to the plotter.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal

from equiview.viewer.model.colouring import PROJECTION_KINDS, available_colormaps
from equiview.viewer.model.errors import ViewValueError
from equiview.viewer.model.snapshot import (
    ARROW_SCALE_RANGE,
    COLOUR_MODES,
    DEFAULT_MOLECULE,
    MAX_MODEL_ROWS,
    ROTATION_RANGE,
    ROW_OF_KIND,
    TRANSLATION_RANGE,
    USER_KIND,
    ModelSource,
    ProjectionSpec,
    Snapshot,
    StructureRef,
    TransformParams,
)


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return float(min(max(float(value), bounds[0]), bounds[1]))


class ViewState(QObject):
    """The current snapshot of molecule, transform, model sources, projections, colormap and toggles."""

    changed = Signal(object, object)  # (old Snapshot, new Snapshot)

    def __init__(self, num_molecules: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if num_molecules < 1:
            raise ValueError("the view state needs at least one molecule")
        self._num_molecules = int(num_molecules)
        self._snapshot = Snapshot(molecule=min(DEFAULT_MOLECULE, self._num_molecules - 1))

    # ------------------------------------------------------------------ read
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def num_molecules(self) -> int:
        return self._num_molecules

    @property
    def molecule(self) -> int:
        return self._snapshot.molecule

    @property
    def transform(self) -> TransformParams:
        return self._snapshot.transform

    def source(self, kind: str) -> ModelSource:
        return self._snapshot.sources[kind]

    def projection(self, kind: str) -> ProjectionSpec:
        return self._snapshot.projections[kind]

    @property
    def colormap(self) -> str:
        return self._snapshot.colormap

    @property
    def show_input_row(self) -> bool:
        return self._snapshot.show_input_row

    @property
    def show_labels(self) -> bool:
        return self._snapshot.show_labels

    @property
    def interacting(self) -> bool:
        return self._snapshot.dragging

    # ------------------------------------------------------------------ write
    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Replace the whole state (after validating it); one :attr:`changed` signal when it differs."""
        checked = self._validated(snapshot)
        if checked != self._snapshot:
            old, self._snapshot = self._snapshot, checked
            self.changed.emit(old, checked)

    def _validated(self, snapshot: Snapshot) -> Snapshot:
        if not 0 <= snapshot.molecule < self._num_molecules:
            raise ViewValueError(f"molecule index {snapshot.molecule} is out of range 0..{self._num_molecules - 1}")
        rows = tuple(snapshot.rows)
        if not 1 <= len(rows) <= MAX_MODEL_ROWS or len(set(rows)) != len(rows):
            raise ViewValueError(f"the grid shows 1 to {MAX_MODEL_ROWS} model rows with different names, got {rows}")
        if set(snapshot.sources) != set(rows) or set(snapshot.projections) != set(rows):
            raise ViewValueError(f"a snapshot needs a source and a projection for each of its rows {', '.join(rows)}")
        for row, source in snapshot.sources.items():
            if source.row != row or (source.kind not in ROW_OF_KIND and source.kind != USER_KIND):
                raise ViewValueError(f"the {row} row got a model source of kind {source.kind!r}")
        for spec in snapshot.projections.values():
            if spec.kind not in PROJECTION_KINDS:
                raise ViewValueError(f"unknown projection {spec.kind!r}; expected one of {', '.join(PROJECTION_KINDS)}")
            if spec.channel < 0:
                raise ViewValueError(f"channel must be non-negative, got {spec.channel}")
        if snapshot.colormap not in available_colormaps():
            raise ViewValueError(
                f"unknown colormap {snapshot.colormap!r}; choose one of {', '.join(available_colormaps())}"
            )
        if snapshot.colour_mode not in COLOUR_MODES:
            raise ValueError(f"unknown colour mode {snapshot.colour_mode!r}; expected one of {', '.join(COLOUR_MODES)}")
        for kind, (lo, hi) in snapshot.colour_ranges.items():
            if kind not in snapshot.rows or not lo < hi or not all(map(math.isfinite, (lo, hi))):
                raise ValueError(f"colour range {lo}..{hi} for {kind!r} is not an increasing pair of finite numbers")
        for row, layer in snapshot.layers.items():
            if row not in rows or not layer:
                raise ViewValueError(f"layer {layer!r} is set for {row!r}, which is not a model row")
        if snapshot.highlight is not None and int(snapshot.highlight) < 0:
            raise ValueError(f"atom index must be non-negative, got {snapshot.highlight}")
        t = snapshot.transform
        transform = TransformParams(
            rx=_clamp(t.rx, ROTATION_RANGE),
            ry=_clamp(t.ry, ROTATION_RANGE),
            rz=_clamp(t.rz, ROTATION_RANGE),
            tx=_clamp(t.tx, TRANSLATION_RANGE),
            ty=_clamp(t.ty, TRANSLATION_RANGE),
            tz=_clamp(t.tz, TRANSLATION_RANGE),
            reflect=bool(t.reflect),
        )
        return snapshot.replace(
            rows=rows,
            molecule=int(snapshot.molecule),
            transform=transform,
            show_input_row=bool(snapshot.show_input_row),
            show_labels=bool(snapshot.show_labels),
            show_atom_vectors=bool(snapshot.show_atom_vectors),
            arrow_scale=_clamp(float(snapshot.arrow_scale), ARROW_SCALE_RANGE),
            dragging=bool(snapshot.dragging),
            highlight=None if snapshot.highlight is None else int(snapshot.highlight),
            aligned=bool(snapshot.aligned),
        )

    def _update(self, **changes) -> None:
        self.set_snapshot(self._snapshot.replace(**changes))

    def set_molecule(self, index: int) -> None:
        """Show QM9 molecule ``index`` (leaving a file or SMILES molecule)."""
        if int(index) != self._snapshot.molecule or self._snapshot.structure is not None:
            # an atom index and a chosen colour range mean nothing for another molecule
            self._update(molecule=int(index), structure=None, highlight=None, colour_ranges={})

    @property
    def structure(self) -> StructureRef | None:
        return self._snapshot.structure

    def set_structure(self, ref: StructureRef | None) -> None:
        """Show a molecule from a file or a SMILES (None: back to QM9). Callers read it first, so bad input
        never gets here (see ``StructureLibrary``)."""
        if ref != self._snapshot.structure:
            self._update(structure=ref, highlight=None, colour_ranges={})

    def add_row(self, source: ModelSource, spec: ProjectionSpec) -> None:
        """A model row at the bottom (at most MAX_MODEL_ROWS); a row of the same name is replaced."""
        _check_kind(source)
        if source.row not in self._snapshot.rows and len(self._snapshot.rows) >= MAX_MODEL_ROWS:
            raise ViewValueError(f"the grid already shows {MAX_MODEL_ROWS} model rows; remove one first")
        self.set_snapshot(self._snapshot.with_row(source, spec))

    def remove_row(self, row: str) -> None:
        if row not in self._snapshot.rows:
            raise ViewValueError(f"there is no model row {row!r}")
        if len(self._snapshot.rows) == 1:
            raise ViewValueError("the grid keeps at least one model row")
        self.set_snapshot(self._snapshot.without_row(row))

    def set_transform(self, params: TransformParams) -> None:
        self._update(transform=params)

    def set_rotation(self, axis: int, degrees: float) -> None:
        self.set_transform(self.transform.with_rotation(axis, degrees))

    def set_translation(self, axis: int, angstrom: float) -> None:
        self.set_transform(self.transform.with_translation(axis, angstrom))

    def set_reflect(self, reflect: bool) -> None:
        self.set_transform(self.transform.with_reflect(bool(reflect)))

    def reset_transform(self) -> None:
        self.set_transform(TransformParams())

    def _without_range(self, snapshot: Snapshot, kind: str) -> Snapshot:
        """A row's chosen colour range is dropped when its model, projection or layer changes."""
        if kind not in snapshot.colour_ranges or (
            snapshot.sources[kind] == self._snapshot.sources[kind]
            and snapshot.projections[kind] == self._snapshot.projections[kind]
            and snapshot.layers.get(kind) == self._snapshot.layers.get(kind)
        ):
            return snapshot
        return snapshot.replace(colour_ranges={k: v for k, v in snapshot.colour_ranges.items() if k != kind})

    def set_source(self, source: ModelSource) -> None:
        """Set a row's model source (a built-in row takes any kind of its family). Callers load it first (see
        ``ModelLibrary``) so a bad file never gets here."""
        _check_kind(source)
        if source.row not in self._snapshot.rows:
            raise ViewValueError(f"there is no model row {source.row!r}")
        changed = self._snapshot.with_source(source)
        self.set_snapshot(self._without_range(self._without_layer(changed, source.row), source.row))

    def set_projection(self, row: str, spec: ProjectionSpec) -> None:
        if row not in self._snapshot.rows:
            raise ViewValueError(f"there is no model row {row!r}")
        self.set_snapshot(self._without_range(self._snapshot.with_projection(row, spec), row))

    def set_model(self, source: ModelSource, spec: ProjectionSpec) -> None:
        """A row's source and projection together: one change, one frame (adds the row if it is not shown)."""
        _check_kind(source)
        if source.row not in self._snapshot.rows:
            self.add_row(source, spec)
            return
        changed = self._snapshot.with_source(source).with_projection(source.row, spec)
        if changed.sources[source.row] != self._snapshot.sources[source.row]:
            changed = self._without_layer(changed, source.row)
        self.set_snapshot(self._without_range(changed, source.row))

    @staticmethod
    def _without_layer(snapshot: Snapshot, row: str) -> Snapshot:
        """Another model in the row: its layers are another model's, so the row shows the model's output again."""
        return snapshot.replace(layers={k: v for k, v in snapshot.layers.items() if k != row})

    def set_layer(self, row: str, layer: str | None) -> None:
        """Show ``row`` by ``layer``'s per-atom output (None: the model's own), on a colour scale of its own. The
        caller offers only the row model's layers (:func:`equiview.viewer.model.layers.layer_names`)."""
        if row not in self._snapshot.rows:
            raise ViewValueError(f"there is no model row {row!r}")
        layers = {k: v for k, v in self._snapshot.layers.items() if k != row}
        if layer is not None:
            layers[row] = str(layer)
        self.set_snapshot(self._without_range(self._snapshot.replace(layers=layers), row))

    def layer(self, row: str) -> str | None:
        return self._snapshot.layers.get(row)

    def set_colour_ranges(self, ranges: dict[str, tuple[float, float]]) -> None:
        """Colour ranges chosen by the user per model row (empty: each row's scale frozen on the original pose)."""
        self._update(colour_ranges=dict(ranges))

    def set_colormap(self, name: str) -> None:
        self._update(colormap=name)

    def set_show_input_row(self, show: bool) -> None:
        self._update(show_input_row=bool(show))

    def set_show_labels(self, show: bool) -> None:
        self._update(show_labels=bool(show))

    def set_show_atom_vectors(self, show: bool) -> None:
        self._update(show_atom_vectors=bool(show))

    def set_arrow_scale(self, scale: float) -> None:
        self._update(arrow_scale=float(scale))

    def set_interacting(self, interacting: bool) -> None:
        self._update(dragging=bool(interacting))

    def set_highlight(self, atom: int | None) -> None:
        """The atom marked in every view (hovered or picked), or None."""
        self._update(highlight=None if atom is None else int(atom))

    def set_aligned(self, aligned: bool) -> None:
        """Draw g·x from a camera moved by g (both columns alike; only colours can differ) or as moved."""
        self._update(aligned=bool(aligned))

    @property
    def aligned(self) -> bool:
        return self._snapshot.aligned

    def set_colour_mode(self, mode: str) -> None:
        """``"embedding"``: the g·x model views show h(g·x); ``"difference"``: |h(g·x) − h(x)| per atom."""
        self._update(colour_mode=str(mode))

    @property
    def highlight(self) -> int | None:
        return self._snapshot.highlight

    @property
    def colour_mode(self) -> str:
        return self._snapshot.colour_mode


def _check_kind(source: ModelSource) -> None:
    if source.kind not in ROW_OF_KIND and source.kind != USER_KIND:
        raise ValueError(f"unknown model kind {source.kind!r}; expected one of {', '.join((*ROW_OF_KIND, USER_KIND))}")
