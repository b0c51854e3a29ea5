"""Resolve a :class:`~equiview.viewer.model.snapshot.ModelSource` to a ready-to-run model, with a small cache.

Qt-free: the GUI and ``equiview render`` both use it. A source resolves to core's one model
wrapper, :class:`equiview.core.checkpoints.Checkpoint` (an untrained demo is a checkpoint without a file
and without normalisation). Loading failures raise :class:`ModelLoadError` (or core's
``CheckpointError``) with a one-line message.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from equiview.core.assets import checkpoint_dir
from equiview.core.errors import EquiviewError
from equiview.core.known_elements import builtin_known_elements
from equiview.viewer.model.snapshot import MODEL_ROWS, MODEL_TITLES, ROW_OF_KIND, USER_KIND, ModelSource, ProjectionSpec

if TYPE_CHECKING:  # torch is imported when the first model loads, not when the viewer starts
    import torch

    from equiview.core.checkpoints import Checkpoint

MODEL_KINDS = tuple(ROW_OF_KIND)

VECTOR_KIND_OF_ROW = {"naive": "naive-dipole", "egnn": "dipole"}
"""The dipole kind of each row's family."""

CHECKPOINT_DIR = checkpoint_dir()
"""Where the shipped checkpoints live (``assets/checkpoints/<kind>.pt``)."""


MAX_CACHED_MODELS = 16
"""Loaded models kept for quick switching; the least recently used one goes first (each demo seed is a model)."""


class ModelLoadError(EquiviewError, ValueError):
    """A model source could not be used (one-line message)."""


def kind_mismatch(found: str, wanted: str) -> str:
    """'holds a Naive GNN checkpoint, not an Equivariant GNN one' (for error messages)."""

    def article(title: str) -> str:
        return ("an " if title[0].lower() in "aeiou" else "a ") + title

    return f"holds {article(MODEL_TITLES[found])} checkpoint, not {article(MODEL_TITLES[wanted])} one"


def shipped_checkpoint(kind: str) -> Path | None:
    """The shipped checkpoint of ``kind`` if the file exists."""
    path = CHECKPOINT_DIR / f"{kind}.pt"
    return path if path.is_file() else None


class UserRowModel:
    """A user's model (``--model NAME=FILE.py:FACTORY``) behind the interface the pipeline uses for checkpoints.

    It has no prediction head: the row shows colours, the invariance error and the verdict, not a property.
    ``run`` may raise :class:`equiview.core.user_input_errors.UserModelError`; the pipeline shows that in the row.
    """

    trained = True
    target_idx = None

    def __init__(self, user_model) -> None:
        self.user_model = user_model
        self.kind = USER_KIND
        self.known_elements = user_model.known_elements
        self.embedding_dim: int | None = None  # known after the first forward pass

    def run(self, data):
        """Features [n, d] and vectors [n, 3] or None (:class:`equiview.core.user_models.ModelOutput`) for ``data``."""
        output = self.user_model.run(data.z, data.pos)
        self.embedding_dim = int(output.features.shape[1])
        return output

    def encode(self, data) -> torch.Tensor:
        return self.run(data).features

    def predict_from_embedding(self, node_embed: torch.Tensor, batch=None) -> None:
        return None

    def describe(self) -> str:
        return f"{self.user_model.name}: {self.user_model.describe()} (runs your Python code)"


def known_elements(model) -> tuple[int, ...] | None:
    """The elements a row's model knows (None: all), for the "not available" verdict."""
    if isinstance(model, UserRowModel):
        return model.known_elements
    return builtin_known_elements(model.model)


def describe(model) -> str:
    """One line about a model row's network for tooltips."""
    if isinstance(model, UserRowModel):
        return model.describe()
    if not model.trained:
        return f"{MODEL_TITLES[model.kind]}: untrained demo (hidden 32, 2 layers, 1-D embedding), seed {model.seed}"
    return model.describe()


class ModelLibrary:
    """Loads model sources once and hands out the cached :class:`~equiview.core.checkpoints.Checkpoint`.

    ``ready`` is False while the window's background loader is still importing PyTorch: then the
    pipeline draws no model rows and nobody on the interface thread calls :meth:`load`.
    """

    def __init__(self, capacity: int = MAX_CACHED_MODELS, ready: bool = True) -> None:
        self._cache: OrderedDict[ModelSource, Checkpoint] = OrderedDict()
        self.capacity = capacity
        self.ready = ready
        self.loading: set[ModelSource] = set()
        """User sources whose file is being imported on a background thread: their rows wait ("loading NAME…")."""

    def _remember(self, source: ModelSource, model: Checkpoint) -> Checkpoint:
        self._cache[source] = model
        self._cache.move_to_end(source)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        return model

    def _cached(self, source: ModelSource) -> Checkpoint | None:
        cached = self._cache.get(source)
        if cached is None:
            return None
        if source.checkpoint is not None and not source.checkpoint.is_file():
            del self._cache[source]  # deleted or moved since it was loaded: do not pretend it is still there
            from equiview.core.checkpoints import CheckpointNotFoundError

            raise CheckpointNotFoundError(f"{source.checkpoint}: no such checkpoint file (it was removed)")
        self._cache.move_to_end(source)
        return cached

    def load(self, source: ModelSource) -> Checkpoint | UserRowModel:
        if source.kind == USER_KIND:
            return self._load_user(source)
        if source.kind not in MODEL_KINDS:
            raise ModelLoadError(f"unknown model kind {source.kind!r}; expected one of {', '.join(MODEL_KINDS)}")
        cached = self._cached(source)
        if cached is not None:
            return cached
        from equiview.core.checkpoints import Checkpoint, load_checkpoint

        if source.checkpoint is None:
            if source.seed < 0:
                raise ModelLoadError(f"seed must be a non-negative integer, got {source.seed}")
            model = Checkpoint.untrained(source.kind, source.seed)
        else:
            model = load_checkpoint(source.checkpoint)
            # a row takes any kind of its family (the window may name a file before its kind is known)
            if ROW_OF_KIND[model.kind] != source.row:
                raise ModelLoadError(f"{source.checkpoint}: {kind_mismatch(model.kind, source.row)}")
            model.model.eval()
        return self._remember(source, model)

    def _load_user(self, source: ModelSource) -> UserRowModel:
        """Import the user's file or module and call its factory (THIS RUNS THEIR CODE), once per source."""
        from equiview.core.user_input_errors import UserModelError
        from equiview.core.user_models import load_user_model

        cached = self._cache.get(source)
        if cached is None:
            try:
                cached = UserRowModel(load_user_model(source.user_spec))
            except UserModelError as error:
                raise ModelLoadError(str(error)) from None
            self._cache[source] = cached
        return cached

    def is_cached(self, source: ModelSource) -> bool:
        return source in self._cache

    def is_loading(self, source: ModelSource) -> bool:
        return source in self.loading

    def remember_user(self, source: ModelSource, user_model) -> UserRowModel:
        """A user's model loaded elsewhere (the window's background thread) becomes this source's row model."""
        self.loading.discard(source)
        model = self._cache.get(source)
        if model is None:
            model = self._cache[source] = UserRowModel(user_model)
        return model

    def load_file(self, path: str | Path) -> tuple[ModelSource, Checkpoint]:
        """Load a checkpoint of any kind; the file says which row it belongs to (``source.row``)."""
        from equiview.core.checkpoints import load_checkpoint

        model = load_checkpoint(path)
        source = ModelSource.from_checkpoint(model.kind, path)
        return source, self._remember(source, self._cache.get(source, model))

    def default_sources(self) -> dict[str, ModelSource]:
        """Shipped checkpoints where present, else the untrained demo (seed 0)."""
        sources = {}
        for row in MODEL_ROWS:
            path = shipped_checkpoint(row)
            sources[row] = ModelSource.from_checkpoint(row, path) if path else ModelSource.untrained(row, 0)
        return sources

    def dipole_sources(self) -> dict[str, ModelSource]:
        """The "Vectors: dipole models" preset: the shipped dipole checkpoint of each row (``ModelLoadError`` if
        one is missing)."""
        sources = {}
        for row in MODEL_ROWS:
            kind = VECTOR_KIND_OF_ROW[row]
            path = shipped_checkpoint(kind)
            if path is None:
                raise ModelLoadError(f"the shipped {kind}.pt is missing from {CHECKPOINT_DIR}")
            sources[row] = ModelSource.from_checkpoint(kind, path)
        return sources


def with_loaded_models(snapshot, loaded: dict, library: ModelLibrary):
    """``snapshot`` with the rows' models as loaded in the background: ``loaded`` maps a row to
    ``(source, Checkpoint or the exception loading raised)``. A row that failed falls back to the
    untrained demo. Returns the new snapshot (each row coloured by :func:`default_projection`) and
    ``[(row, exception)]`` for the failures.
    """
    failures = []
    for kind, (source, model) in loaded.items():
        if isinstance(model, BaseException):
            failures.append((kind, model))
            source = ModelSource.untrained(kind, 0)
            model = library.load(source)
        snapshot = snapshot.with_source(source).with_projection(kind, default_projection(model))
    return snapshot, failures


def default_projection(model: Checkpoint) -> ProjectionSpec:
    """How a freshly chosen model is coloured: its only channel, or the first principal component."""
    if isinstance(model, UserRowModel):  # its width is known only after a forward pass: PCA works for any width
        return ProjectionSpec("pca")
    return ProjectionSpec("pca") if model.embedding_dim > 1 else ProjectionSpec("channel", 0)
