"""A user's own PyTorch model, named on the command line as ``NAME=FILE.py:FACTORY`` or ``NAME=package.module:FACTORY``.

The protocol (README, "Your own model"): ``FACTORY()`` returns a ``torch.nn.Module`` whose
``forward(z, pos, batch)`` takes ``z`` LongTensor [n] (atomic numbers), ``pos`` FloatTensor [n, 3] (Å) and
``batch`` LongTensor [n] (all zeros: one molecule) and returns per-atom features [n, d], or a tuple
``(features [n, d], vectors [n, 3])`` for an equivariant vector output, or a dict ``{"features", "vectors" [n, 3]
or [n, k, 3], "irreps": (tensor [n, dim], "16x0e+16x1o")}`` (:meth:`UserModel.checked` reads all three). An optional ``known_elements`` attribute
(symbols or atomic numbers) marks molecules with other elements as unsupported; an optional ``vector_parity``
attribute (``"polar"``, the default, or ``"pseudo"``) says how the vectors turn under a reflection (a cross product
is pseudo: v(g·x) = det(R) R v(x)). ``batched = True`` asks for many molecules per call (``batch`` then numbers
them; the batched audit uses it); ``needs_grad = True`` runs ``forward`` with gradients enabled, so forces written
the usual way (``pos.requires_grad_(True)``, ``torch.autograd.grad(energy, pos)``) work; outputs are detached.

Loading a model RUNS THE USER'S PYTHON CODE (the file, the module and the factory), unlike checkpoints, which
never run code. Every failure, on loading or on a forward pass (any exception but KeyboardInterrupt, SystemExit
included; a wrong shape; NaN), is one :class:`UserModelError` line naming the model. What the user's code prints
goes to stderr, so equiview's JSON on stdout stays whole. Outputs are copied at once: a model that returns the same
buffer on every call cannot overwrite h(x) with h(g·x).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from equiview.core.known_elements import as_atomic_numbers
from equiview.core.user_files import checked_size
from equiview.core.user_input_errors import UserModelError

MAX_SOURCE_BYTES = 1024 * 1024
"""A model file above 1 MB is refused before it is read (model code is small; weights live elsewhere)."""
MAX_FEATURES = 4096
"""Per-atom feature width accepted from a user's model."""
RESERVED_NAMES = (
    "naive",
    "egnn",
    "naive-dipole",
    "dipole",
    "molecules",
    "trials",
    "molecule",
    "input",
    "dtype",
    "all",
)
"""Names the built-in rows (every kind of ``equiview.core.models.registry.MODEL_KINDS``), the JSON reports and
``--require-invariant all`` already use."""
VECTOR_PARITIES = ("polar", "pseudo")

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_FACTORY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ModelSpec:
    """What ``--model NAME=TARGET:FACTORY`` names: a Python file (``.py``) or an importable module."""

    name: str
    target: str
    factory: str

    @property
    def is_file(self) -> bool:
        return self.target.endswith(".py")

    def __str__(self) -> str:
        return f"{self.name}={self.target}:{self.factory}"

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """``"mine=models/schnet.py:make_model"`` -> ``ModelSpec("mine", "models/schnet.py", "make_model")``."""
        name, sep, rest = str(text).partition("=")
        target, colon, factory = rest.rpartition(":")
        if not sep or not colon:
            raise UserModelError(f"--model {text!r}: expected NAME=FILE.py:FACTORY or NAME=package.module:FACTORY")
        name, target, factory = name.strip(), target.strip(), factory.strip()
        if not _NAME.match(name):
            raise UserModelError(f"--model {text!r}: the name must be a letter then up to 31 letters, digits, _ . -")
        if name.lower() in RESERVED_NAMES:
            raise UserModelError(f"--model {text!r}: the name {name!r} is taken; choose another")
        if not _FACTORY.match(factory):
            raise UserModelError(f"--model {text!r}: {factory!r} is not a Python function name")
        if not target.endswith(".py") and not _MODULE.match(target):
            raise UserModelError(f"--model {text!r}: {target!r} is neither a .py file nor a module name")
        return cls(name, target, factory)


@dataclass(frozen=True)
class ModelOutput:
    """A user's model's outputs: features [n, d] and, when it returns them, vectors [n, 3] (or [n, k, 3] from a dict)
    and irreps ``(tensor [n, dim], "16x0e+16x1o")``."""

    features: Tensor
    vectors: Tensor | None = None
    irreps: tuple[Tensor, str] | None = None


class UserModel:
    """A loaded user model: its spec, the module in eval mode and the elements it knows (None: all)."""

    def __init__(
        self,
        spec: ModelSpec,
        module: nn.Module,
        known_elements: tuple[int, ...] | None,
        vector_parity: str = "polar",
    ) -> None:
        self.spec = spec
        self.module = module
        self.known_elements = known_elements
        self.vector_parity = vector_parity

    @property
    def name(self) -> str:
        return self.spec.name

    def describe(self) -> str:
        return f"user model {self.spec.target}:{self.spec.factory}"

    @property
    def needs_grad(self) -> bool:
        """The model declares ``needs_grad = True``: its forward pass computes gradients (forces −∂E/∂x)."""
        return getattr(self.module, "needs_grad", False) is True

    def run(self, z: Tensor, pos: Tensor, dtype: torch.dtype = torch.float32) -> ModelOutput:
        """Features (and vectors) for one molecule, as float64 copies; positions are passed in ``dtype`` (float32
        unless ``--dtype float64``, which also turns the module's parameters to float64). Any failure is a
        :class:`UserModelError` naming the model."""
        n = int(z.shape[0])
        batch = torch.zeros(n, dtype=torch.long)
        with _running_user_code(f"model {self.name!r}: forward"):
            if dtype == torch.float64:
                self.module.to(torch.float64)
            with gradient_mode(self.needs_grad):
                output = self.module(z.long(), pos.to(dtype).clone(), batch)  # a copy: the model may mark it
            return self.checked(output, n)  # copied inside: a later call may overwrite the model's buffers

    def checked(self, output, n: int) -> ModelOutput:
        """The protocol's shape and value checks of what ``forward`` returned for ``n`` atoms, as float64 copies:
        features, ``(features, vectors [n, 3])`` or a dict ``{"features", "vectors" [n, 3] or [n, k, 3],
        "irreps": (tensor [n, dim], "16x0e+16x1o")}``."""
        if isinstance(output, dict):
            return self._checked_dict(output, n)
        vectors = None
        if isinstance(output, (tuple, list)):
            if len(output) != 2:
                raise UserModelError(
                    f"model {self.name!r}: returned {len(output)} values; expected features or (features, vectors)"
                )
            output, vectors = output
        features = self._tensor(output, "features", n)
        if features.dim() != 2 or features.shape[1] < 1 or features.shape[1] > MAX_FEATURES:
            raise UserModelError(
                f"model {self.name!r}: features have shape {list(features.shape)}; expected [{n}, d] with 1 <= d <= {MAX_FEATURES}"
            )
        if vectors is not None:
            vectors = self._tensor(vectors, "vectors", n)
            if tuple(vectors.shape) != (n, 3):
                raise UserModelError(
                    f"model {self.name!r}: vectors have shape {list(vectors.shape)}; expected [{n}, 3]"
                )
        return ModelOutput(features, vectors)

    def _checked_dict(self, output: dict, n: int) -> ModelOutput:
        from equiview.core.equivariance import irreps_dim

        name = self.name
        unknown = set(output) - {"features", "vectors", "irreps"}
        if unknown or "features" not in output:
            raise UserModelError(
                f"model {name!r}: a dict output has the keys features (required), vectors, irreps; got {sorted(output)}"
            )
        features = self.checked(output["features"], n).features
        vectors = output.get("vectors")
        if vectors is not None:
            vectors = self._tensor(vectors, "vectors", n)
            if vectors.dim() not in (2, 3) or vectors.shape[-1] != 3:
                raise UserModelError(
                    f"model {name!r}: vectors have shape {list(vectors.shape)}; expected [{n}, 3] or [{n}, k, 3]"
                )
        irreps = output.get("irreps")
        if irreps is not None:
            if not (isinstance(irreps, (tuple, list)) and len(irreps) == 2 and isinstance(irreps[1], str)):
                raise UserModelError(f'model {name!r}: irreps must be (tensor [n, dim], "16x0e+16x1o")')
            try:
                dim = irreps_dim(irreps[1])
            except ValueError as error:
                raise UserModelError(f"model {name!r}: {error}") from None
            values = self._tensor(irreps[0], "irreps", n)
            if tuple(values.shape) != (n, dim):
                raise UserModelError(
                    f"model {name!r}: irreps have shape {list(values.shape)}; {irreps[1]!r} needs [{n}, {dim}]"
                )
            irreps = (values, irreps[1])
        return ModelOutput(features, vectors, irreps)

    def _tensor(self, value, what: str, n: int) -> Tensor:
        if not isinstance(value, Tensor):
            raise UserModelError(f"model {self.name!r}: {what} are a {type(value).__name__}, not a torch.Tensor")
        if not value.dtype.is_floating_point:
            raise UserModelError(f"model {self.name!r}: {what} have dtype {value.dtype}; expected floating point")
        if value.dim() < 1 or value.shape[0] != n:
            raise UserModelError(
                f"model {self.name!r}: {what} have shape {list(value.shape)}; expected one row per atom ({n})"
            )
        # copy=True: ``.to`` returns the very same tensor when it already is float64 on the CPU
        value = value.detach().to("cpu", torch.float64, copy=True)
        if not torch.isfinite(value).all():
            raise UserModelError(f"model {self.name!r}: {what} contain NaN or infinite values")
        return value


def gradient_mode(needs_grad: bool):
    """``torch.enable_grad()`` for a model that declares ``needs_grad = True``, else ``torch.no_grad()``."""
    return torch.enable_grad() if needs_grad else torch.no_grad()


NEEDS_GRAD_HINT = "; a model that takes gradients (forces −∂E/∂x) sets needs_grad = True"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"


@contextmanager
def _running_user_code(what: str) -> Iterator[None]:
    """Whatever the user's code raises in this block (any BaseException: SystemExit, GeneratorExit...) becomes
    ``UserModelError("<what> raised ...")``, and what it prints goes to stderr (stdout carries equiview's JSON).

    KeyboardInterrupt still stops equiview; a UserModelError raised inside passes unchanged.
    """
    try:
        with redirect_stdout(sys.stderr):
            yield
    except (UserModelError, KeyboardInterrupt):
        raise
    except BaseException as error:  # noqa: BLE001 - the user's code may raise anything, even exit
        hint = NEEDS_GRAD_HINT if "does not require grad" in str(error) else ""
        raise UserModelError(f"{what} raised {type(error).__name__}: {_first_line(error)}{hint}") from None


def _load_file(spec: ModelSpec, base: Path | None):
    path = Path(spec.target).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    where = f"model {spec.name!r}: {path}"
    checked_size(path, where, MAX_SOURCE_BYTES, "accepted for a model file", UserModelError)
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"equiview_user_model_{digest}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise UserModelError(f"{where}: not a Python file")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module  # dataclasses and pickling in the user's file look themselves up here
    try:
        with _running_user_code(f"{where}: running the file"):
            loader_spec.loader.exec_module(module)
    except UserModelError:
        sys.modules.pop(module_name, None)
        raise
    return module


def _load_module(spec: ModelSpec):
    with _running_user_code(f"model {spec.name!r}: importing {spec.target}"):
        try:
            return importlib.import_module(spec.target)
        except ModuleNotFoundError as error:
            raise UserModelError(f"model {spec.name!r}: no module named {error.name or spec.target!r}") from None


def load_user_model(spec: ModelSpec | str, base: str | Path | None = None) -> UserModel:
    """Import the file or module of ``spec`` and call its factory. THIS RUNS THE USER'S CODE.

    ``base`` resolves a relative file path (default: the current directory).
    """
    if isinstance(spec, str):
        spec = ModelSpec.parse(spec)
    module = _load_file(spec, Path(base) if base is not None else None) if spec.is_file else _load_module(spec)
    factory = getattr(module, spec.factory, None)
    if factory is None:
        raise UserModelError(f"model {spec.name!r}: {spec.target} has no {spec.factory!r}")
    if not callable(factory):
        raise UserModelError(f"model {spec.name!r}: {spec.target}:{spec.factory} is not callable")
    with _running_user_code(f"model {spec.name!r}: {spec.factory}()"):
        model = factory()
    if not isinstance(model, nn.Module):
        raise UserModelError(
            f"model {spec.name!r}: {spec.factory}() returned a {type(model).__name__}, not a torch.nn.Module"
        )
    with _running_user_code(f"model {spec.name!r}: eval()"):
        model.eval()
    known = getattr(model, "known_elements", None)
    if known is not None:
        try:
            known = as_atomic_numbers(known, f"model {spec.name!r}")
        except ValueError as error:
            raise UserModelError(str(error)) from None
    parity = getattr(model, "vector_parity", "polar")
    if not isinstance(parity, str) or parity not in VECTOR_PARITIES:
        raise UserModelError(f"model {spec.name!r}: vector_parity is {parity!r}; expected 'polar' or 'pseudo'")
    return UserModel(spec, model, known, parity)
