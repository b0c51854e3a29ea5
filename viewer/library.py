"""Resolve a :class:`~viewer.snapshot.ModelSource` to a ready-to-run model, with a small cache.

Qt-free: the GUI and ``equiview render`` both use it. Loading failures raise
:class:`ModelLoadError` (or core's ``CheckpointError``) with a one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import Tensor, nn

from core.assets import checkpoint_dir
from core.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from core.cli import error_message
from core.data.targets import DEFAULT_TARGET, TARGETS
from core.embeddings import predict_from_embedding
from core.models.registry import MODEL_KINDS, demo_model
from viewer.snapshot import MODEL_TITLES, ModelSource, ProjectionSpec

CHECKPOINT_DIR = checkpoint_dir()
"""Where the shipped checkpoints live (``assets/checkpoints/naive.pt`` and ``egnn.pt`` in the repository)."""

DEFAULT_TARGET_IDX = DEFAULT_TARGET  # <R^2>, what the tutorial trains on and what untrained demos are compared with


class ModelLoadError(ValueError):
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


@dataclass
class LoadedModel:
    """A network ready for the viewer, with what the readouts need to label its numbers."""

    source: ModelSource
    model: nn.Module
    checkpoint: Checkpoint | None

    @property
    def kind(self) -> str:
        return self.source.kind

    @property
    def trained(self) -> bool:
        return self.checkpoint is not None

    @property
    def target_idx(self) -> int:
        return self.checkpoint.target_idx if self.checkpoint is not None else DEFAULT_TARGET_IDX

    @property
    def embedding_dim(self) -> int:
        size = getattr(self.model, "final_embedding_size", None)
        return int(size) if size else 1

    def label(self) -> str:
        return self.source.label()

    def description(self) -> str:
        if self.checkpoint is None:
            return f"{MODEL_TITLES[self.kind]}: untrained demo (hidden 32, 2 layers, 1-D embedding), seed {self.source.seed}"
        return self.checkpoint.describe()

    def predict_from_embedding(self, h: Tensor) -> float:
        """Graph-level prediction of one molecule from its atom embeddings, in the target's units.

        Uses the model's readout (sum over atoms + MLP) so a slider step does not run the encoder
        twice; a checkpoint undoes its target normalisation (``Checkpoint.predict_from_embedding``).
        """
        if self.checkpoint is not None:
            prediction = self.checkpoint.predict_from_embedding(h)
        else:
            prediction = predict_from_embedding(self.model, h)
        return float(prediction.reshape(-1)[0])


class ModelLibrary:
    """Loads model sources once and hands out the cached :class:`LoadedModel`."""

    def __init__(self) -> None:
        self._cache: dict[ModelSource, LoadedModel] = {}

    def load(self, source: ModelSource) -> LoadedModel:
        if source.kind not in MODEL_KINDS:
            raise ModelLoadError(f"unknown model kind {source.kind!r}; expected one of {', '.join(MODEL_KINDS)}")
        cached = self._cache.get(source)
        if cached is not None:
            return cached
        if source.checkpoint is None:
            if source.seed < 0:
                raise ModelLoadError(f"seed must be a non-negative integer, got {source.seed}")
            loaded = LoadedModel(source, demo_model(source.kind, source.seed), None)
        else:
            checkpoint = load_checkpoint(source.checkpoint)
            if checkpoint.kind != source.kind:
                raise ModelLoadError(f"{source.checkpoint}: {kind_mismatch(checkpoint.kind, source.kind)}")
            loaded = LoadedModel(source, checkpoint.model.eval(), checkpoint)
        self._cache[source] = loaded
        return loaded

    def load_file(self, path: str | Path) -> LoadedModel:
        """Load a checkpoint of either kind; the file says which row it belongs to."""
        checkpoint = load_checkpoint(path)
        source = ModelSource.from_checkpoint(checkpoint.kind, path)
        loaded = self._cache.get(source)
        if loaded is None:
            loaded = LoadedModel(source, checkpoint.model.eval(), checkpoint)
            self._cache[source] = loaded
        return loaded

    def default_sources(self) -> dict[str, ModelSource]:
        """Shipped checkpoints where present, else the untrained demo (seed 0)."""
        sources = {}
        for kind in MODEL_KINDS:
            path = shipped_checkpoint(kind)
            sources[kind] = ModelSource.from_checkpoint(kind, path) if path else ModelSource.untrained(kind, 0)
        return sources


def default_projection(loaded: LoadedModel) -> ProjectionSpec:
    """How a freshly chosen model is coloured: its only channel, or the first principal component."""
    return ProjectionSpec("pca") if loaded.embedding_dim > 1 else ProjectionSpec("channel", 0)


def target_label(idx: int) -> tuple[str, str]:
    """(description, unit) of a QM9 target for readouts."""
    target = TARGETS[idx]
    return target.description, target.unit


LOAD_ERRORS: tuple[type[BaseException], ...] = (CheckpointError, ModelLoadError, OSError, ValueError)
"""Exceptions a model load can raise with a user-facing one-line message."""


def error_text(error: BaseException) -> str:
    """One line for an error dialog or stderr: the command line's message, cut to its first line."""
    text = error_message(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
