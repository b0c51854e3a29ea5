"""Saving and loading trained models without ever unpickling arbitrary objects.

File format (``torch.save`` of a dict holding only plain Python values and tensors)::

    {"format": "equiview-checkpoint", "version": 1,
     "kind": "egnn" | "naive", "hparams": {...},            # enough to rebuild the model
     "target_idx": 5, "normalisation": {"mean": m, "std": s} | None,
     "metrics": {...}, "fingerprint": {...} | None,           # plain types only
     "created_with": {"equiview": "0.1.0", "torch": "2.x"},
     "state_sha256": "<hex>",                                  # of state_dict; absent in older files
     "state_dict": {name: tensor}}

Files are read only with ``torch.load(path, map_location="cpu", weights_only=True)``, whose
unpickler refuses any Python global outside tensors and builtin containers. A plain state_dict,
as the tutorial saved it with ``torch.save(model.state_dict(), path)``, loads too: the model kind
is recognised from the key names and the hyperparameters from the tensor shapes.

Nothing is built or allocated from a file before it is checked: the zip archive's entries must fit the file
(no compression bombs) and match their CRC-32, the hyperparameters must lie within
:data:`equiview.core.models.limits.HPARAM_BOUNDS` and the tensors must have exactly the shapes of that model; weights must
be finite and at most :data:`MAX_ABS_WEIGHT` in magnitude, the recorded ``state_sha256`` must match, and the model
must give finite outputs on a probe molecule.

Every failure raises a subclass of :class:`CheckpointError` with a one-line message naming the file.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickletools
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

import equiview
from equiview.core.atomic import write_with
from equiview.core.data.targets import TARGETS
from equiview.core.embeddings import encode
from equiview.core.errors import EquiviewError
from equiview.core.model_input import Graph
from equiview.core.models.limits import MAX_LAYERS, check_hparams
from equiview.core.models.registry import (
    DEFAULT_TARGETS,
    MODEL_KINDS,
    build_model,
    check_kind,
    default_hparams,
    demo_hparams,
    demo_model,
)
from equiview.core.zip_errors import ZIP_READ_ERRORS

FORMAT_TAG = "equiview-checkpoint"
FORMAT_VERSION = 1
# The tutorial trains on target 5 (<R^2>); plain state_dicts carry no target, so this is assumed.
PLAIN_STATE_DICT_TARGET_IDX = 5

_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTO = 0x80  # first byte of a pickle of protocol >= 2 (also legacy torch.save files)
# How torch's weights-only unpickler words a refusal (torch 2.13: "Trying to load unsupported GLOBAL posix.system
# whose module posix is blocked"; older: "Unsupported global: GLOBAL builtins.eval"). Matched case-insensitively.
_UNSAFE_MARKERS = ("unsupported global", "unsupported class", "unsupported operand", "unsupported operation")
MAX_ABS_WEIGHT = 1e6
"""Largest parameter magnitude accepted: trained weights are O(1); 3e38 would overflow every prediction."""
MAX_EXPANSION = 64
"""A zip entry may hold at most this many times the archive's size once decompressed (torch stores, never packs)."""


class CheckpointError(EquiviewError):
    """Base class: a checkpoint file could not be used. The message is one line naming the file."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The path does not exist."""


class NotACheckpointError(CheckpointError):
    """The file is readable but is not an equiview checkpoint or a state_dict of one of its models."""


class CorruptCheckpointError(CheckpointError):
    """The file is truncated, damaged or has missing/invalid fields."""


class UnsafeCheckpointError(CheckpointError):
    """The file holds pickled objects that would run code when loaded; it was refused unread."""


class UnknownModelKindError(CheckpointError):
    """The checkpoint names a model kind this version does not know."""


class UnsupportedCheckpointVersionError(CheckpointError):
    """The checkpoint was written by a newer format version than this equiview reads."""


class ShapeMismatchError(CheckpointError):
    """The state_dict's keys or tensor shapes do not fit the model its hyperparameters describe."""


# --------------------------------------------------------------------------- the loaded object
@dataclass
class Checkpoint:
    """A model ready to use, with everything needed to read its predictions.

    The one model wrapper of equiview: a file loaded by :func:`load_checkpoint`, or the seed's
    untrained demo (:meth:`untrained`: a checkpoint without a file and without normalisation).
    The CLI, the evaluation and the viewer all encode and predict through it.
    """

    model: nn.Module
    kind: str
    hparams: dict[str, Any]
    target_idx: int
    normalisation: tuple[float | Tensor, float | Tensor] | None
    metrics: dict[str, Any]
    fingerprint: dict[str, Any] | None
    path: Path | None
    is_plain_state_dict: bool
    created_with: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None  # the untrained demo's torch.manual_seed

    @classmethod
    def untrained(cls, kind: str, seed: int = 0) -> Checkpoint:
        """The seed's untrained demo model of ``kind`` (hidden 32, 2 layers, 1-D embedding) after ``manual_seed(seed)``."""
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        return cls(
            model=demo_model(kind, seed),
            kind=kind,
            hparams=demo_hparams(kind),
            target_idx=DEFAULT_TARGETS[kind],
            normalisation=None,
            metrics={},
            fingerprint=None,
            path=None,
            is_plain_state_dict=False,
            seed=int(seed),
        )

    @property
    def trained(self) -> bool:
        """Whether the weights come from a file (an untrained demo's predictions are meaningless)."""
        return self.path is not None

    @property
    def embedding_dim(self) -> int:
        """Width d of the per-atom embeddings that :meth:`encode` returns."""
        size = getattr(self.model, "final_embedding_size", None)
        return int(size) if size else int(self.hparams.get("hidden_channels", 1))

    @property
    def target_name(self) -> str:
        """Short name of the predicted QM9 target, e.g. ``"r2"``."""
        return TARGETS[self.target_idx].name

    @property
    def target_unit(self) -> str:
        return TARGETS[self.target_idx].unit

    def denormalise(self, prediction: Tensor) -> Tensor:
        """Model output -> the target's units: ``prediction * std + mean`` when trained on standardised targets."""
        if self.normalisation is None:
            return prediction
        mean, std = self.normalisation
        return prediction * std + mean

    def encode(self, data: Any) -> Tensor:
        """Per-atom embeddings ``[num_atoms, d]`` (no gradients, eval mode)."""
        return encode(self.model, data)

    def predict(self, batch: Any) -> Tensor:
        """Graph-level predictions ``[num_graphs, target_size]`` in the target's units (de-normalised)."""
        with torch.no_grad():
            prediction = self.model(batch)
        return self.denormalise(prediction)

    def predict_from_embedding(self, node_embed: Tensor, batch: Tensor | None = None) -> Tensor:
        """:meth:`predict` from per-atom embeddings already computed by :meth:`encode` (readout only).

        Runs only the model's readout (sum over the atoms of each graph, then the MLP), so a caller
        that already has the embeddings does not encode twice. ``batch`` assigns atoms to graphs as
        in a PyG batch; None means all atoms form one molecule.
        """
        readout = getattr(self.model, "readout", None)
        if readout is None:
            raise TypeError(f"{type(self.model).__name__} has no readout(h, batch) method; expected an equiview model")
        with torch.no_grad():
            return self.denormalise(readout(node_embed, batch))

    def describe(self) -> str:
        """One line for logs and the viewer, e.g. ``egnn (hidden_channels=64, ...) -> ⟨R²⟩ [a0²]``."""
        hp = ", ".join(f"{key}={value}" for key, value in self.hparams.items())
        if self.path is None:
            return f"{self.kind} ({hp}): untrained demo, seed {self.seed}"
        origin = "plain state_dict" if self.is_plain_state_dict else f"format v{FORMAT_VERSION}"
        return (
            f"{self.kind} ({hp}) -> {TARGETS[self.target_idx].symbol} [{self.target_unit}], {origin}: {self.path.name}"
        )


# --------------------------------------------------------------------------- saving
def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    *,
    kind: str,
    hparams: Mapping[str, Any],
    target_idx: int = 5,
    normalisation: tuple[float, float] | Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    fingerprint: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model`` and its metadata to ``path`` (atomically); returns the path.

    ``hparams`` are merged over :func:`~equiview.core.models.registry.default_hparams` and checked against the
    model's own state_dict, so a file that could not be loaded again is never written.
    ``normalisation`` is ``(mean, std)`` (or a dict with those keys) of the training targets, or None.
    ``metrics`` and ``fingerprint`` may hold only str/int/float/bool/None, lists and str-keyed dicts.
    """
    path = Path(path)
    if kind not in MODEL_KINDS:
        raise UnknownModelKindError(f"{path}: unknown model kind {kind!r}; expected one of {', '.join(MODEL_KINDS)}")
    try:
        full_hparams = _check_plain({**default_hparams(kind), **dict(hparams)}, "hparams")
        metrics = _check_plain(dict(metrics or {}), "metrics")
        fingerprint = None if fingerprint is None else _check_plain(dict(fingerprint), "fingerprint")
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    try:
        reference = build_model(kind, **full_hparams)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: hyperparameters do not describe a {kind} model: {error}") from None
    state_dict = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
    problem = state_dict_mismatch(reference.state_dict(), state_dict)
    if problem:
        raise ShapeMismatchError(f"{path}: model does not match {kind}({_format_hparams(full_hparams)}): {problem}")
    payload = {
        "format": FORMAT_TAG,
        "version": FORMAT_VERSION,
        "kind": kind,
        "hparams": full_hparams,
        "target_idx": _check_target_idx(target_idx, path),
        "normalisation": _normalisation_to_file(normalisation, path),
        "metrics": metrics,
        "fingerprint": fingerprint,
        "created_with": {"equiview": equiview.__version__, "torch": str(torch.__version__)},
        "state_sha256": state_dict_sha256(state_dict),
        "state_dict": state_dict,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_with(path, lambda handle: torch.save(payload, handle))


def state_dict_sha256(state_dict: Mapping[str, Tensor]) -> str:
    """SHA-256 (hex) of a state_dict: every key, dtype, shape and the raw little-endian values, in key order."""
    digest = hashlib.sha256()
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().cpu().contiguous()
        digest.update(f"{key}|{tensor.dtype}|{list(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- loading
def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Load an equiview checkpoint or a plain state_dict of one of the models; never runs pickled code."""
    path = Path(path)
    raw = _read_safely(path)
    if not isinstance(raw, Mapping):
        raise NotACheckpointError(f"{path}: holds a {type(raw).__name__}, not a checkpoint dict or state_dict")
    if raw.get("format") == FORMAT_TAG:
        return _from_project_format(path, raw)
    if raw and all(isinstance(key, str) and isinstance(value, Tensor) for key, value in raw.items()):
        return _from_plain_state_dict(path, raw)
    raise NotACheckpointError(f"{path}: a dict without the {FORMAT_TAG!r} tag and not a state_dict of tensors")


def read_torch_file(path: str | os.PathLike[str], allowed_globals: tuple[Any, ...] = ()) -> Any:
    """The object in a ``torch.save`` file, read with the weights-only unpickler after checking the container.

    ``allowed_globals`` are classes the file may name besides tensors and builtin containers (for PyG's
    processed files). Raises :class:`CheckpointError` subclasses with a one-line message naming the file.
    """
    return _read_safely(Path(path), allowed_globals)


def _read_safely(path: Path, allowed_globals: tuple[Any, ...] = ()) -> Any:
    if not path.exists():
        raise CheckpointNotFoundError(f"{path}: no such checkpoint file")
    if not path.is_file():
        raise NotACheckpointError(f"{path}: is not a file")
    try:
        with open(path, "rb") as handle:
            header = handle.read(4)
    except OSError as error:
        raise CheckpointError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not header:
        raise CorruptCheckpointError(f"{path}: file is empty")
    if header == _ZIP_MAGIC:
        _check_torch_archive(path)
    elif header[0] != _PICKLE_PROTO:
        raise NotACheckpointError(f"{path}: not a PyTorch checkpoint (unrecognised file header {header!r})")
    try:
        with warnings.catch_warnings(), torch.serialization.safe_globals(list(allowed_globals)):
            warnings.simplefilter("ignore")  # torch warns about pickle protocols it does not expect
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises many exception types for bad files
        message = str(error)
        if any(marker in message.lower() for marker in _UNSAFE_MARKERS):
            if header == _ZIP_MAGIC or _pickle_imports(path):
                raise UnsafeCheckpointError(f"{path}: refused: {_unsafe_reason(path, message)}") from None
            raise NotACheckpointError(f"{path}: a Python pickle, not a PyTorch checkpoint") from None
        # torch's own words may carry advice (such as weights_only=False) that must never reach the user
        reason = "out of memory" if isinstance(error, MemoryError) else type(error).__name__
        raise CorruptCheckpointError(f"{path}: truncated or corrupt ({reason})") from None


def _check_torch_archive(path: Path) -> None:
    """A torch.save archive is a zip with ``<name>/data.pkl``; its entries must fit the file and their CRC-32.

    torch itself reads neither the CRCs nor the declared sizes critically: a flipped bit would load as a
    different model and a deflated entry could expand to gigabytes.
    """
    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            if not any(name.endswith("data.pkl") for name in names):
                raise NotACheckpointError(f"{path}: a zip archive but not a PyTorch checkpoint (no data.pkl inside)")
            declared = sum(info.file_size for info in infos)
            if declared > MAX_EXPANSION * size + (1 << 20):
                raise CorruptCheckpointError(
                    f"{path}: refused: its zip entries claim {declared:,} bytes in a {size:,}-byte file"
                )
            for info in infos:
                _check_entry_crc(archive, info, path)
    except CheckpointError:
        raise
    except ZIP_READ_ERRORS as error:
        raise CorruptCheckpointError(
            f"{path}: truncated or corrupt zip archive ({_first_line(str(error), 'unreadable')})"
        ) from None


def _check_entry_crc(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
    """Read one entry in blocks (zipfile checks the CRC-32 at its end); a zero CRC means none was recorded."""
    if info.CRC == 0 and info.file_size > 0:
        return  # torch.serialization.set_crc32_options(False) writes no checksums
    try:
        with archive.open(info) as entry:
            while entry.read(1 << 20):
                pass
    except zipfile.BadZipFile:
        raise CorruptCheckpointError(f"{path}: damaged: entry {info.filename} fails its CRC-32 check") from None


def _pickle_imports(path: Path) -> list[str]:
    """Globals a plain pickle file would import (``module.name``), read statically without executing it.

    Raises :class:`CorruptCheckpointError` when the pickle stream itself is broken.
    """
    imports: list[str] = []
    recent_strings: list[str] = []
    try:
        with open(path, "rb") as handle:
            for opcode, arg, _ in pickletools.genops(handle):
                if opcode.name == "GLOBAL":
                    imports.append(str(arg).replace(" ", "."))
                elif opcode.name == "STACK_GLOBAL":
                    imports.append(".".join(recent_strings[-2:]) or "<unknown>")
                elif opcode.name in ("INST", "OBJ", "REDUCE", "NEWOBJ", "NEWOBJ_EX", "BUILD") and not imports:
                    imports.append(f"<{opcode.name}>")
                if isinstance(arg, str):
                    recent_strings.append(arg)
    except Exception as error:  # noqa: BLE001 - whatever stops the static read means a broken stream
        # (pickletools: ValueError, UnicodeDecodeError for bad text; a huge declared length: MemoryError)
        raise CorruptCheckpointError(
            f"{path}: truncated or corrupt pickle ({_first_line(str(error), 'unreadable')})"
        ) from None
    return imports


def _unsafe_reason(path: Path, message: str) -> str:
    """'this file would run code (it imports posix.system)': never torch's advice, which suggests unsafe loading."""
    found = re.search(r"GLOBAL ([\w.]+)", message, re.IGNORECASE)
    if found:
        return f"this file would run code (it imports {found.group(1)})"
    with open(path, "rb") as handle:
        plain_pickle = handle.read(1) == bytes([_PICKLE_PROTO])
    if plain_pickle:  # a plain pickle can be scanned without running it
        imports = [name for name in _pickle_imports(path) if not name.startswith("<")]
        if imports:
            return f"this file would run code (it imports {imports[0]})"
    return "this file would run code (it holds pickled Python objects)"


def _from_project_format(path: Path, raw: Mapping[str, Any]) -> Checkpoint:
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CorruptCheckpointError(f"{path}: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise UnsupportedCheckpointVersionError(
            f"{path}: written by checkpoint format v{version}; this equiview reads up to v{FORMAT_VERSION}"
        )
    for key in ("kind", "hparams", "state_dict"):
        if key not in raw:
            raise CorruptCheckpointError(f"{path}: missing field {key!r}")
    kind = raw["kind"]
    if not isinstance(kind, str) or kind not in MODEL_KINDS:
        raise UnknownModelKindError(f"{path}: unknown model kind {kind!r}; expected one of {', '.join(MODEL_KINDS)}")
    hparams = raw["hparams"]
    if not isinstance(hparams, Mapping) or not all(isinstance(key, str) for key in hparams):
        raise CorruptCheckpointError(f"{path}: field 'hparams' must be a dict with string keys")
    state_dict = raw["state_dict"]
    if not isinstance(state_dict, Mapping) or not all(
        isinstance(key, str) and isinstance(value, Tensor) for key, value in state_dict.items()
    ):
        raise CorruptCheckpointError(f"{path}: field 'state_dict' must map parameter names to tensors")
    metrics = raw.get("metrics") or {}
    fingerprint = raw.get("fingerprint")
    if not isinstance(metrics, Mapping) or not (fingerprint is None or isinstance(fingerprint, Mapping)):
        raise CorruptCheckpointError(f"{path}: fields 'metrics' and 'fingerprint' must be dicts")
    created_with = raw.get("created_with") or {}
    recorded_hash = raw.get("state_sha256")
    if recorded_hash is not None and not isinstance(recorded_hash, str):
        raise CorruptCheckpointError(f"{path}: field 'state_sha256' must be a hex string")
    model = _build_and_load(path, kind, {**default_hparams(kind), **hparams}, state_dict, recorded_hash)
    return Checkpoint(
        model=model,
        kind=kind,
        hparams=dict(hparams),
        target_idx=_check_target_idx(raw.get("target_idx", PLAIN_STATE_DICT_TARGET_IDX), path, CorruptCheckpointError),
        normalisation=_normalisation_from_file(raw.get("normalisation"), path),
        metrics=dict(metrics),
        fingerprint=None if fingerprint is None else dict(fingerprint),
        path=path,
        is_plain_state_dict=False,
        created_with=dict(created_with) if isinstance(created_with, Mapping) else {},
    )


def _from_plain_state_dict(path: Path, state_dict: Mapping[str, Tensor]) -> Checkpoint:
    kind = detect_kind(state_dict)
    if kind is None:
        sample = ", ".join(list(state_dict)[:3])
        raise NotACheckpointError(f"{path}: tensors ({sample}, ...) are not a state_dict of an equiview model")
    try:
        hparams = infer_hparams(kind, state_dict)
    except ValueError as error:
        raise ShapeMismatchError(f"{path}: {error}") from None
    model = _build_and_load(path, kind, hparams, state_dict)
    return Checkpoint(
        model=model,
        kind=kind,
        hparams=hparams,
        target_idx=PLAIN_STATE_DICT_TARGET_IDX,
        normalisation=None,
        metrics={},
        fingerprint=None,
        path=path,
        is_plain_state_dict=True,
    )


def _build_and_load(
    path: Path,
    kind: str,
    hparams: dict[str, Any],
    state_dict: Mapping[str, Tensor],
    recorded_hash: str | None = None,
) -> nn.Module:
    """Check, in this order, hyperparameter bounds, tensor shapes, values and hash; then load and probe the model.

    Nothing is allocated from the file's numbers before they are bounded: the model is built from checked
    hyperparameters, and a tensor is read only once its shape equals that model's (a crafted tensor can claim a
    huge logical size over a tiny storage).
    """
    try:
        model = build_model(check_kind(kind), **check_hparams(kind, hparams))
    except (TypeError, ValueError) as error:
        raise CorruptCheckpointError(
            f"{path}: hyperparameters do not describe a valid {kind} model ({_first_line(str(error), 'invalid')})"
        ) from None
    problem = state_dict_mismatch(model.state_dict(), state_dict)
    if problem:
        raise ShapeMismatchError(f"{path}: state_dict does not fit {kind}({_format_hparams(hparams)}): {problem}")
    expected = model.state_dict()
    for key, value in state_dict.items():
        if value.dtype != expected[key].dtype:
            raise ShapeMismatchError(f"{path}: parameter {key} is {value.dtype}, the model needs {expected[key].dtype}")
        if value.is_floating_point():
            if not bool(torch.isfinite(value).all()):
                raise CorruptCheckpointError(f"{path}: parameter {key} contains NaN or infinite values")
            if value.numel() and float(value.abs().max()) > MAX_ABS_WEIGHT:
                raise CorruptCheckpointError(
                    f"{path}: parameter {key} holds values up to {float(value.abs().max()):.3g}, "
                    f"beyond the plausible {MAX_ABS_WEIGHT:g}"
                )
    if recorded_hash is not None and state_dict_sha256(state_dict) != recorded_hash:
        raise CorruptCheckpointError(f"{path}: damaged: the weights do not match the checksum recorded when saved")
    model.load_state_dict(dict(state_dict), strict=True)
    model.eval()
    if not _gives_finite_outputs(model):
        raise CorruptCheckpointError(f"{path}: the model gives NaN or infinite outputs on a probe molecule")
    return model


def _gives_finite_outputs(model: nn.Module) -> bool:
    """Run the model on methane: weights that are each plausible can still overflow together.

    The probe is a batch of one graph with the fields the models read, built without PyG (whose
    import costs seconds that loading a checkpoint in the viewer cannot afford).
    """
    z = torch.tensor([6, 1, 1, 1, 1])
    pos = torch.tensor(
        [[0.0, 0.0, 0.0], [0.63, 0.63, 0.63], [-0.63, -0.63, 0.63], [-0.63, 0.63, -0.63], [0.63, -0.63, -0.63]]
    )
    bonds = torch.tensor([[0, 0, 0, 0, 1, 2, 3, 4], [1, 2, 3, 4, 0, 0, 0, 0]])
    batch = Graph(z=z, pos=pos, edge_index=bonds, batch=torch.zeros(5, dtype=torch.long))
    with torch.no_grad():
        embedding = model.encode(batch)
        prediction = model(batch)
    return bool(torch.isfinite(embedding).all()) and bool(torch.isfinite(prediction).all())


# --------------------------------------------------------------------------- plain state_dicts
def detect_kind(state_dict: Mapping[str, Tensor]) -> str | None:
    """The model kind whose parameter names ``state_dict`` uses, or None."""
    keys = set(state_dict)
    if "f_initial_embed.weight" not in keys:
        return None
    if any(key.startswith("message_passing_layers.") for key in keys):
        return "egnn"
    if "f_pos_embed.weight" in keys and any(key.startswith("gnn.convs.") for key in keys):
        return "naive"
    return None


def _shape(state_dict: Mapping[str, Tensor], key: str, ndim: int) -> tuple[int, ...]:
    if key not in state_dict:
        raise ValueError(f"missing key {key}")
    shape = tuple(state_dict[key].shape)
    if len(shape) != ndim:
        raise ValueError(f"shape mismatch at {key}: expected {ndim} dimensions, got {list(shape)}")
    return shape


def _layer_indices(state_dict: Mapping[str, Tensor], prefix: str) -> list[int]:
    """Layer numbers under ``prefix``: they must be 0..n-1 with n at most MAX_LAYERS (``ValueError`` if not)."""
    pattern = re.compile(re.escape(prefix) + r"(\d{1,9})\.")
    found = sorted({int(m.group(1)) for key in state_dict if (m := pattern.match(key))})
    if not found:
        raise ValueError(f"no layers {prefix}N.* in the state_dict")
    if found[-1] >= MAX_LAYERS or found != list(range(len(found))):
        shown = ", ".join(str(i) for i in found[:3]) + (f", ..., {found[-1]}" if len(found) > 3 else "")
        raise ValueError(f"layers {prefix}{{{shown}}} are not numbered 0..n-1 with at most {MAX_LAYERS} layers")
    return found


def infer_hparams(kind: str, state_dict: Mapping[str, Tensor]) -> dict[str, Any]:
    """Hyperparameters of a ``kind`` model read off its state_dict's tensor shapes (``ValueError`` if unreadable)."""
    hidden = _shape(state_dict, "f_initial_embed.weight", 2)[1]
    if kind == "egnn":
        layers = _layer_indices(state_dict, "message_passing_layers.")
        last = f"message_passing_layers.{layers[-1]}"
        final = _shape(state_dict, f"{last}.residual_proj.weight", 2)[0]
        hparams: dict[str, Any] = {
            "hidden_channels": hidden,
            "num_mp_layers": layers[-1] + 1,
            "final_embedding_size": None if final == hidden else final,
        }
        if "f_predict.2.weight" in state_dict:
            target_size = _shape(state_dict, "f_predict.2.weight", 2)[0]
            if target_size != 1:
                hparams["target_size"] = target_size
        return hparams
    if kind == "naive":
        convs = _layer_indices(state_dict, "gnn.convs.")
        last = f"gnn.convs.{convs[-1]}.nn.lins."
        lins = _layer_indices(state_dict, last)
        if not lins:
            raise ValueError(f"missing key {last}0.weight")
        # PyG's GIN maps hidden -> final in its last conv; its last linear layer gives the final size
        final = _shape(state_dict, f"{last}{lins[-1]}.weight", 2)[0]
        return {
            "hidden_channels": hidden,
            "num_layers": convs[-1] + 1,
            "num_spatial_dims": _shape(state_dict, "f_pos_embed.weight", 2)[1],
            "final_embedding_size": None if final == hidden else final,
        }
    raise ValueError(f"unknown model kind {kind!r}")


def state_dict_mismatch(expected: Mapping[str, Tensor], given: Mapping[str, Tensor]) -> str:
    """'' when ``given`` has exactly the keys and shapes of ``expected``, else a one-line description."""
    problems = []
    wrong = [
        f"{key} (file {list(given[key].shape)}, model {list(value.shape)})"
        for key, value in expected.items()
        if key in given and tuple(given[key].shape) != tuple(value.shape)
    ]
    missing = [key for key in expected if key not in given]
    unexpected = [key for key in given if key not in expected]
    for label, keys in (("shape mismatch at", wrong), ("missing keys", missing), ("unexpected keys", unexpected)):
        if keys:
            more = f" and {len(keys) - 4} more" if len(keys) > 4 else ""
            problems.append(f"{label} {', '.join(keys[:4])}{more}")
    return "; ".join(problems)


# --------------------------------------------------------------------------- field helpers
def _format_hparams(hparams: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in hparams.items())


def _first_line(message: str, fallback: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else fallback
    return line[:200]


def _check_target_idx(target_idx: Any, path: Path, error: type[Exception] = ValueError) -> int:
    if (
        isinstance(target_idx, bool)
        or not isinstance(target_idx, (int, np.integer))
        or not 0 <= target_idx < len(TARGETS)
    ):
        raise error(f"{path}: target_idx must be an integer in 0..{len(TARGETS) - 1}, got {target_idx!r}")
    return int(target_idx)


def _plain_number_or_tensor(value: Any, what: str, path: Path, error: type[Exception]) -> float | Tensor:
    if isinstance(value, Tensor):
        tensor = value.detach().cpu().to(torch.float64)
        if tensor.numel() == 1:
            return float(tensor.reshape(()))
        return tensor
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    raise error(f"{path}: normalisation {what} must be a number or a tensor, got {type(value).__name__}")


def _normalisation_to_file(normalisation: Any, path: Path) -> dict[str, float | Tensor] | None:
    if normalisation is None:
        return None
    if isinstance(normalisation, Mapping):
        if set(normalisation) != {"mean", "std"}:
            raise ValueError(f"{path}: normalisation must have keys 'mean' and 'std'")
        mean, std = normalisation["mean"], normalisation["std"]
    else:
        mean, std = normalisation
    return _validated_normalisation(mean, std, path, ValueError)


def _normalisation_from_file(stored: Any, path: Path) -> tuple[float | Tensor, float | Tensor] | None:
    if stored is None:
        return None
    if not isinstance(stored, Mapping) or set(stored) != {"mean", "std"}:
        raise CorruptCheckpointError(f"{path}: field 'normalisation' must be None or a dict with 'mean' and 'std'")
    checked = _validated_normalisation(stored["mean"], stored["std"], path, CorruptCheckpointError)
    return checked["mean"], checked["std"]


def _validated_normalisation(mean: Any, std: Any, path: Path, error: type[Exception]) -> dict[str, float | Tensor]:
    mean = _plain_number_or_tensor(mean, "mean", path, error)
    std = _plain_number_or_tensor(std, "std", path, error)
    std_values = std.flatten().tolist() if isinstance(std, Tensor) else [std]
    mean_values = mean.flatten().tolist() if isinstance(mean, Tensor) else [mean]
    if not all(math.isfinite(v) for v in mean_values) or not all(math.isfinite(v) and v > 0 for v in std_values):
        raise error(f"{path}: normalisation needs a finite mean and a positive finite std")
    return {"mean": mean, "std": std}


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def _check_plain(value: Any, where: str) -> Any:
    """``value`` with numpy scalars turned into Python ones; ``ValueError`` for anything not plain data."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, _PLAIN_SCALARS):
        # exact builtin types only: a subclass (e.g. torch's TorchVersion, a str) would be pickled
        # as a global that the weights-only loader refuses
        for plain in (bool, str, int, float):
            if isinstance(value, plain):
                return plain(value)
        return value
    if isinstance(value, (list, tuple)):
        return [_check_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: keys must be strings, got {key!r}")
            out[key] = _check_plain(item, f"{where}.{key}")
        return out
    raise ValueError(f"{where}: {type(value).__name__} is not plain data (str, int, float, bool, None, list, dict)")
