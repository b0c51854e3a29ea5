"""From a :class:`~equiview.viewer.model.snapshot.Snapshot` to a :class:`Frame`: positions, colours and numbers.

Qt-free and VTK-free, so the GUI, ``equiview render`` and the tests share it. Molecules come from a
numpy :class:`~equiview.viewer.model.molecules.MoleculeTable` and are moved in float64 numpy, so the input
row needs no torch: until the model library is ready (PyTorch loads in the background at start-up)
a frame has no model rows and their views say "loading models…". What depends only on the original
pose (its embeddings, the fitted projection, the frozen colour scale) is cached per molecule and
model; a slider step moves the positions and encodes the transformed pose through the model wrapper
(:class:`equiview.core.checkpoints.Checkpoint`): one call down into core per model and pose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from equiview.core.elements import DISPLAY_RADII, formula
from equiview.core.known_elements import training_domain_problem
from equiview.core.model_input import Graph
from equiview.viewer.model.colouring import ColourScale, Projection, element_rgba
from equiview.viewer.model.library import ModelLibrary, UserRowModel, known_elements
from equiview.viewer.model.molecules import MoleculeTable
from equiview.viewer.model.snapshot import (
    ANGSTROM_PER_DEBYE,
    MODEL_TITLES,
    ModelSource,
    ProjectionSpec,
    Snapshot,
    StructureRef,
    TransformParams,
)
from equiview.viewer.model.structures import StructureLibrary
from equiview.viewer.model.verdict import Verdict, format_change, verdict, within_tolerance

if TYPE_CHECKING:
    from equiview.core.checkpoints import Checkpoint

LOADING_MODELS = "loading models…"
LUT_SIZE = 256
DIFFERENCE_FLOOR = 1e-3
"""Smallest top of the difference colour bar: float32 noise (~1e-6) of an invariant model stays dark."""
UNAVAILABLE_RGBA = (150, 150, 150, 255)
"""Atoms of a row without model output (an element the model does not know, a failing user model)."""
USER_ARROW_LENGTH = 1.5
"""Å at arrow scale 1 of the longest per-atom vector of a user's model in the original pose. Those vectors have no
unit, so their length is drawn relative to that pose, frozen like the colour scale: a model that shrinks or grows
its vectors under g shows it."""


@dataclass
class ShownMolecule:
    """One molecule prepared for display (cached per dataset index or per file/SMILES).

    ``y`` holds the 19 QM9 targets for a QM9 molecule and is None for a user's molecule; ``key`` identifies
    the molecule (the scene rebuilds its arrays when it changes); ``source`` says where it came from.
    """

    index: int
    name: str
    formula: str
    z: np.ndarray  # int [n]
    positions: np.ndarray  # float64 [n, 3], the model's input coordinates
    bonds: np.ndarray  # int [m, 2], i < j
    centre: np.ndarray  # float64 [3], centroid: rotations and the mirror keep it in place
    radius: float  # Å, the largest centroid distance plus that atom's display radius
    element_rgba: np.ndarray  # uint8 [n, 4], Jmol/CPK colours
    atom_radii: np.ndarray  # float64 [n], display radii in Å
    y: np.ndarray | None  # float64 [19], the QM9 targets; None outside QM9
    stored_positions: np.ndarray  # float32 [n, 3], as stored: what the models read
    edge_index: np.ndarray  # int64 [2, E]
    key: tuple = ()
    source: str = "QM9"
    _graph: Graph | None = field(default=None, repr=False)

    @property
    def num_atoms(self) -> int:
        return int(self.z.shape[0])

    @property
    def is_qm9(self) -> bool:
        return self.y is not None

    def graph(self) -> Graph:
        """The original pose as model input (built once; imports torch)."""
        if self._graph is None:
            import torch

            self._graph = Graph(
                torch.from_numpy(self.z),
                torch.from_numpy(np.ascontiguousarray(self.stored_positions)),
                torch.from_numpy(self.edge_index),
            )
        return self._graph

    def moved_graph(self, params: TransformParams) -> Graph:
        """The pose ``params`` as model input: moved in float64 from the stored float32 positions, then float32.

        The same numbers as ``E3Transform.from_view(...).apply(data.pos)``, which it calls.
        """
        from equiview.core.transforms import E3Transform

        original = self.graph()
        g = E3Transform.from_view(
            params.rx, params.ry, params.rz, params.translation, params.reflect, center=self.centre
        )
        return Graph(original.z, g.apply(original.pos), original.edge_index)


@dataclass(frozen=True)
class AtomVectors:
    """A user's model's vectors (no unit), shaped like core's ``DipoleVectors``: no molecule vector. ``per_atom``
    ``[n, 3]`` is drawn (the first of k vectors per atom); ``others`` ``[n·(k−1), 3]`` are judged with it."""

    per_atom: Any  # Tensor [n, 3]
    molecule: None = None
    others: Any = None  # Tensor [n·(k−1), 3] or None


@dataclass(frozen=True)
class IrrepsBlock:
    """One irrep type ("0e", "1o", "2e") of a user's model's irreps output: max |h_l(g·x) − D_l(g) h_l(x)| over its
    atoms and channels by the engine, and whether it passes the tolerance for its scale (max |h_l(x)|)."""

    max_error: float
    scale: float

    @property
    def equivariant(self) -> bool:
        return within_tolerance(self.max_error, self.scale)


def irreps_blocks(original, moved, g) -> dict[str, IrrepsBlock]:
    """Per irrep type, the engine's block-by-block comparison (:func:`equiview.core.equivariance.molecule_irreps_errors`,
    Wigner-D with parity from det R) of the irreps ``(tensor [n, dim], "16x0e+16x1o")`` of x and of g·x."""
    import torch

    from equiview.core.equivariance import Poses, molecule_irreps_errors

    values, text = original
    one = torch.zeros(values.shape[0], dtype=torch.long)  # every atom in molecule 0
    errors = molecule_irreps_errors(values, moved[0][None], Poses.of([g]), text, one, 1)
    return {label: IrrepsBlock(float(e[0, 0]), float(sc[0])) for label, (e, sc) in errors.items()}


@dataclass
class VectorFrame:
    """A vector model's arrows for both poses, and what an equivariant model must give for g·x.

    A dipole model's vectors are in Debye and it has a molecule dipole (drawn from the centroid); a user's model has
    per-atom vectors only, without a unit (``unit`` ""; the ``dipole_*`` fields are None). ``expected_*`` is R·v(x),
    drawn as the ghost arrow beside v(g·x); ``max_error`` is max |v(g·x) - R·v(x)| over the atoms and the
    molecule's dipole. ``angstrom_per_unit`` is the arrow length (Å) of one unit at arrow scale 1.
    """

    dipole_original: np.ndarray | None  # float64 [3]
    dipole_transformed: np.ndarray | None  # float64 [3]
    dipole_expected: np.ndarray | None  # float64 [3], R·v(x)
    atoms_original: np.ndarray  # float64 [n, 3]
    atoms_transformed: np.ndarray  # float64 [n, 3]
    atoms_expected: np.ndarray  # float64 [n, 3]
    centre_original: np.ndarray  # float64 [3]
    centre_transformed: np.ndarray  # float64 [3]
    max_error: float
    unit: str = "D"
    angstrom_per_unit: float = ANGSTROM_PER_DEBYE

    @property
    def has_dipole(self) -> bool:
        return self.dipole_original is not None

    @property
    def norm_original(self) -> float:
        """Predicted |μ| of the original pose (Debye)."""
        return float(np.linalg.norm(self.dipole_original))

    @property
    def norm_transformed(self) -> float:
        return float(np.linalg.norm(self.dipole_transformed))

    @property
    def scale(self) -> float:
        """The largest vector of the original pose: float32 rounding of the error grows with it."""
        lengths = [np.linalg.norm(self.atoms_original, axis=1).max(initial=0.0)]
        if self.has_dipole:
            lengths.append(self.norm_original)
        return float(max(lengths))

    @property
    def equivariant(self) -> bool:
        """max |v(g·x) - s(R) R·v(x)| within the engine's tolerance for vectors of :attr:`scale`."""
        return within_tolerance(self.max_error, self.scale)

    def unit_text(self) -> str:
        """ " D" for a dipole model; a user's vectors have no unit."""
        return f" {self.unit}" if self.unit else ""


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
    max_error: float  # max |h(g·x) - h(x)| over atoms and channels (nan when the row shows no model)
    prediction_original: float | None  # None for a user's model (no prediction head) and rows without a model
    prediction_transformed: float | None
    target_idx: int | None
    vectors: VectorFrame | None = None  # the dipole kinds only
    irreps: dict[str, IrrepsBlock] | None = None  # a user's model's irreps output, per irrep type
    layer: str | None = None  # the row shows this layer's output (Snapshot.layers), not the model's
    embedding_scale: float = 1.0  # max |h(x)|: float32 rounding of max |Δh| grows with it
    delta: np.ndarray = field(default_factory=lambda: np.zeros(0))  # float64 [n], max over channels of |Δh|
    verdict: Verdict | None = None
    # what the transformed view draws: h(g·x) on the frozen scale, or |Δh| in difference mode
    shown_values: np.ndarray | None = None
    shown_rgba: np.ndarray | None = None
    shown_lut: np.ndarray | None = None
    shown_range: tuple[float, float] = (0.0, 1.0)
    shown_title: str = ""

    @property
    def outside_range(self) -> tuple[int, int]:
        """Atoms of the transformed pose below and above the frozen colour range (drawn in the end colours)."""
        span = max(self.vmax - self.vmin, 1e-12)
        values = self.values_transformed
        return int((values < self.vmin - 1e-6 * span).sum()), int((values > self.vmax + 1e-6 * span).sum())

    @property
    def badge(self) -> str:
        """The verdict drawn in the transformed view."""
        return self.verdict.text if self.verdict is not None else ""

    @property
    def range_note(self) -> str:
        """What the frozen colour bar cannot show ("" when every atom is inside its range, or in difference mode)."""
        below, above = self.outside_range
        if not below + above or self.shown_title != self.bar_title:
            return ""
        return f"{below + above} atom{'s' if below + above > 1 else ''} outside the colour range"

    status: str = "ok"  # "ok" | "unsupported" (elements or atoms beyond the model) | "failed" (a user model broke)
    message: str = ""  # why the row shows no model
    domain_problem: str | None = None  # why the prediction means nothing (a molecule unlike the training data)

    @property
    def in_domain(self) -> bool:
        """False when the molecule lies outside the model's training data: the prediction is no prediction."""
        return self.domain_problem is None

    @property
    def title(self) -> str:
        return self.source.title

    @property
    def available(self) -> bool:
        return self.status == "ok"

    @property
    def invariant(self) -> bool:
        """max |Δh| within the engine's tolerance for features of this size (:func:`within_tolerance`)."""
        return self.available and within_tolerance(self.max_error, self.embedding_scale)

    @property
    def is_vector_model(self) -> bool:
        return self.vectors is not None

    @property
    def bar_title(self) -> str:
        what = "h" if self.layer is None else self.layer
        if self.embedding_dim == 1 and self.projection.kind == "channel":
            return f"{what} (1-D)"
        return f"{what}: {self.projection.label()}"


@dataclass
class Frame:
    """Everything the scene draws for one state."""

    molecule: ShownMolecule
    transform: TransformParams
    positions_transformed: np.ndarray  # float64 [n, 3]
    rows: dict[str, RowFrame]
    colormap: str
    show_input_row: bool = True
    show_labels: bool = False
    show_atom_vectors: bool = False
    arrow_scale: float = 1.0
    highlight: int | None = None
    colour_mode: str = "embedding"
    titles: dict[tuple[str, str], str] = field(default_factory=dict)
    row_names: tuple[str, ...] = ()  # the snapshot's model rows, also while their models are loading
    aligned: bool = False  # the scene draws g·x from a camera moved by g (Snapshot.aligned)

    @property
    def positions_original(self) -> np.ndarray:
        return self.molecule.positions

    def positions(self, column: str) -> np.ndarray:
        return self.molecule.positions if column == "original" else self.positions_transformed


def _prepared(z: np.ndarray, stored: np.ndarray, edge_index: np.ndarray, **identity) -> ShownMolecule:
    """A :class:`ShownMolecule` from atomic numbers, stored (float32) positions and directed edges; ``identity``
    gives ``index``, ``name``, ``y``, ``key`` and (for a user's molecule) ``source``."""
    positions = stored.astype(np.float64)
    centre = positions.mean(axis=0)
    radii = np.array([DISPLAY_RADII[int(v)] for v in z], dtype=np.float64)
    reach = np.linalg.norm(positions - centre, axis=1) + radii
    return ShownMolecule(
        formula=formula(z.tolist()),
        z=z,
        positions=positions,
        bonds=unique_bonds(edge_index),
        centre=centre,
        radius=float(reach.max()) if len(reach) else 1.0,
        element_rgba=element_rgba(z),
        atom_radii=radii,
        stored_positions=stored,
        edge_index=edge_index,
        **identity,
    )


def prepare_molecule(table: MoleculeTable, index: int) -> ShownMolecule:
    z, stored = table.atoms(index)
    return _prepared(
        z,
        stored,
        table.edge_index(index),
        index=int(index),
        name=table.name(index),
        y=table.targets(index),
        key=("qm9", int(index)),
    )


def prepare_structure(structure, ref: StructureRef) -> ShownMolecule:
    """A user's molecule (:class:`equiview.core.molecule.Molecule`) prepared like a QM9 one, without targets."""
    bonds = structure.bonds.astype(np.int64).reshape(-1, 2)
    edge_index = np.ascontiguousarray(np.concatenate([bonds, bonds[:, ::-1]]).T, dtype=np.int64)
    return _prepared(
        structure.z.astype(np.int64),
        np.ascontiguousarray(structure.pos, dtype=np.float32),
        edge_index,
        index=int(ref.index),
        name=structure.title,
        y=None,
        key=(ref,),
        source=ref.label(),
    )


def unique_bonds(edge_index: np.ndarray) -> np.ndarray:
    """Every bond once, ``int64 [m, 2]`` rows (i, j) with i < j in ascending order (as ``equiview.core.data.bonds``)."""
    pairs = np.sort(edge_index.reshape(2, -1).T.astype(np.int64), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0) if len(pairs) else np.zeros((0, 2), dtype=np.int64)


def view_matrix(params: TransformParams, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, t) in float64 with x -> R x + t what the sliders mean: :func:`equiview.core.rotations.view_matrix`, the
    one builder that :meth:`E3Transform.from_view` (what moves the atoms the models see) calls too; numpy, so the
    first frame needs no torch."""
    from equiview.core.rotations import view_matrix as slider_matrix

    return slider_matrix(params.rx, params.ry, params.rz, params.translation, params.reflect, centre)


def move(positions: np.ndarray, params: TransformParams, centre: np.ndarray) -> np.ndarray:
    """``positions`` (float64 [n, 3]) moved by the slider values about ``centre``, in float64."""
    if params.is_identity:
        return positions
    r, t = view_matrix(params, centre)
    return positions @ r.T + t


@dataclass
class _OriginalPose:
    h: Any  # Tensor [n, d]
    prediction: float
    vectors: Any  # core.models.dipole.DipoleVectors or None
    irreps: Any  # (Tensor [n, dim], "16x0e+16x1o") or None
    projection: Projection
    scale: ColourScale
    values: np.ndarray
    rgba: np.ndarray
    lut: np.ndarray


def _prediction(model: Checkpoint, h, vectors) -> float | None:
    """The molecule's prediction in the target's units, from what is already computed: the embeddings (readout
    only), or for a dipole model the length of its dipole; None for a model without a prediction head (a user's
    model)."""
    if vectors is not None and vectors.molecule is not None:
        return float(np.linalg.norm(_numpy(vectors.molecule)))
    prediction = model.predict_from_embedding(h)
    return None if prediction is None else float(prediction.reshape(-1)[0])


def model_outputs(model: Checkpoint | UserRowModel, graph) -> tuple[Any, Any, Any]:
    """Features ``[n, d]``, vectors and irreps for ``graph``: a dipole model's ``DipoleVectors``, a user's model's
    :class:`AtomVectors` when it returns vectors, else None; a user's model's irreps ``(tensor, "8x0e+8x1o")`` when
    it returns a dict with them, else None. One forward pass gives all."""
    from equiview.core.vector_equivariance import is_vector_model, model_features_and_vectors
    from equiview.viewer.model.layers import LayerModel

    if isinstance(model, (UserRowModel, LayerModel)):
        output = model.run(graph)
        vectors = None
        if output.vectors is not None:
            v = output.vectors.reshape(output.vectors.shape[0], -1, 3)  # [n, k, 3]
            others = v[:, 1:].reshape(-1, 3) if v.shape[1] > 1 else None
            vectors = AtomVectors(v[:, 0], others=others)
        return output.features, vectors, output.irreps
    if is_vector_model(model.model):
        return (*model_features_and_vectors(model.model, graph), None)
    return model.encode(graph), None, None


def _numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().astype(np.float64)


def view_transform(params: TransformParams, centre: np.ndarray):
    """The E(3) element of the sliders (about the molecule's centroid), as :meth:`ShownMolecule.moved_graph` uses."""
    from equiview.core.transforms import E3Transform

    return E3Transform.from_view(params.rx, params.ry, params.rz, params.translation, params.reflect, center=centre)


def user_arrow_length(atoms_original: np.ndarray) -> float:
    """Å per unit of a user's vectors: the longest one of the original pose drawn :data:`USER_ARROW_LENGTH` long."""
    longest = float(np.linalg.norm(atoms_original, axis=1).max(initial=0.0))
    return USER_ARROW_LENGTH / longest if longest > 1e-12 else 1.0


def vector_frame(original, moved, g, centre: np.ndarray, parity: str = "polar") -> VectorFrame:
    """Both poses' arrows and the ghost s(R) R·v(x); the error by the engine
    (:func:`equiview.core.equivariance.vector_errors`) over the atoms' vectors and the molecule's dipole.

    ``original`` and ``moved`` are a dipole model's ``DipoleVectors`` or a user's model's :class:`AtomVectors`
    (``parity``: its declared ``vector_parity``).
    """
    import torch

    from equiview.core.equivariance import Poses, expected_vectors, vector_errors

    pose = Poses.of([g])
    n = int(original.per_atom.shape[0])
    rows, moved_rows = original.per_atom, moved.per_atom
    if getattr(original, "others", None) is not None:  # a user's k > 1 vectors per atom: all judged, first drawn
        rows, moved_rows = torch.cat((rows, original.others)), torch.cat((moved_rows, moved.others))
    if original.molecule is not None:
        rows = torch.cat((rows, original.molecule.reshape(1, 3)))
        moved_rows = torch.cat((moved_rows, moved.molecule.reshape(1, 3)))
    expected = expected_vectors(rows, pose, parity)[0]
    error = float(vector_errors(rows, moved_rows[None], pose, parity)[0])
    dipoles: tuple = (None, None, None)
    if original.molecule is not None:
        dipoles = tuple(_numpy(v).reshape(3) for v in (original.molecule, moved.molecule, expected[-1:]))
    rotation = g.rotation.numpy()
    atoms_original = _numpy(original.per_atom)
    units = ("D", ANGSTROM_PER_DEBYE) if original.molecule is not None else ("", user_arrow_length(atoms_original))
    return VectorFrame(
        *dipoles,
        atoms_original=atoms_original,
        atoms_transformed=_numpy(moved.per_atom),
        atoms_expected=_numpy(expected[:n]),
        centre_original=centre,
        centre_transformed=rotation @ centre + g.translation.numpy(),
        max_error=error,
        unit=units[0],
        angstrom_per_unit=units[1],
    )


def unavailable_reason(model: Checkpoint | UserRowModel, z: np.ndarray) -> str | None:
    """Why a row's model cannot take the molecule of atomic numbers ``z``: an element it does not know, or more atoms
    than a built-in model computes (:mod:`equiview.core.atom_limits`); None when it can."""
    from equiview.core.atom_limits import builtin_max_atoms, too_many_atoms
    from equiview.core.known_elements import unsupported_reason

    reason = unsupported_reason(known_elements(model), z)
    if reason is None and not isinstance(model, UserRowModel):
        reason = too_many_atoms(builtin_max_atoms(model.model), len(z))
    return reason


class Pipeline:
    """Computes frames for a dataset; caches molecules and original-pose results."""

    def __init__(
        self, dataset, library: ModelLibrary | None = None, structures: StructureLibrary | None = None
    ) -> None:
        self.table = MoleculeTable.from_dataset(dataset)
        self.library = library or ModelLibrary()
        self.structures = structures if structures is not None else StructureLibrary()
        self._molecules: dict[object, ShownMolecule] = {}
        self._originals: dict[tuple, _OriginalPose] = {}

    # ------------------------------------------------------------------ molecules
    def molecule(self, index: int) -> ShownMolecule:
        cached = self._molecules.get(index)
        if cached is None:
            if len(self._molecules) > 64:
                self._molecules.clear()
            cached = prepare_molecule(self.table, index)
            self._molecules[index] = cached
        return cached

    def structure(self, ref: StructureRef) -> ShownMolecule:
        """A molecule from a file or a SMILES (read once; bad input raises ``MoleculeInputError``)."""
        cached = self._molecules.get(ref)
        if cached is None:
            if len(self._molecules) > 64:
                self._molecules.clear()
            cached = prepare_structure(self.structures.molecule(ref), ref)
            self._molecules[ref] = cached
        return cached

    def molecule_for(self, snapshot: Snapshot) -> ShownMolecule:
        """The molecule a snapshot shows: its structure when it has one, else the QM9 molecule."""
        if snapshot.structure is not None:
            return self.structure(snapshot.structure)
        return self.molecule(snapshot.molecule)

    # ------------------------------------------------------------------ models
    def _original(
        self,
        molecule: ShownMolecule,
        source: ModelSource,
        model: Checkpoint,
        spec: ProjectionSpec,
        cmap: str,
        colour_range: tuple[float, float] | None = None,
        layer: str | None = None,
    ) -> _OriginalPose:
        key = (molecule.key, source, spec, cmap, colour_range, layer)
        cached = self._originals.get(key)
        if cached is not None:
            return cached
        if len(self._originals) > 256:
            self._originals.clear()
        h, vectors, irreps = model_outputs(model, molecule.graph())
        channel = spec.channel
        if layer is not None and h.dim() == 2:  # a layer may be narrower than the output the channel was chosen on
            channel = min(channel, int(h.shape[1]) - 1)
        projection = Projection(spec.kind, max(0, channel)).fit(h)
        values = projection(h)
        scale = ColourScale.fit(values, cmap) if colour_range is None else ColourScale(*colour_range, cmap)
        cached = _OriginalPose(
            h=h,
            prediction=_prediction(model, h, vectors),
            vectors=vectors,
            irreps=irreps,
            projection=projection,
            scale=scale,
            values=values,
            rgba=scale.rgba(values),
            lut=scale.lookup_table(LUT_SIZE),
        )
        self._originals[key] = cached
        return cached

    def row(
        self,
        molecule: ShownMolecule,
        moved: Graph,
        g: Any,
        source: ModelSource,
        model: Checkpoint,
        spec: ProjectionSpec,
        cmap: str,
        colour_range: tuple[float, float] | None = None,
        layer: str | None = None,
    ) -> RowFrame:
        """One model row; ``g`` is the slider's :class:`~equiview.core.transforms.E3Transform` (for a vector model's R·v);
        ``layer``: the row shows that layer's output (``model`` is then a :class:`LayerModel`)."""
        original = self._original(molecule, source, model, spec, cmap, colour_range, layer)
        from equiview.core.equivariance import feature_errors

        h, moved_vectors, moved_irreps = model_outputs(model, moved)
        values = original.projection(h)
        error = float(feature_errors(original.h, h[None])[0])  # the engine's max|Δh|
        difference = (h - original.h).abs()  # per atom, for the difference colouring only
        delta = difference.reshape(difference.shape[0], -1).max(dim=1).values if h.numel() else difference.sum(dim=-1)
        rgba = original.scale.rgba(values)
        vectors = None
        if original.vectors is not None and moved_vectors is not None:
            parity = model.user_model.vector_parity if isinstance(model, UserRowModel) else "polar"
            vectors = vector_frame(original.vectors, moved_vectors, g, molecule.centre, parity)
        irreps = None
        if original.irreps is not None and moved_irreps is not None:
            irreps = irreps_blocks(original.irreps, moved_irreps, g)
        return RowFrame(
            kind=model.kind,
            source=source,
            trained=model.trained,
            model_label=source.label(),
            embedding_dim=int(h.shape[1]) if h.dim() == 2 else 1,
            projection=spec,
            values_original=original.values,
            values_transformed=values,
            rgba_original=original.rgba,
            rgba_transformed=rgba,
            vmin=original.scale.vmin,
            vmax=original.scale.vmax,
            lut=original.lut,
            colormap=cmap,
            max_error=error,
            prediction_original=original.prediction,
            prediction_transformed=_prediction(model, h, moved_vectors),
            target_idx=model.target_idx,
            vectors=vectors,
            irreps=irreps,
            layer=layer,
            embedding_scale=float(original.h.abs().max()) if original.h.numel() else 1.0,
            domain_problem=None if isinstance(model, UserRowModel) else training_domain_problem(molecule.z),
            delta=delta.double().numpy(),
            shown_values=values,
            shown_rgba=rgba,
            shown_lut=original.lut,
            shown_range=(original.scale.vmin, original.scale.vmax),
        )

    def unavailable_row(
        self, molecule: ShownMolecule, source: ModelSource, spec: ProjectionSpec, status: str, message: str
    ):
        """A row that shows the molecule in a neutral grey and says why there is no model output."""
        n = molecule.num_atoms
        grey = np.tile(np.array(UNAVAILABLE_RGBA, dtype=np.uint8), (n, 1))
        return RowFrame(
            kind=source.kind,
            source=source,
            trained=False,
            model_label=source.label(),
            embedding_dim=1,
            projection=spec,
            values_original=np.zeros(n),
            values_transformed=np.zeros(n),
            rgba_original=grey,
            rgba_transformed=grey.copy(),
            vmin=0.0,
            vmax=1.0,
            lut=np.tile(np.array(UNAVAILABLE_RGBA, dtype=np.uint8), (LUT_SIZE, 1)),
            colormap="",
            max_error=float("nan"),
            prediction_original=None,
            prediction_transformed=None,
            target_idx=None,
            status=status,
            message=message,
        )

    def model_row(
        self,
        molecule: ShownMolecule,
        moved: Graph,
        g: Any,
        source: ModelSource,
        spec: ProjectionSpec,
        cmap: str,
        colour_range: tuple[float, float] | None = None,
        layer: str | None = None,
    ) -> RowFrame:
        """One model row; a model that does not know an element or cannot take the molecule's size, or a user model
        that fails, gives a row saying so. ``layer`` (a name of :func:`~equiview.viewer.model.layers.layer_names`)
        shows that layer's output instead.

        A built-in model's failure is a bug and propagates; a user's model's failure is theirs and stays in its row.
        """
        from equiview.core.user_input_errors import UserModelError

        model = self.library.load(source)
        reason = unavailable_reason(model, molecule.z)
        if reason is not None:
            return self.unavailable_row(molecule, source, spec, "unsupported", reason)
        try:
            if layer is not None:
                from equiview.viewer.model.layers import LayerModel

                model = LayerModel(model, layer)
            return self.row(molecule, moved, g, source, model, spec, cmap, colour_range, layer)
        except UserModelError as error:
            return self.unavailable_row(molecule, source, spec, "failed", str(error))

    # ------------------------------------------------------------------ frames
    def frame(self, snapshot: Snapshot, models: bool | None = None) -> Frame:
        """The frame for ``snapshot``; model sources must load (errors propagate).

        While the library is not ready (models loading in the background) the frame has no model
        rows, unless ``models`` is True (the loader's warm-up, on its own thread).
        """
        molecule = self.molecule_for(snapshot)
        rows = {}
        if self.library.ready if models is None else models:
            moved = molecule.moved_graph(snapshot.transform)
            g = view_transform(snapshot.transform, molecule.centre)
            for name in snapshot.rows:
                source = snapshot.sources[name]
                if self.library.is_loading(source):  # a user's file still importing on its thread: "loading NAME…"
                    continue
                spec, colour_range = snapshot.projections[name], snapshot.colour_ranges.get(name)
                layer = snapshot.layers.get(name)
                row = self.model_row(molecule, moved, g, source, spec, snapshot.colormap, colour_range, layer)
                if row.available:
                    v = row.vectors
                    row.verdict = verdict(
                        row.max_error,
                        snapshot.transform,
                        row.embedding_scale,
                        None if v is None else v.max_error,
                        0.0 if v is None else v.scale,
                        None
                        if row.irreps is None
                        else {k: (b.max_error, b.equivariant) for k, b in row.irreps.items()},
                    )
                    row.shown_title = row.bar_title
                rows[name] = row
            if snapshot.colour_mode == "difference":
                show_differences(rows, snapshot.colormap)
        frame = Frame(
            molecule=molecule,
            transform=snapshot.transform,
            positions_transformed=move(molecule.positions, snapshot.transform, molecule.centre),
            rows=rows,
            colormap=snapshot.colormap,
            show_input_row=snapshot.show_input_row,
            show_labels=snapshot.show_labels,
            show_atom_vectors=snapshot.show_atom_vectors,
            arrow_scale=snapshot.arrow_scale,
            highlight=snapshot.highlight,
            colour_mode=snapshot.colour_mode,
            row_names=tuple(snapshot.rows),
            aligned=snapshot.aligned,
        )
        frame.titles = view_titles(frame)
        return frame


def pose_ranges(frame: Frame) -> dict[str, tuple[float, float]]:
    """Per model row, a colour range that holds both poses' values ("Rescale to this pose")."""
    ranges = {}
    for kind, row in frame.rows.items():
        values = np.concatenate([row.values_original, row.values_transformed])
        lo, hi = float(values.min()), float(values.max())
        ranges[kind] = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
    return ranges


def nice_ceiling(value: float) -> float:
    """The next of 1, 2, 5 × 10^k at or above ``value``: the difference bar keeps its labels while a drag goes on."""
    exponent = np.floor(np.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        top = step * 10.0**exponent
        if top >= value * (1 - 1e-12):
            return float(top)
    return float(10.0 ** (exponent + 1))


def show_differences(rows: dict[str, RowFrame], cmap: str) -> None:
    """Colour the transformed views by |h(g·x) − h(x)| per atom on one scale from 0 shared by every row.

    A shared scale puts the naive GNN's change next to the EGNN's float32 noise: the EGNN stays at 0. Rows without
    model output (unsupported, failed) keep their grey.
    """
    shown = [row for row in rows.values() if row.available]
    top = nice_ceiling(max([DIFFERENCE_FLOOR, *(float(row.delta.max(initial=0.0)) for row in shown)]))
    scale = ColourScale(0.0, top, cmap)
    lut = scale.lookup_table(LUT_SIZE)
    for row in shown:
        row.shown_values = row.delta
        row.shown_rgba = scale.rgba(row.delta)
        row.shown_lut = lut
        row.shown_range = (0.0, top)
        row.shown_title = "|Δh| per atom"


def loading_text(row: str) -> str:
    """What a row says while its model loads: all models at start-up, or one user's model file."""
    return LOADING_MODELS if row in MODEL_TITLES else f"loading {row}…"


def view_titles(frame: Frame) -> dict[tuple[str, str], str]:
    """Title of every view, keyed by (row, column)."""
    g = "g·x"
    titles = {
        ("input", "original"): "Input x, coloured by element",
        ("input", "transformed"): f"Input {g}  ({frame.transform.describe()})",
    }
    for kind in frame.row_names:
        row = frame.rows.get(kind)
        if row is None:
            titles[(kind, "original")] = f"{MODEL_TITLES.get(kind, kind)}: {loading_text(kind)}"
            titles[(kind, "transformed")] = loading_text(kind)
            continue
        name = f"{row.title} ({row.model_label})"
        if not row.available:
            titles[(kind, "original")] = f"{name}: not available"
            titles[(kind, "transformed")] = row.message if row.status == "failed" else f"not available: {row.message}"
            continue
        titles[(kind, "original")] = f"{name}: h(x)" if row.layer is None else f"{name}, layer {row.layer}: h(x)"
        titles[(kind, "transformed")] = f"|h({g}) − h(x)|" if frame.colour_mode == "difference" else f"h({g})"
        if row.vectors is not None:
            v = row.vectors
            if v.has_dipole:
                titles[(kind, "original")] += f", |μ| = {v.norm_original:.2f} D"
            titles[(kind, "transformed")] += f"   max |v({g}) − R·v(x)| = {format_change(v.max_error)}{v.unit_text()}"
        if row.irreps:  # a user's irreps output, judged block by block: name every irrep type and its error
            blocks = ", ".join(f"{label} {format_change(b.max_error)}" for label, b in row.irreps.items())
            titles[(kind, "transformed")] += f"   irreps {blocks}"
    return titles
