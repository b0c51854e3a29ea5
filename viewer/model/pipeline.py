"""From a :class:`~viewer.model.snapshot.Snapshot` to a :class:`Frame`: positions, colours and numbers.

Qt-free and VTK-free, so the GUI, ``equiview render`` and the tests share it. What depends only
on the original pose (its embeddings, the fitted projection, the frozen colour scale) is cached per
molecule and model; a slider step only moves the positions and encodes the transformed pose
through the model wrapper (:class:`core.checkpoints.Checkpoint`): one call down into core per
model and pose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch_geometric.data import Data

from core.checkpoints import Checkpoint
from core.data.bonds import unique_bonds
from core.data.molecules import QM9Molecules
from core.elements import DISPLAY_RADII, formula
from core.embeddings import transformed
from core.transforms import E3Transform
from viewer.model.colouring import ColourScale, Projection, element_rgba
from viewer.model.library import ModelLibrary
from viewer.model.snapshot import MODEL_ROWS, MODEL_TITLES, ModelSource, ProjectionSpec, Snapshot, TransformParams

LUT_SIZE = 256


@dataclass
class Molecule:
    """One molecule prepared for display (cached per dataset index)."""

    index: int
    name: str
    formula: str
    data: Data
    z: np.ndarray  # int [n]
    positions: np.ndarray  # float64 [n, 3], the model's input coordinates
    bonds: np.ndarray  # int [m, 2], i < j
    centre: np.ndarray  # float64 [3], centroid: rotations and the mirror keep it in place
    radius: float  # Å, the largest centroid distance plus that atom's display radius
    element_rgba: np.ndarray  # uint8 [n, 4], Jmol/CPK colours
    atom_radii: np.ndarray  # float64 [n], display radii in Å
    y: np.ndarray  # float64 [19], the QM9 targets

    @property
    def num_atoms(self) -> int:
        return int(self.z.shape[0])


@dataclass
class RowFrame:
    """One model row: colour values for both poses and the numbers shown next to it."""

    kind: str
    source: ModelSource
    trained: bool
    model_label: str
    embedding_dim: int
    projection: ProjectionSpec
    values_original: np.ndarray  # float64 [n]
    values_transformed: np.ndarray
    rgba_original: np.ndarray  # uint8 [n, 4]
    rgba_transformed: np.ndarray
    vmin: float
    vmax: float
    lut: np.ndarray  # uint8 [LUT_SIZE, 4] from vmin to vmax
    colormap: str
    max_error: float  # max |h(g·x) - h(x)| over atoms and channels
    prediction_original: float
    prediction_transformed: float
    target_idx: int

    @property
    def title(self) -> str:
        return MODEL_TITLES[self.kind]

    @property
    def bar_title(self) -> str:
        if self.embedding_dim == 1 and self.projection.kind == "channel":
            return "h (1-D)"
        return f"h: {self.projection.label()}"


@dataclass
class Frame:
    """Everything the scene draws for one state."""

    molecule: Molecule
    transform: TransformParams
    positions_transformed: np.ndarray  # float64 [n, 3]
    rows: dict[str, RowFrame]
    colormap: str
    show_input_row: bool = True
    show_labels: bool = True
    titles: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def positions_original(self) -> np.ndarray:
        return self.molecule.positions

    def positions(self, column: str) -> np.ndarray:
        return self.molecule.positions if column == "original" else self.positions_transformed


def prepare_molecule(dataset: QM9Molecules, index: int) -> Molecule:
    data = dataset[index]
    z = data.z.numpy().astype(np.int64)
    positions = data.pos.numpy().astype(np.float64)
    centre = positions.mean(axis=0)
    radii = np.array([DISPLAY_RADII[int(v)] for v in z], dtype=np.float64)
    reach = np.linalg.norm(positions - centre, axis=1) + radii
    return Molecule(
        index=int(index),
        name=str(data.name),
        formula=formula(z.tolist()),
        data=data,
        z=z,
        positions=positions,
        bonds=unique_bonds(data.edge_index),
        centre=centre,
        radius=float(reach.max()) if len(reach) else 1.0,
        element_rgba=element_rgba(z),
        atom_radii=radii,
        y=data.y.numpy().astype(np.float64).reshape(-1),
    )


@dataclass
class _OriginalPose:
    h: torch.Tensor
    prediction: float
    projection: Projection
    scale: ColourScale
    values: np.ndarray
    rgba: np.ndarray
    lut: np.ndarray


def _view_transform(molecule: Molecule, params: TransformParams) -> E3Transform:
    return E3Transform.from_view(
        params.rx, params.ry, params.rz, params.translation, params.reflect, center=molecule.centre
    )


def _prediction(model: Checkpoint, h: torch.Tensor) -> float:
    """The molecule's prediction in the target's units, from the embeddings already computed (readout only)."""
    return float(model.predict_from_embedding(h).reshape(-1)[0])


class Pipeline:
    """Computes frames for a dataset; caches molecules and original-pose results."""

    def __init__(self, dataset: QM9Molecules, library: ModelLibrary | None = None) -> None:
        self.dataset = dataset
        self.library = library or ModelLibrary()
        self._molecules: dict[int, Molecule] = {}
        self._originals: dict[tuple, _OriginalPose] = {}

    # ------------------------------------------------------------------ molecules
    def molecule(self, index: int) -> Molecule:
        cached = self._molecules.get(index)
        if cached is None:
            if len(self._molecules) > 64:
                self._molecules.clear()
            cached = prepare_molecule(self.dataset, index)
            self._molecules[index] = cached
        return cached

    def transform_for(self, snapshot: Snapshot) -> E3Transform:
        return _view_transform(self.molecule(snapshot.molecule), snapshot.transform)

    # ------------------------------------------------------------------ models
    def _original(
        self, molecule: Molecule, source: ModelSource, model: Checkpoint, spec: ProjectionSpec, cmap: str
    ) -> _OriginalPose:
        key = (molecule.index, source, spec, cmap)
        cached = self._originals.get(key)
        if cached is not None:
            return cached
        if len(self._originals) > 256:
            self._originals.clear()
        h = model.encode(molecule.data)
        projection = Projection(spec.kind, spec.channel).fit(h)
        values = projection(h)
        scale = ColourScale.fit(values, cmap)
        cached = _OriginalPose(
            h=h,
            prediction=_prediction(model, h),
            projection=projection,
            scale=scale,
            values=values,
            rgba=scale.rgba(values),
            lut=scale.lookup_table(LUT_SIZE),
        )
        self._originals[key] = cached
        return cached

    def row(
        self, molecule: Molecule, moved: Data, source: ModelSource, model: Checkpoint, spec: ProjectionSpec, cmap: str
    ) -> RowFrame:
        original = self._original(molecule, source, model, spec, cmap)
        h = model.encode(moved)
        values = original.projection(h)
        error = float((h - original.h).abs().max()) if h.numel() else 0.0
        return RowFrame(
            kind=source.kind,
            source=source,
            trained=model.trained,
            model_label=source.label(),
            embedding_dim=int(h.shape[1]) if h.dim() == 2 else 1,
            projection=spec,
            values_original=original.values,
            values_transformed=values,
            rgba_original=original.rgba,
            rgba_transformed=original.scale.rgba(values),
            vmin=original.scale.vmin,
            vmax=original.scale.vmax,
            lut=original.lut,
            colormap=cmap,
            max_error=error,
            prediction_original=original.prediction,
            prediction_transformed=_prediction(model, h),
            target_idx=model.target_idx,
        )

    # ------------------------------------------------------------------ frames
    def frame(self, snapshot: Snapshot) -> Frame:
        """The frame for ``snapshot``; model sources must load (errors propagate)."""
        molecule = self.molecule(snapshot.molecule)
        moved = transformed(molecule.data, _view_transform(molecule, snapshot.transform))
        rows = {}
        for kind in MODEL_ROWS:
            source = snapshot.sources[kind]
            model = self.library.load(source)
            rows[kind] = self.row(molecule, moved, source, model, snapshot.projections[kind], snapshot.colormap)
        frame = Frame(
            molecule=molecule,
            transform=snapshot.transform,
            positions_transformed=moved.pos.numpy().astype(np.float64),
            rows=rows,
            colormap=snapshot.colormap,
            show_input_row=snapshot.show_input_row,
            show_labels=snapshot.show_labels,
        )
        frame.titles = view_titles(frame)
        return frame


def format_error(error: float) -> str:
    return f"{error:.1e}" if error < 1e-2 else f"{error:.3f}"


def view_titles(frame: Frame) -> dict[tuple[str, str], str]:
    """Title of every view, keyed by (row, column)."""
    g = "g·x"
    titles = {
        ("input", "original"): "Input x, coloured by element",
        ("input", "transformed"): f"Input {g}  ({frame.transform.describe()})",
    }
    for kind, row in frame.rows.items():
        name = f"{row.title} ({row.model_label})"
        titles[(kind, "original")] = f"{name}: h(x)"
        titles[(kind, "transformed")] = f"h({g})   max |Δh| = {format_error(row.max_error)}"
    return titles
