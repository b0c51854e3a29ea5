"""The one engine that compares a model's outputs for x and for g·x, and says whether they agree.

Every number and verdict that equiview shows about invariance (the viewer's badges and readouts, ``render``,
``sweep``, the sphere, ``movie`` and ``check-invariance``) comes from here. The engine never runs a model: it takes
outputs that the caller already computed, h(x) for one pose and h(g·x) for a batch of B poses, together with the
poses themselves (:class:`Poses`), so one call can judge many elements g at once.

What is compared (positions are row vectors, g·x = x Rᵀ + t, see :mod:`equiview.core.transforms`):

* features (invariant):  error(g) = max over atoms and channels of |h(g·x) − h(x)|
* vectors (equivariant): error(g) = max over rows of |v(g·x) − s(R) R v(x)| (Euclidean length), where
  s(R) = 1 for a polar vector (a dipole, a force) and s(R) = det R for a pseudo-vector (a cross product, an
  angular momentum, a magnetic moment). The translation never acts on a vector.

Each pose belongs to one case (:func:`case_of`): ``"reflection"`` when det R = −1, else ``"rotation"`` when R is
not the identity, else ``"translation"`` when t ≠ 0, else ``"identity"`` (nothing can change, nothing is judged).

The tolerance policy, the only one in equiview (:data:`TOLERANCES`): an error passes when

    error <= absolute + relative · scale

where ``scale`` is the largest |h(x)| (features) or |v(x)| (vectors) of the original pose, because floating-point
rounding is relative to the size of the numbers (:mod:`equiview.core.tolerance`, torch-free so that ``--help``
and the window's first frame need no PyTorch). With float32 (the default) absolute = 1e-4 and relative = 1e-5;
with float64 (``--dtype float64``) absolute = 1e-9 and relative = 1e-12. NaN never passes. Errors are computed
in float64 from copies of the outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from equiview.core.tolerance import (  # the policy, re-exported: one place for callers
    DEFAULT_DTYPE,
    DTYPE_NAMES,
    TOLERANCE_TEXT,  # noqa: F401
    TOLERANCES,
    Tolerance,
)
from equiview.core.transforms import E3Transform

CASES = ("rotation", "reflection", "translation")
"""The cases a pose is judged in, in report order (the identity is judged in none)."""
IDENTITY = "identity"
PARITIES = ("polar", "pseudo")
"""How a vector turns under g: polar v -> R v, pseudo v -> det(R) R v."""
DTYPES: dict[str, torch.dtype] = {name: getattr(torch, name) for name in DTYPE_NAMES}
"""The precisions a model can be run in (``--dtype``); float32 is the default."""

# A pose whose R differs from I by less than this, or whose |t| is below it (Å), does not rotate or translate.
_IDENTITY_TOL = 1e-12


def dtype_name(dtype: str | torch.dtype) -> str:
    """``"float32"`` or ``"float64"`` for a name or a torch dtype; ``ValueError`` for anything else."""
    for name, value in DTYPES.items():
        if dtype == name or dtype == value:
            return name
    raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")


def tolerance_for(dtype: str | torch.dtype = DEFAULT_DTYPE) -> Tolerance:
    return TOLERANCES[dtype_name(dtype)]


def check_parity(parity: str) -> str:
    if parity not in PARITIES:
        raise ValueError(f"vector parity must be 'polar' or 'pseudo', got {parity!r}")
    return parity


# ------------------------------------------------------------------------------------------------- poses
def case_of(rotation: Tensor, translation: Tensor) -> str:
    """The case of one element x -> R x + t: reflection, rotation, translation or identity."""
    r, t = rotation.double(), translation.double()
    if float(torch.linalg.det(r)) < 0:  # pragma: no mutate - det is ±1, never 0: < and <= agree
        return "reflection"
    # > and >= differ only at exactly 1e-12 (no mutate)
    if float((r - torch.eye(3, dtype=r.dtype)).abs().max()) > _IDENTITY_TOL:  # pragma: no mutate
        return "rotation"
    if float(t.abs().max()) > _IDENTITY_TOL:  # pragma: no mutate
        return "translation"
    return IDENTITY


@dataclass(frozen=True)
class Poses:
    """B elements g_b of E(3) as one batch: ``rotations`` ``[B, 3, 3]`` and ``translations`` ``[B, 3]``, float64."""

    rotations: Tensor
    translations: Tensor

    def __post_init__(self) -> None:
        if self.rotations.dim() != 3 or tuple(self.rotations.shape[1:]) != (3, 3):
            raise ValueError(f"rotations must have shape [B, 3, 3], got {list(self.rotations.shape)}")
        if tuple(self.translations.shape) != (self.rotations.shape[0], 3):
            raise ValueError(f"translations must have shape [B, 3], got {list(self.translations.shape)}")
        object.__setattr__(self, "rotations", self.rotations.detach().to(torch.float64))
        object.__setattr__(self, "translations", self.translations.detach().to(torch.float64))

    @classmethod
    def of(cls, transforms: Sequence[E3Transform]) -> Poses:
        """The batch of a list of :class:`E3Transform`."""
        if not transforms:
            return cls(torch.zeros(0, 3, 3, dtype=torch.float64), torch.zeros(0, 3, dtype=torch.float64))
        return cls(torch.stack([g.rotation for g in transforms]), torch.stack([g.translation for g in transforms]))

    def __len__(self) -> int:
        return int(self.rotations.shape[0])

    def __getitem__(self, index: int) -> E3Transform:
        return E3Transform(self.rotations[index], self.translations[index])

    @property
    def determinants(self) -> Tensor:
        """det R_b ``[B]``: +1 or −1."""
        return torch.sign(torch.linalg.det(self.rotations)) if len(self) else torch.zeros(0, dtype=torch.float64)

    @property
    def cases(self) -> tuple[str, ...]:
        """:func:`case_of` of every pose."""
        return tuple(case_of(r, t) for r, t in zip(self.rotations, self.translations))

    def apply(self, pos: Tensor) -> Tensor:
        """Positions ``[n, 3]`` moved by every pose: ``[B, n, 3]`` in ``pos``'s dtype, computed in float64 (the same
        numbers as :meth:`E3Transform.apply` for each g)."""
        moved = torch.einsum("nj,bij->bni", pos.to(torch.float64), self.rotations) + self.translations[:, None, :]
        return moved.to(pos.dtype if pos.dtype.is_floating_point else torch.float64)


# -------------------------------------------------------------------------------------------- comparisons
def _float64_copy(tensor: Tensor) -> Tensor:
    # a copy, never a view: a model may return one buffer that its next call overwrites
    return tensor.detach().cpu().double().clone()


def output_scale(output: Tensor) -> float:
    """The size that rounding is relative to: max |h(x)| over every entry (features) or max |v(x)| (vectors, by
    length when the last axis has 3 entries and ``vectors`` is meant; see :func:`vector_scale`)."""
    return float(output.detach().abs().max()) if output.numel() else 0.0


def vector_scale(vectors: Tensor) -> float:
    """max |v(x)| (Euclidean length) over the rows of ``[m, 3]``; 0 for no rows."""
    lengths = torch.linalg.vector_norm(vectors.detach().double(), dim=-1)  # pragma: no mutate - [m, 3]: dim 1 = -1
    return float(lengths.max()) if vectors.numel() else 0.0


def feature_errors(h_x: Tensor, h_gx: Tensor) -> Tensor:
    """max over atoms and channels of |h(g_b·x) − h(x)| for each pose: ``[B]`` float64.

    ``h_x`` is ``[n, d]`` (or ``[n]``), ``h_gx`` ``[B, n, d]`` (or ``[B, n]``). NaN anywhere gives NaN for that pose.
    """
    h0, h1 = _float64_copy(h_x), _float64_copy(h_gx)
    if tuple(h1.shape[1:]) != tuple(h0.shape):
        raise ValueError(f"h(g·x) has shape {list(h1.shape)}; expected [B, {', '.join(map(str, h0.shape))}]")
    difference = (h1 - h0[None]).abs().reshape(h1.shape[0], -1)
    if difference.shape[1] == 0:
        return torch.zeros(h1.shape[0], dtype=torch.float64)
    # amax drops NaN in some builds' reductions: carry it through explicitly
    return torch.where(difference.isnan().any(dim=1), torch.nan, difference.amax(dim=1))


def expected_vectors(v_x: Tensor, poses: Poses, parity: str = "polar") -> Tensor:
    """What an equivariant model gives for g_b·x: s(R_b) R_b v(x), ``[B, m, 3]`` float64 (the viewer's ghost)."""
    v0 = _float64_copy(v_x)
    turned = torch.einsum("mj,bij->bmi", v0, poses.rotations)  # pragma: no mutate - einsum ignores letter case
    if check_parity(parity) == "pseudo":
        turned = turned * poses.determinants[:, None, None]  # pragma: no mutate - det = ±1: x and / agree
    return turned


def vector_errors(v_x: Tensor, v_gx: Tensor, poses: Poses, parity: str = "polar") -> Tensor:
    """max over rows of |v(g_b·x) − s(R_b) R_b v(x)| for each pose: ``[B]`` float64.

    ``v_x`` is ``[m, 3]`` (a model's per-atom vectors, with its molecule vector as one more row if it has one),
    ``v_gx`` ``[B, m, 3]``.
    """
    v1 = _float64_copy(v_gx)
    if tuple(v1.shape[1:]) != tuple(v_x.shape) or v_x.dim() != 2 or v_x.shape[-1] != 3:
        raise ValueError(
            f"v(g·x) has shape {list(v1.shape)}; expected [B, {', '.join(map(str, v_x.shape))}] of 3-vectors"
        )
    if len(poses) != v1.shape[0]:
        raise ValueError(f"{v1.shape[0]} outputs for {len(poses)} poses")
    lengths = torch.linalg.vector_norm(v1 - expected_vectors(v_x, poses, parity), dim=-1)
    if lengths.shape[1] == 0:
        return torch.zeros(v1.shape[0], dtype=torch.float64)
    return torch.where(lengths.isnan().any(dim=1), torch.nan, lengths.amax(dim=1))


# ---------------------------------------------------------------------------------------------- measures
@dataclass(frozen=True)
class Measurement:
    """The errors of one output (features or vectors) of one model for one molecule over a batch of poses.

    ``errors[b]`` belongs to pose b of case ``cases[b]``; ``scale`` is max |h(x)| (or |v(x)|); ``dtype`` the precision
    the model ran in, which picks the tolerance.
    """

    errors: Tensor  # float64 [B]
    cases: tuple[str, ...]
    scale: float
    dtype: str = DEFAULT_DTYPE

    @property
    def tolerance(self) -> Tolerance:
        return tolerance_for(self.dtype)

    @property
    def bound(self) -> float:
        """The largest error that passes (:meth:`Tolerance.bound` of ``scale``)."""
        return self.tolerance.bound(self.scale)

    def _judged(self) -> list[int]:
        return [b for b, case in enumerate(self.cases) if case != IDENTITY]

    @property
    def max_error(self) -> float:
        """The largest error over the judged poses (NaN if any is NaN; 0 when every pose is the identity)."""
        judged = self._judged()
        if not judged:
            return 0.0
        values = self.errors[judged]
        return float("nan") if bool(values.isnan().any()) else float(values.max())

    @property
    def worst_pose(self) -> int | None:
        """Index of the pose with the largest error (a NaN counts as largest); None when nothing was judged."""
        judged = self._judged()
        if not judged:
            return None
        values = self.errors[judged]
        nan = values.isnan().nonzero()
        return judged[int(nan[0]) if len(nan) else int(values.argmax())]

    def by_case(self) -> dict[str, float]:
        """The largest error of each case in :data:`CASES` that has poses (NaN propagates)."""
        result = {}
        for case in CASES:
            chosen = [b for b, c in enumerate(self.cases) if c == case]
            if chosen:
                values = self.errors[chosen]
                result[case] = float("nan") if bool(values.isnan().any()) else float(values.max())
        return result

    def failing_cases(self) -> tuple[str, ...]:
        """The cases whose largest error does not pass, in :data:`CASES` order."""
        return tuple(case for case, error in self.by_case().items() if not self.tolerance.accepts(error, self.scale))

    @property
    def passes(self) -> bool:
        """Every judged pose within the tolerance (True when nothing was judged: see :func:`verdict_kind`)."""
        return not self.failing_cases()


def measure_features(h_x: Tensor, h_gx: Tensor, poses: Poses, dtype: str | torch.dtype = DEFAULT_DTYPE) -> Measurement:
    """:func:`feature_errors` of a batch of poses, with their cases and the scale max |h(x)|."""
    if h_gx.shape[0] != len(poses):
        raise ValueError(f"{h_gx.shape[0]} outputs for {len(poses)} poses")
    return Measurement(feature_errors(h_x, h_gx), poses.cases, output_scale(h_x), dtype_name(dtype))


def measure_vectors(
    v_x: Tensor, v_gx: Tensor, poses: Poses, parity: str = "polar", dtype: str | torch.dtype = DEFAULT_DTYPE
) -> Measurement:
    """:func:`vector_errors` of a batch of poses, with their cases and the scale max |v(x)|."""
    return Measurement(vector_errors(v_x, v_gx, poses, parity), poses.cases, vector_scale(v_x), dtype_name(dtype))


# ---------------------------------------------------------------------------------------------- verdicts
INVARIANT, EQUIVARIANT, CHANGED, UNSUPPORTED, FAILED = "invariant", "equivariant", "changed", "unsupported", "failed"
VERDICTS = (INVARIANT, EQUIVARIANT, CHANGED, UNSUPPORTED, FAILED, IDENTITY)


def passes(error: float, scale: float, dtype: str | torch.dtype = DEFAULT_DTYPE) -> bool:
    """One error judged by :data:`TOLERANCES` (what a single pose's badge shows)."""
    return tolerance_for(dtype).accepts(error, scale)


def verdict_kind(features: Measurement | None, vectors: Measurement | None = None) -> str:
    """``"invariant"`` (features pass, no vectors), ``"equivariant"`` (features and vectors pass), ``"changed"``
    (anything fails, NaN included) or ``"identity"`` (no pose moved anything)."""
    judged = [(m.worst_pose is not None, m.passes) for m in (features, vectors) if m is not None]
    return _verdict_of(judged, vectors is not None)


def _verdict_of(judged: list[tuple[bool, bool]], with_vectors: bool) -> str:
    """The verdict from ``(moved anything, passes)`` of each output: one rule for a molecule and for many."""
    if not any(moved for moved, _ in judged):
        return IDENTITY
    if not all(ok for _, ok in judged):
        return CHANGED
    return EQUIVARIANT if with_vectors else INVARIANT


def too_large_for(features: Measurement | None, vectors: Measurement | None = None) -> tuple[str, ...]:
    """The failing cases, features' then vectors' (``"vector_reflection"``...), for "too large for: ..." lines."""
    failing = list(features.failing_cases()) if features is not None else []
    if vectors is not None:
        failing += [f"vector_{case}" for case in vectors.failing_cases()]
    return tuple(failing)


@dataclass(frozen=True)
class Summary:
    """One output of one model over several molecules: one :class:`Measurement` per molecule.

    Each molecule is judged against its own scale; a case fails when it fails for any molecule.
    """

    measurements: tuple[Measurement, ...]

    def by_case(self) -> dict[str, float]:
        """The largest error of each case over every molecule (NaN propagates)."""
        result: dict[str, float] = {}
        for measurement in self.measurements:
            for case, error in measurement.by_case().items():
                best = result.get(case)
                result[case] = error if best is None or error != error or error > best else best  # NaN sticks
        return {case: result[case] for case in CASES if case in result}

    @property
    def max_error(self) -> float:
        values = list(self.by_case().values())
        if any(v != v for v in values):
            return float("nan")
        return max(values, default=0.0)

    def failing_cases(self) -> tuple[str, ...]:
        failing = {case for m in self.measurements for case in m.failing_cases()}
        return tuple(case for case in CASES if case in failing)

    @property
    def passes(self) -> bool:
        return not self.failing_cases()

    @property
    def worst(self) -> tuple[int, int] | None:
        """(molecule, pose) of the largest error relative to its bound (NaN first); None when nothing was judged."""
        best: tuple[float, int, int] | None = None
        for index, measurement in enumerate(self.measurements):
            pose = measurement.worst_pose
            if pose is None:
                continue
            error = float(measurement.errors[pose])
            ratio = float("inf") if error != error else error / measurement.bound
            if best is None or ratio > best[0]:
                best = (ratio, index, pose)
        return None if best is None else (best[1], best[2])


def summary_verdict(features: Summary | None, vectors: Summary | None = None) -> str:
    """:func:`verdict_kind` over several molecules."""
    judged = [(s.worst is not None, s.passes) for s in (features, vectors) if s is not None]
    return _verdict_of(judged, vectors is not None)


# ------------------------------------------------------------------------------- many molecules at once
# A batched audit runs one forward pass over many molecules × poses; these give the same numbers as
# feature_errors / vector_errors / output_scale / vector_scale called once per molecule (a test checks it),
# without a Python loop over molecules. ``molecule`` [n] numbers each atom's molecule 0..M-1.
def _segment_max(values: Tensor, molecule: Tensor, molecules: int) -> Tensor:
    """Largest of ``values`` [..., n] over each molecule's atoms: [..., M] (NaN if any is NaN; 0 for no atoms)."""
    index = molecule.to(values.device).expand_as(values)
    shape = (*values.shape[:-1], molecules)
    largest = torch.zeros(shape, dtype=values.dtype, device=values.device)
    largest = largest.scatter_reduce(-1, index, values.nan_to_num(nan=0.0), "amax", include_self=False)
    nan = torch.zeros(shape, dtype=values.dtype, device=values.device)
    nan = nan.scatter_reduce(-1, index, values.isnan().to(values.dtype), "amax", include_self=False)
    return torch.where(nan > 0, torch.nan, largest)


def molecule_feature_errors(h_x: Tensor, h_gx: Tensor, molecule: Tensor, molecules: int) -> Tensor:
    """:func:`feature_errors` of every molecule: ``[M, B]`` for ``h_x`` [n, d] and ``h_gx`` [B, n, d]."""
    h0, h1 = _float64_copy(h_x), _float64_copy(h_gx)
    if tuple(h1.shape[1:]) != tuple(h0.shape):
        raise ValueError(f"h(g·x) has shape {list(h1.shape)}; expected [B, {', '.join(map(str, h0.shape))}]")
    # one row per atom, every other axis flattened: compared entrywise, as feature_errors does
    difference = (h1 - h0[None]).abs().reshape(h1.shape[0], h1.shape[1], -1)
    if difference.shape[-1] == 0:
        return torch.zeros(molecules, h1.shape[0], dtype=torch.float64)
    per_atom = torch.where(difference.isnan().any(dim=-1), torch.nan, difference.amax(dim=-1))  # [B, n]
    return _segment_max(per_atom, molecule.cpu(), molecules).t()


def molecule_vector_errors(
    v_x: Tensor, v_gx: Tensor, poses: Poses, molecule: Tensor, molecules: int, parity: str = "polar"
) -> Tensor:
    """:func:`vector_errors` of every molecule: ``[M, B]`` for ``v_x`` [m, 3], ``v_gx`` [B, m, 3] and the
    molecule of each row ``molecule`` [m]."""
    v1 = _float64_copy(v_gx)
    if tuple(v1.shape[1:]) != tuple(v_x.shape) or v_x.dim() != 2 or v_x.shape[-1] != 3:
        raise ValueError(f"v(g·x) has shape {list(v1.shape)}; expected [B, {', '.join(map(str, v_x.shape))}]")
    lengths = torch.linalg.vector_norm(v1 - expected_vectors(v_x, poses, parity), dim=-1)  # [B, m]
    return _segment_max(lengths, molecule.cpu(), molecules).t()


def molecule_output_scales(h_x: Tensor, molecule: Tensor, molecules: int) -> Tensor:
    """:func:`output_scale` of every molecule: ``[M]``."""
    h0 = _float64_copy(h_x).abs().reshape(h_x.shape[0], -1)
    return _segment_max(h0.amax(dim=-1) if h0.shape[-1] else h0.sum(dim=-1), molecule.cpu(), molecules)


def molecule_vector_scales(v_x: Tensor, molecule: Tensor, molecules: int) -> Tensor:
    """:func:`vector_scale` of every molecule: ``[M]``."""
    return _segment_max(torch.linalg.vector_norm(_float64_copy(v_x), dim=-1), molecule.cpu(), molecules)


# ------------------------------------------------------------------------------------------------ irreps
# Features that are not invariant but transform by Wigner-D matrices, h(g·x) = D(g) h(x), block by block:
# "16x0e+16x1o+8x2e" (e3nn's notation and basis; e3nn is the optional dependency equiview[e3nn]). The parity p of
# each block enters through det R: D_l(R) (det R)^{(1-p)/2}, as e3nn's Irrep.D_from_matrix computes it.
def import_o3():
    """e3nn's ``o3``. e3nn 0.4.4 (what mace-torch pins) loads its Wigner constants with ``torch.load``, whose
    weights-only default in torch >= 2.6 refuses the ``slice`` objects in that file; ``slice`` is data, not code,
    so it is allowed here."""
    torch.serialization.add_safe_globals([slice])
    try:
        from e3nn import o3
    except ImportError:
        raise ValueError("irreps outputs need e3nn: pip install 'equiview[e3nn]'") from None
    return o3


def irreps_blocks(irreps: str) -> list[tuple[str, int, int, int]]:
    """``[(label "1o", start, multiplicity, 2l+1), ...]`` of an irreps string; ValueError if e3nn cannot read it."""
    o3 = import_o3()
    try:
        parsed = o3.Irreps(irreps)
    except (ValueError, AssertionError, TypeError) as error:
        raise ValueError(f"irreps {irreps!r}: {error}") from None
    blocks, start = [], 0
    for mul, ir in parsed:
        blocks.append((str(ir), start, int(mul), int(ir.dim)))
        start += int(mul) * int(ir.dim)
    return blocks


def irreps_dim(irreps: str) -> int:
    return sum(mul * dim for _, _, mul, dim in irreps_blocks(irreps))


def molecule_irreps_errors(
    h_x: Tensor, h_gx: Tensor, poses: Poses, irreps: str, molecule: Tensor, molecules: int
) -> dict[str, tuple[Tensor, Tensor]]:
    """Per irrep ("0e", "1o", ...): ``(errors [M, B], scales [M])``, errors = max over the molecule's atoms and
    the block's channels of |h(g·x) − D(g) h(x)|; blocks of one irrep type are judged together."""
    o3 = import_o3()
    h0 = _float64_copy(h_x)
    h1 = _float64_copy(h_gx)
    if h0.dim() != 2 or h0.shape[1] != irreps_dim(irreps) or tuple(h1.shape[1:]) != tuple(h0.shape):
        raise ValueError(f"irreps output has shape {list(h0.shape)}; {irreps!r} needs [n, {irreps_dim(irreps)}]")
    per_type: dict[str, list[Tensor]] = {}
    scales: dict[str, list[Tensor]] = {}
    for label, start, mul, dim in irreps_blocks(irreps):
        wigner = o3.Irrep(label).D_from_matrix(poses.rotations)  # [B, dim, dim], parity from det R
        block0 = h0[:, start : start + mul * dim].reshape(-1, mul, dim)
        block1 = h1[:, :, start : start + mul * dim].reshape(h1.shape[0], -1, mul, dim)
        expected = torch.einsum("bij,nmj->bnmi", wigner, block0)
        difference = (block1 - expected).abs().flatten(2)  # [B, n, mul·dim]
        per_atom = torch.where(difference.isnan().any(dim=-1), torch.nan, difference.amax(dim=-1))
        per_type.setdefault(label, []).append(_segment_max(per_atom, molecule.cpu(), molecules).t())
        scales.setdefault(label, []).append(
            _segment_max(block0.abs().flatten(1).amax(dim=-1), molecule.cpu(), molecules)
        )
    return {
        label: (torch.stack(errors).amax(dim=0), torch.stack(scales[label]).amax(dim=0))
        for label, errors in per_type.items()
    }
