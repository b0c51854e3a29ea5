"""Spin a molecule about an axis and encode every angle at once: the data behind the sweep plots and movies.

For an axis ``k`` (x, y or z) and angles ``θ_1..θ_N`` the pose at angle θ is ``g_θ = S_θ``: the rotation by θ
about ``k`` through the molecule's centroid ``c``. Angle 0 is the identity (nothing moved, error 0), and spinning
never moves the centroid. The current element ``g`` of the viewer is marked at its angle
(:func:`angle_on_axis`) when it is such a turn about ``k``.

All N poses go through each built-in model as ONE batch (N copies of the molecule, positions moved per copy),
so a 72-angle sweep costs one forward pass instead of 72. A user's model (``--model``, a row model that is not a
``torch.nn.Module``) is run once per pose: its ``forward`` is promised one molecule per call (``batch`` all zeros),
and a model that ignores ``batch`` would otherwise mix the copies. The per-atom colour values use the same
projection and the same frozen limits as the viewer's colour bar, both fitted on the *original* pose ``x``;
``max_error[θ]`` is ``max |h(g_θ·x) − h(x)|`` over atoms and channels and, for a model with vectors (the dipole
kinds, a user's model that returns them), ``vector_error[θ] = max |v(g_θ·x) − s(R_θ) R_θ v(x)|`` over its per-atom
vectors and the molecule's vector: both computed by the engine (:mod:`equiview.core.equivariance`), the numbers
``check-invariance`` and the viewer report for the element ``g_θ``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from equiview.core.embeddings import encode
from equiview.core.equivariance import Poses, feature_errors, molecule_irreps_errors, vector_errors
from equiview.core.model_input import Graph
from equiview.core.transforms import E3Transform, axis_angle_matrices
from equiview.core.user_input_errors import UserModelError
from equiview.core.vector_equivariance import is_vector_model, model_features_and_vectors
from equiview.viewer.model.colouring import ColourScale, Projection
from equiview.viewer.model.sweep_settings import AXES, DEFAULT_STEPS, check_axis, check_sphere_resolution, check_steps

MAX_ATOMS_PER_PASS = 20_000
"""Poses are encoded in chunks of at most this many atoms, so a large sweep (the sphere) stays in memory:
the EGNN's complete graphs grow with the square of the atom count per molecule."""
MAX_PAIRS_PER_PASS = 2_000_000
"""...and of at most this many atom pairs (complete-graph edges): the trained EGNN's forward holds ~0.8 kB per edge
at its peak (a 500-atom sweep in passes of 6 million edges peaked at 5 GB resident; 1,000 atoms asked for more
than the machine's limit), so a pass stays under ~2 GB; QM9's molecules are far below it."""


def sweep_angles(steps: int) -> np.ndarray:
    """``steps`` evenly spaced angles in degrees over one turn, ``[0, 360)`` (360° is the same pose as 0°)."""
    return np.arange(check_steps(steps), dtype=np.float64) * (360.0 / steps)


def axis_rotations(axis: Tensor | np.ndarray | tuple, angles_deg: np.ndarray) -> Tensor:
    """Rotation matrices ``[N, 3, 3]`` (float64) by each angle about ``axis``: the one Rodrigues,
    :func:`equiview.core.transforms.axis_angle_matrices` (counter-clockwise seen from the tip of the axis)."""
    return axis_angle_matrices(np.asarray(axis, dtype=np.float64), angles_deg)


def spun_poses(rotations: Tensor, base: E3Transform, centre: Tensor | np.ndarray | tuple) -> tuple[Tensor, Tensor]:
    """Rotation ``[N, 3, 3]`` and translation ``[N, 3]`` of ``g_θ = S_θ ∘ base`` for each spin ``rotations[θ]``.

    ``S_θ`` turns about the moved centroid ``p = base·centre``: ``x -> p + R_θ (x − p)``, so
    ``g_θ`` has rotation ``R_θ R_g`` and translation ``R_θ (t_g − p) + p``.
    """
    c = torch.as_tensor(np.asarray(centre, dtype=np.float64))
    pivot = base.rotation @ c + base.translation
    rotation = rotations @ base.rotation
    translation = (rotations @ (base.translation - pivot)) + pivot
    return rotation, translation


def spun_transform(axis: str, angle_deg: float, base: E3Transform, centre) -> E3Transform:
    """The single element ``S_θ ∘ base`` (with ``base`` the identity: the sweep's pose at θ, what the viewer's Play
    sets)."""
    rotation, translation = spun_poses(axis_rotations(AXES[check_axis(axis)], np.array([angle_deg])), base, centre)
    return E3Transform(rotation[0], translation[0])


ON_AXIS_TOL = 1e-6
"""How far (max entry of R and t, Å) an element may be from a turn about the axis and still be marked on it."""


def angle_on_axis(g: E3Transform, axis: str, centre) -> float | None:
    """The angle θ in [0, 360) with ``g`` = the turn by θ about ``axis`` through ``centre``, or None when ``g`` is no
    such turn (a mirror, a shift, another axis): where the sweep marks the current element."""
    if g.is_reflection:
        return None
    k = torch.as_tensor(AXES[check_axis(axis)], dtype=torch.float64)
    r = g.rotation
    sin = 0.5 * float(torch.stack([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]]) @ k)
    cos = 0.5 * (float(torch.trace(r)) - 1.0)
    angle = math.degrees(math.atan2(sin, cos)) % 360.0
    turn = spun_transform(axis, angle, E3Transform.identity(), centre)
    if not turn.allclose(g, atol=ON_AXIS_TOL):
        return None
    return 0.0 if angle >= 360.0 - 1e-9 else angle


def batch_of_poses(data, rotations: Tensor, translations: Tensor) -> Graph:
    """One batch holding ``len(rotations)`` copies of ``data``, copy ``i`` moved by ``(rotations[i], translations[i])``.

    Positions are moved in float64 and stored in ``data.pos``'s dtype, the same rounding as
    :meth:`E3Transform.apply`; atom types and bonds are repeated with per-copy offsets.
    """
    copies = int(rotations.shape[0])
    n = int(data.z.numel())
    pos64 = data.pos.to(torch.float64)
    moved = torch.einsum("nj,bij->bni", pos64, rotations) + translations[:, None, :]
    offsets = torch.arange(copies, dtype=torch.long) * n
    edge_index = data.edge_index
    edges = (edge_index[:, None, :] + offsets[None, :, None]).reshape(2, -1)
    return Graph(
        z=data.z.repeat(copies),
        pos=moved.reshape(-1, 3).to(data.pos.dtype),
        edge_index=edges,
        batch=torch.arange(copies, dtype=torch.long).repeat_interleave(n),
        ptr=torch.arange(copies + 1, dtype=torch.long) * n,
    )


@dataclass(frozen=True)
class ModelSweep:
    """One model's sweep: colour value of every atom at every angle, and the embedding error per angle."""

    values: np.ndarray  # float64 [N angles, n atoms], the row's projection of h(g_θ·x)
    max_error: np.ndarray  # float64 [N], max |h(g_θ·x) − h(x)|
    values_original: np.ndarray  # float64 [n], the projection of h(x)
    vmin: float  # the colour bar's frozen limits (fitted on h(x))
    vmax: float
    vector_error: np.ndarray | None = None  # float64 [N], max |v(g_θ·x) − R_θ v(x)|; None: the model has no vectors
    irreps_error: dict[str, np.ndarray] | None = None  # per irrep type: [N] max |h_l(g_θ·x) − D_l(g_θ) h_l(x)|

    @property
    def error_curves(self) -> tuple[np.ndarray, ...]:
        """What the log error axes show: max|Δh| and, for a model with vectors, max|v(g·x) − R·v(x)|."""
        return (self.max_error,) if self.vector_error is None else (self.max_error, self.vector_error)


@dataclass(frozen=True)
class PoseVectors:
    """A model's vectors for N poses: per atom ``[N, n, 3]`` and the molecule's ``[N, 3]`` (a dipole model's; a
    user's model has none)."""

    per_atom: Tensor
    molecule: Tensor | None

    def rows(self) -> Tensor:
        """Every vector of each pose as rows ``[N, m, 3]``: the atoms' and, last, the molecule's."""
        if self.molecule is None:
            return self.per_atom
        return torch.cat((self.per_atom, self.molecule.reshape(-1, 1, 3)), dim=1)

    def deviation(self, original: PoseVectors, rotations: Tensor, parity: str = "polar") -> np.ndarray:
        """max |v(g_θ·x) − s(R_θ) R_θ v(x)| per pose ``[N]`` by the engine (:func:`vector_errors`), over the atoms
        and the molecule's vector, where ``original`` holds v(x) (one pose) and ``rotations`` the poses' R_θ."""
        poses = Poses(rotations, torch.zeros(rotations.shape[0], 3, dtype=torch.float64))
        return vector_errors(original.rows()[0], self.rows(), poses, parity).numpy()


def encode_one(model, data) -> Tensor:
    """Embeddings ``[n, d]`` of one molecule: a built-in network (``torch.nn.Module``), or a row model that takes
    one molecule per call (a user's model: :class:`equiview.viewer.model.library.UserRowModel`)."""
    return _per_atom_rows(encode(model, data) if isinstance(model, nn.Module) else model.encode(data))


def _per_atom_rows(h: Tensor) -> Tensor:
    """``[n, d]``: a one-channel model's ``[n]`` as a column."""
    return h if h.dim() == 2 else h[:, None]


def outputs_of(model, data) -> tuple[Tensor, PoseVectors | None, tuple[Tensor, str] | None]:
    """Embeddings ``[n, d]`` of every atom of ``data`` (one molecule or a batch of B), the model's vectors (per
    atom ``[B, n·k / B, 3]``, the molecules' ``[B, 3]`` for a dipole model) or None for a model without vectors, and
    a user's model's irreps ``(tensor [n, dim], "8x0e+8x1o")`` or None.

    One forward pass gives all.
    """
    graphs = getattr(data, "num_graphs", 1)
    if isinstance(model, nn.Module):
        if not is_vector_model(model):
            return encode_one(model, data), None, None
        h, vectors = model_features_and_vectors(model, data)
        return _per_atom_rows(h), PoseVectors(vectors.per_atom.reshape(graphs, -1, 3), vectors.molecule), None
    output = model.run(data)
    h = _per_atom_rows(output.features)
    vectors = None if output.vectors is None else PoseVectors(output.vectors.reshape(graphs, -1, 3), None)
    return h, vectors, output.irreps


def encode_poses(
    model, data, rotations: Tensor, translations: Tensor, with_vectors: bool = False
) -> tuple[Tensor, PoseVectors | None, tuple[Tensor, str] | None]:
    """Embeddings ``[N, n, d]`` of the N moved copies of ``data`` (a built-in network in batches of at most
    MAX_ATOMS_PER_PASS atoms, a user's model one pose per call) and, ``with_vectors``, the model's vectors and
    irreps ``([N, n, dim], "8x0e+8x1o")`` of every pose (None when it gives none)."""
    n = max(1, int(data.z.numel()))
    per_pass = (
        max(1, min(MAX_ATOMS_PER_PASS // n, MAX_PAIRS_PER_PASS // (n * n))) if isinstance(model, nn.Module) else 1
    )
    chunks: list[Tensor] = []
    vectors: list[PoseVectors] = []
    irreps: list[tuple[Tensor, str]] = []
    for start in range(0, int(rotations.shape[0]), per_pass):
        stop = start + per_pass
        poses = batch_of_poses(data, rotations[start:stop], translations[start:stop])
        if with_vectors:
            h, pose_vectors, pose_irreps = outputs_of(model, poses)
            if pose_vectors is not None:
                vectors.append(pose_vectors)
            if pose_irreps is not None:
                irreps.append(pose_irreps)
        else:
            h = encode_one(model, poses)
        chunks.append(h.reshape(-1, n, h.shape[-1]))
    every_irreps = None
    if irreps and len(irreps) == len(chunks):
        every_irreps = (torch.cat([v.reshape(-1, n, v.shape[-1]) for v, _ in irreps]), irreps[0][1])
    if not vectors or len(vectors) != len(chunks):  # no vectors, or not for every pose
        return torch.cat(chunks), None, every_irreps
    molecules = [v.molecule for v in vectors]
    molecule = torch.cat(molecules) if all(m is not None for m in molecules) else None
    return torch.cat(chunks), PoseVectors(torch.cat([v.per_atom for v in vectors]), molecule), every_irreps


def sweep_model(
    model,
    data,
    rotations: Tensor,
    translations: Tensor,
    projection: str = "channel",
    channel: int = 0,
) -> ModelSweep:
    """Encode the original pose and every pose ``(rotations[i], translations[i])`` of ``data`` with ``model``.

    The projection (``"channel"``, ``"pca"`` or ``"norm"``) and the colour limits are fitted on the
    original pose, as in the viewer's rows.
    """
    h0, vectors0, irreps0 = outputs_of(model, data)
    fitted = Projection(projection, channel).fit(h0)
    values_original = fitted(h0)
    scale = ColourScale.fit(values_original)
    extras = vectors0 is not None or irreps0 is not None
    h, vectors, irreps = encode_poses(model, data, rotations, translations, with_vectors=extras)
    count, n, d = h.shape
    values = fitted(h.reshape(count * n, d)).reshape(count, n) if n else np.zeros((count, 0))
    max_error = feature_errors(h0, h).numpy()
    parity = getattr(getattr(model, "user_model", None), "vector_parity", "polar")
    vector_error = None
    if vectors0 is not None and vectors is not None:
        vector_error = vectors.deviation(vectors0, rotations, parity)
    irreps_error = None
    if irreps0 is not None and irreps is not None:  # block by block against Wigner-D, by the engine
        poses = Poses(rotations, translations)
        one = torch.zeros(n, dtype=torch.long)
        blocks = molecule_irreps_errors(irreps0[0], irreps[0], poses, irreps0[1], one, 1)
        irreps_error = {label: errors[0].numpy() for label, (errors, _) in blocks.items()}
    return ModelSweep(values, max_error, values_original, scale.vmin, scale.vmax, vector_error, irreps_error)


@dataclass(frozen=True)
class Unavailable:
    """A model row without a sweep: ``verdict`` "unsupported" (an element the model does not know) or "failed" (a
    user's model raised or returned a wrong shape or NaN), and the one-line ``reason``."""

    verdict: str
    reason: str

    def as_json(self) -> dict:
        return {"verdict": self.verdict, "reason": self.reason}


@dataclass(frozen=True)
class Sweep:
    """A sweep of several models about one axis: ``models[kind]`` per model row that could be swept,
    ``unavailable[kind]`` for the others."""

    axis: str
    angles: np.ndarray  # degrees [N]
    models: dict[str, ModelSweep]
    unavailable: dict[str, Unavailable] = field(default_factory=dict)
    rows: tuple[str, ...] = ()  # every row, swept or not, in the grid's order
    current_angle: float | None = None  # where the current g lies on the axis (None: g is no turn about it)

    def as_json(self, molecule: str) -> dict:
        """``{"molecule", "axis", "angles", "models": {kind: {"max_error": [...]}}}`` (what ``equiview sweep --json``
        prints), with ``"vector_max_error": [...]`` for a model with vectors and ``"irreps_max_error": {"1o": [...]}``
        for a user model with irreps; a row without a sweep has
        ``{"verdict": "unsupported" or "failed", "reason"}`` instead."""
        models = {}
        for kind in self.rows:
            if kind in self.unavailable:
                models[kind] = self.unavailable[kind].as_json()
                continue
            model = self.models[kind]
            models[kind] = {"max_error": [float(e) for e in model.max_error]}
            if model.vector_error is not None:
                models[kind]["vector_max_error"] = [float(e) for e in model.vector_error]
            if model.irreps_error is not None:
                models[kind]["irreps_max_error"] = {
                    label: [float(e) for e in errors] for label, errors in model.irreps_error.items()
                }
        return {
            "molecule": molecule,
            "axis": self.axis,
            "angles": [float(a) for a in self.angles],
            "current_angle": self.current_angle,
            "models": models,
        }


def sweep(
    models: dict[str, nn.Module],
    data,
    axis: str = "z",
    steps: int = DEFAULT_STEPS,
    base: E3Transform | None = None,
    projections: dict[str, tuple[str, int]] | None = None,
    unavailable: dict[str, Unavailable] | None = None,
    rows: tuple[str, ...] | None = None,
) -> Sweep:
    """Spin ``data`` about ``axis`` through its centroid in ``steps`` angles from the identity; ``base`` (the current
    element, default: identity) is marked at its angle when it is a turn about ``axis`` (:func:`angle_on_axis`).

    ``projections[kind]`` is ``(kind, channel)`` of that row's colour projection (default: channel 0);
    ``unavailable`` lists rows known beforehand to have no sweep. A user's model that fails is added to them.
    ``rows`` orders all of them (default: ``models``, then ``unavailable``).
    """
    axis = check_axis(axis)
    angles = sweep_angles(steps)
    base = base or E3Transform.identity()
    centre = data.pos.to(torch.float64).mean(dim=0)
    rotations, translations = spun_poses(axis_rotations(AXES[axis], angles), E3Transform.identity(), centre)
    projections = projections or {}
    results, missing = {}, dict(unavailable or {})
    for kind, model in models.items():
        try:
            results[kind] = sweep_model(model, data, rotations, translations, *projections.get(kind, ("channel", 0)))
        except UserModelError as error:  # the user's model broke: its row says why, the others are swept
            missing[kind] = Unavailable("failed", str(error))
    order = tuple(rows or (*models, *(unavailable or {})))
    return Sweep(axis, angles, results, missing, order, angle_on_axis(base, axis, centre))


# ------------------------------------------------------------------------------------------------ the sphere
def sphere_cells(bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres of a latitude-longitude grid: polar angles ``[bands]`` and azimuths ``[2·bands]`` (radians)."""
    bands = check_sphere_resolution(bands)
    polar = (np.arange(bands) + 0.5) * (math.pi / bands)
    azimuth = (np.arange(2 * bands) + 0.5) * (math.pi / bands)
    return polar, azimuth


def unit_vectors(polar: np.ndarray, azimuth: np.ndarray) -> np.ndarray:
    """Unit vectors ``[len(polar), len(azimuth), 3]`` for every (polar, azimuth) pair."""
    p, a = np.meshgrid(polar, azimuth, indexing="ij")
    return np.stack([np.sin(p) * np.cos(a), np.sin(p) * np.sin(a), np.cos(p)], axis=-1)


@dataclass(frozen=True)
class InvarianceSphere:
    """max|Δh| of one model over rotations about each axis direction of a latitude-longitude grid."""

    polar: np.ndarray  # radians [B], cell centres
    azimuth: np.ndarray  # radians [2B]
    max_error: np.ndarray  # [B, 2B]: the largest error over all sampled angles about that axis

    @property
    def axes(self) -> np.ndarray:
        return unit_vectors(self.polar, self.azimuth)


def invariance_sphere(
    model, data, bands: int = 12, steps: int = 24, base: E3Transform | None = None
) -> InvarianceSphere:
    """For each axis direction of a ``bands x 2·bands`` grid: max over ``steps`` angles of max|h(g_θ·x) − h(x)|.

    Turning about ``-k`` by θ is turning about ``k`` by ``−θ``, and the angle set is symmetric, so the
    lower hemisphere is the upper one mirrored through the centre: only half the axes are encoded.
    """
    bands = check_sphere_resolution(bands)
    angles = sweep_angles(steps)
    base = base or E3Transform.identity()
    polar, azimuth = sphere_cells(bands)
    upper = unit_vectors(polar[: bands // 2], azimuth).reshape(-1, 3)
    centre = data.pos.to(torch.float64).mean(dim=0)
    h0 = encode_one(model, data)
    rotations = torch.cat([axis_rotations(k, angles) for k in upper])
    rotation, translation = spun_poses(rotations, base, centre)
    h, _, _ = encode_poses(model, data, rotation, translation)
    per_pose = feature_errors(h0, h).numpy()
    top = per_pose.reshape(bands // 2, 2 * bands, len(angles)).max(axis=2)
    # antipode of cell (i, j) is (bands - 1 - i, j + bands): polar π − θ, azimuth φ + π
    bottom = np.roll(top[::-1], bands, axis=1)
    return InvarianceSphere(polar, azimuth, np.concatenate([top, bottom]))
