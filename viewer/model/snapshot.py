"""The viewer's state as one immutable value.

A :class:`Snapshot` is everything needed to draw the grid: the molecule, the slider values, the
two model sources with their colour projections, the colormap and the display toggles. The Qt
``ViewState`` holds the current one and replaces it whole on every change; ``equiview render``
builds one from its command line, so the same pipeline and scene code draw both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType

MODEL_ROWS = ("naive", "egnn")
"""The default model rows of the grid, top to bottom. A built-in row takes any model kind of its family
(:data:`equiview.core.models.registry.FAMILY`): the naive row naive or naive-dipole, the equivariant row egnn or dipole."""
MAX_MODEL_ROWS = 4
"""The grid has the input row and 1 to 4 model rows (the two built-in ones and the user's)."""
GRID_SHAPE = (1 + MAX_MODEL_ROWS, 2)
"""Plotter shape of the grid: a slot per possible row (unused ones are not drawn), two columns."""

MODEL_TITLES = {
    "naive": "Naive GNN",
    "egnn": "Equivariant GNN",
    "naive-dipole": "Naive dipole GNN",
    "dipole": "Equivariant dipole GNN",
}
USER_KIND = "user"
"""``ModelSource.kind`` of a user's model (``--model NAME=FILE.py:FACTORY``)."""

ROW_OF_KIND = {"naive": "naive", "egnn": "egnn", "naive-dipole": "naive", "dipole": "egnn"}
"""Every built-in model kind and its row: ``equiview.core.models.registry.FAMILY``, repeated here so the viewer starts
without torch (tests/test_viewer_vectors.py checks the two agree)."""
VECTOR_KINDS = frozenset({"naive-dipole", "dipole"})
"""The kinds whose views draw arrows (``equiview.core.models.registry.VECTOR_KINDS``)."""

ARROW_SCALE_RANGE = (0.1, 10.0)
"""The arrow-scale control: multiplies :data:`ANGSTROM_PER_DEBYE`."""
ANGSTROM_PER_DEBYE = 2.0
"""Arrow length per Debye at scale 1: a 1.5 D dipole is drawn 3 Å long, about a molecule's radius, so that it
reaches out of the atoms around the centroid."""

ROTATION_RANGE = (-180.0, 180.0)
TRANSLATION_RANGE = (-10.0, 10.0)
DEFAULT_MOLECULE = 800
"""The seed's sample molecule (gdb_814)."""
DEFAULT_COLORMAP = "viridis"
COLOUR_MODES = ("embedding", "difference")
"""How the transformed model views colour atoms: by h(g·x) on the frozen scale, or by |h(g·x) − h(x)|."""


@dataclass(frozen=True)
class TransformParams:
    """Slider values: rotations about x, y, z (degrees), translation (Å), mirror x -> -x."""

    rx: float = 0.0
    ry: float = 0.0
    rz: float = 0.0
    tx: float = 0.0
    ty: float = 0.0
    tz: float = 0.0
    reflect: bool = False

    @property
    def rotation(self) -> tuple[float, float, float]:
        return (self.rx, self.ry, self.rz)

    @property
    def translation(self) -> tuple[float, float, float]:
        return (self.tx, self.ty, self.tz)

    @property
    def is_identity(self) -> bool:
        return self == TransformParams()

    def with_rotation(self, axis: int, degrees: float) -> TransformParams:
        return replace(self, **{("rx", "ry", "rz")[axis]: float(degrees)})

    def with_translation(self, axis: int, angstrom: float) -> TransformParams:
        return replace(self, **{("tx", "ty", "tz")[axis]: float(angstrom)})

    def with_reflect(self, reflect: bool) -> TransformParams:
        return replace(self, reflect=bool(reflect))

    @classmethod
    def random(cls, generator=None, translation_scale: float = 1.5) -> TransformParams:
        """Slider values of a random element of E(3): Haar-uniform rotation, mirrored half the time.

        ``equiview.core.transforms.E3Transform.random`` draws the element and ``E3Transform.to_view`` reads
        the slider values off it; they are rounded to the spin boxes' precision and the shift is
        clipped to the slider range.
        """
        from equiview.core.transforms import E3Transform

        g = E3Transform.random(generator, reflect=None, translation_scale=translation_scale)
        view = g.to_view()
        lo, hi = TRANSLATION_RANGE
        tx, ty, tz = (round(min(max(v, lo), hi), 2) for v in view.translation)
        return cls(
            rx=round(view.rx, 1),
            ry=round(view.ry, 1),
            rz=round(view.rz, 1),
            tx=tx,
            ty=ty,
            tz=tz,
            reflect=view.reflect,
        )

    def describe(self) -> str:
        """Short text such as ``R(30°, 0°, 45°) · t(1.0, 0, 0) Å · mirrored``."""
        parts = []
        if any(self.rotation):
            parts.append("R(" + ", ".join(_shown(v, 1) + "°" for v in self.rotation) + ")")
        if any(self.translation):
            parts.append("t(" + ", ".join(_shown(v, 2) for v in self.translation) + ") Å")
        if self.reflect:
            parts.append("mirrored")
        return " · ".join(parts) if parts else "identity"


def _shown(value: float, decimals: int) -> str:
    """A slider value as its spin box shows it (20.6709 -> 20.7), not as float noise; a value that rounds to 0
    but is not 0 keeps two significant digits, so a moved pose never reads as the identity."""
    rounded = round(value, decimals) + 0.0  # + 0.0: no "-0"
    return f"{value:.2g}" if rounded == 0 and value != 0 else f"{rounded:g}"


@dataclass(frozen=True)
class ModelSource:
    """Where a model row's network comes from: an untrained demo model, a checkpoint file, or a user's model
    (``kind == "user"``, ``user_spec`` = ``"NAME=FILE.py:FACTORY"`` with an absolute file path)."""

    kind: str
    seed: int = 0
    checkpoint: Path | None = None
    user_spec: str | None = None

    @classmethod
    def user(cls, spec) -> ModelSource:
        """A user's model from a :class:`equiview.core.user_models.ModelSpec` (a file path is made absolute)."""
        target = str(Path(spec.target).expanduser().resolve()) if spec.is_file else spec.target
        return cls(kind=USER_KIND, user_spec=f"{spec.name}={target}:{spec.factory}")

    @property
    def row(self) -> str:
        """The grid row this source belongs to: the family of its kind, or the user model's name."""
        if self.user_spec is None:
            return ROW_OF_KIND.get(self.kind, self.kind)
        return self.user_spec.partition("=")[0]

    @property
    def title(self) -> str:
        return MODEL_TITLES.get(self.kind, self.row)

    @classmethod
    def untrained(cls, kind: str, seed: int = 0) -> ModelSource:
        return cls(kind=kind, seed=int(seed))

    @classmethod
    def from_checkpoint(cls, kind: str, path: str | Path) -> ModelSource:
        return cls(kind=kind, checkpoint=Path(path).expanduser().resolve())

    @property
    def is_untrained(self) -> bool:
        return self.checkpoint is None

    def label(self) -> str:
        if self.user_spec is not None:
            target, _, factory = self.user_spec.partition("=")[2].rpartition(":")
            return f"{Path(target).name if target.endswith('.py') else target}:{factory}"
        if self.checkpoint is None:
            return f"untrained, seed {self.seed}"
        return self.checkpoint.name


@dataclass(frozen=True)
class ProjectionSpec:
    """How a row turns d-dimensional embeddings into one colour value per atom."""

    kind: str = "channel"  # "channel" | "pca" | "norm"
    channel: int = 0

    def label(self) -> str:
        if self.kind == "channel":
            return f"channel {self.channel}"
        if self.kind == "pca":
            return "PC 1"
        return "norm ‖h‖"


DEFAULT_TRANSFORM = TransformParams(rz=45.0)
"""The first screen shows the contrast: the tutorial's demo turns the molecule about z."""


def _default_sources() -> Mapping[str, ModelSource]:
    return {kind: ModelSource.untrained(kind, 0) for kind in MODEL_ROWS}


def _default_projections() -> Mapping[str, ProjectionSpec]:
    return {kind: ProjectionSpec() for kind in MODEL_ROWS}


@dataclass(frozen=True)
class StructureRef:
    """A molecule from outside QM9: ``origin`` is ``"file"`` (``text`` an absolute path, ``index`` the molecule
    in that file) or ``"smiles"`` (``text`` the SMILES)."""

    origin: str
    text: str
    index: int = 0

    @classmethod
    def file(cls, path: str | Path, index: int = 0) -> StructureRef:
        return cls("file", str(Path(path).expanduser().resolve()), int(index))

    @classmethod
    def smiles(cls, smiles: str) -> StructureRef:
        return cls("smiles", str(smiles).strip())

    def label(self) -> str:
        return Path(self.text).name if self.origin == "file" else f"SMILES {self.text}"


DISPLAY_FIELDS = frozenset({"show_input_row", "show_labels", "highlight"})
"""Fields that change only what is shown, not what is computed."""


@dataclass(frozen=True)
class Snapshot:
    """Everything the grid shows, as plain values. Immutable: change it with :meth:`replace`.

    ``sources`` and ``projections`` are read-only mappings (model row -> value; a built-in row's source may be of
    any kind of the row's family); ``rows`` orders the model rows (1 to :data:`MAX_MODEL_ROWS`). ``structure``, when
    set, is the molecule shown instead of QM9's ``molecule``. ``dragging`` says a slider (or a drag in the g·x column)
    is held down: the scene draws fast frames until it is released. ``highlight`` is the atom under the mouse (or
    picked), marked in every view. ``colour_ranges`` replaces a row's colour scale (frozen on the original pose) by one
    the user chose ("Rescale to this pose"); ``colour_mode`` is :data:`COLOUR_MODES`. ``layers`` shows a row by one
    layer's output instead of its model's (row -> layer name, :mod:`equiview.viewer.model.layers`).
    """

    molecule: int = DEFAULT_MOLECULE
    transform: TransformParams = DEFAULT_TRANSFORM
    sources: Mapping[str, ModelSource] = field(default_factory=_default_sources)
    projections: Mapping[str, ProjectionSpec] = field(default_factory=_default_projections)
    colormap: str = DEFAULT_COLORMAP
    show_input_row: bool = True
    show_labels: bool = False
    show_atom_vectors: bool = False  # a vector model's per-atom arrows besides the molecule's dipole
    arrow_scale: float = 1.0
    dragging: bool = False
    highlight: int | None = None
    colour_mode: str = "embedding"
    colour_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    rows: tuple[str, ...] = MODEL_ROWS
    structure: StructureRef | None = None
    aligned: bool = False  # g·x drawn from a camera moved by g: both columns look alike, only colours differ
    layers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # read-only copies: nobody can change a snapshot that the controller or a cache holds
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "projections", MappingProxyType(dict(self.projections)))
        ranges = {kind: (float(lo), float(hi)) for kind, (lo, hi) in dict(self.colour_ranges).items()}
        object.__setattr__(self, "colour_ranges", MappingProxyType(ranges))
        object.__setattr__(
            self, "layers", MappingProxyType({row: str(name) for row, name in dict(self.layers).items()})
        )

    def __hash__(self) -> int:
        return hash(
            (
                self.molecule,
                self.transform,
                tuple(sorted(self.sources.items())),
                tuple(sorted(self.projections.items())),
                self.colormap,
                self.show_input_row,
                self.show_labels,
                self.show_atom_vectors,
                self.arrow_scale,
                self.dragging,
                self.highlight,
                self.colour_mode,
                self.aligned,
                tuple(sorted(self.colour_ranges.items())),
                tuple(sorted(self.layers.items())),
                self.rows,
                self.structure,
            )
        )

    def replace(self, **changes) -> Snapshot:
        """A copy with ``changes`` applied (``dataclasses.replace``)."""
        return replace(self, **changes)

    def with_source(self, source: ModelSource) -> Snapshot:
        """The source replaces the one of its row (its kind's family, or the user model's name)."""
        return replace(self, sources={**self.sources, source.row: source})

    def with_row(self, source: ModelSource, spec: ProjectionSpec) -> Snapshot:
        """A new model row at the bottom (or the row of that name replaced), with its projection."""
        rows = self.rows if source.row in self.rows else (*self.rows, source.row)
        return replace(
            self,
            rows=rows,
            sources={**self.sources, source.row: source},
            projections={**self.projections, source.row: spec},
        )

    def without_row(self, row: str) -> Snapshot:
        return replace(
            self,
            rows=tuple(r for r in self.rows if r != row),
            sources={k: v for k, v in self.sources.items() if k != row},
            projections={k: v for k, v in self.projections.items() if k != row},
            colour_ranges={k: v for k, v in self.colour_ranges.items() if k != row},
            layers={k: v for k, v in self.layers.items() if k != row},
        )

    def with_projection(self, kind: str, spec: ProjectionSpec) -> Snapshot:
        return replace(self, projections={**self.projections, kind: spec})

    def changed_fields(self, other: Snapshot) -> frozenset[str]:
        """Names of the fields in which ``other`` differs from this snapshot."""
        return frozenset(f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name))
