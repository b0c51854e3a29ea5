"""Elements g of the Euclidean group E(3) acting on atom positions: x -> R x + t.

``R`` is orthogonal (det +1: a rotation, det -1: a rotation combined with a reflection) and ``t``
a translation. Positions are row vectors, so a whole ``[n, 3]`` array transforms as
``pos @ R.T + t``. Matrices are kept in float64; :meth:`E3Transform.apply` computes in float64 and
returns the input's dtype, so float32 molecules are moved with float32 rounding only once.

Conventions
-----------
* Euler angles (:meth:`E3Transform.from_euler`): ``R = Rz(rz) @ Ry(ry) @ Rx(rx)``, i.e. extrinsic
  rotations about the fixed x, then y, then z axis, each counter-clockwise (right-hand rule).
* Composition: ``g.compose(h)`` (also ``g @ h``) is g after h, ``(g.compose(h)).apply(x) == g.apply(h.apply(x))``.
* Viewer sliders (:meth:`E3Transform.from_view`): optional mirror through the plane x = 0, then the
  Euler rotation, both about a centre point, then the translation. :meth:`E3Transform.to_view` reads
  the slider values back off any element.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from equiview.core import rotations

ArrayLike = Tensor | np.ndarray | Sequence[float] | Sequence[Sequence[float]]

# Tolerance for accepting a matrix as orthogonal (float32 input rounded to float64 is ~1e-7 off).
_ORTHOGONALITY_TOL = 1e-5


def random_orthogonal_matrices(count: int, generator: torch.Generator | None = None) -> Tensor:
    """``count`` Haar-uniform elements of O(3), ``[count, 3, 3]`` float64 (det ±1 with probability 1/2 each).

    The QR decomposition of a standard Gaussian matrix, with the signs of R's diagonal moved into Q, is uniform on
    O(3). Callers that need one half (rotations only, or reflections only) flip one column of the others, which
    maps that half onto the other without changing the measure.
    """
    gaussian = torch.randn(count, 3, 3, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(gaussian)
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)


def _as_float64(values: ArrayLike, shape: tuple[int, ...], what: str) -> Tensor:
    if isinstance(values, Tensor):
        tensor = values.detach().to(device="cpu", dtype=torch.float64)  # pragma: no mutate
    else:
        tensor = torch.as_tensor(np.asarray(values, dtype=np.float64))
    if tuple(tensor.shape) != shape:
        raise ValueError(f"{what} must have shape {list(shape)}, got {list(tensor.shape)}")
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{what} contains NaN or infinite values")
    return tensor


def _unit_vector(vector: ArrayLike, what: str) -> Tensor:
    v = _as_float64(vector, (3,), what)
    norm = float(torch.linalg.vector_norm(v))
    if norm < 1e-12:
        raise ValueError(f"{what} must be a non-zero 3-vector")
    return v / norm


def _euler_matrix(rx: float, ry: float, rz: float) -> Tensor:
    """``Rz(rz) @ Ry(ry) @ Rx(rx)``, angles in radians (:func:`equiview.core.rotations.euler_matrix`)."""
    return torch.from_numpy(rotations.euler_matrix(rx, ry, rz))


def axis_angle_matrices(axis: ArrayLike, angles_deg: ArrayLike) -> Tensor:
    """Rotations ``[N, 3, 3]`` (float64 torch) by each angle (degrees) about ``axis``: Rodrigues' formula of
    :func:`equiview.core.rotations.axis_angle_matrices`, the only one."""
    k = _unit_vector(axis, "rotation axis")
    angles = np.asarray(angles_deg, dtype=np.float64)  # pragma: no mutate
    return torch.from_numpy(rotations.axis_angle_matrices(k.numpy(), angles))


# Below this |cos(ry)| the x and z rotations turn about the same axis (gimbal lock): rx is set to 0.
_GIMBAL_LOCK_TOL = 1e-9

# Mirror through the plane x = 0 as a column scaling: R * _MIRROR_X == R @ diag(-1, 1, 1).
_MIRROR_X = torch.from_numpy(rotations.MIRROR_X)


def _euler_angles(r: Tensor) -> tuple[float, float, float]:
    """(rx, ry, rz) in radians with ``r == Rz(rz) @ Ry(ry) @ Rx(rx)`` for a proper rotation ``r``.

    ry lies in [-pi/2, pi/2], rx and rz in (-pi, pi].
    """
    m = r.tolist()
    ry = -math.asin(min(1.0, max(-1.0, m[2][0])))  # pragma: no mutate
    if math.cos(ry) > _GIMBAL_LOCK_TOL:  # pragma: no mutate
        return math.atan2(m[2][1], m[2][2]), ry, math.atan2(m[1][0], m[0][0])
    # ry = ±90°: only rz ∓ rx is defined; choose rx = 0 (then r[0][1] = -sin rz, r[1][1] = cos rz)
    return 0.0, ry, math.atan2(-m[0][1], m[1][1])


class ViewParams(NamedTuple):
    """Slider values of an E(3) element (see :meth:`E3Transform.from_view`); angles in degrees, shift in Å."""

    rx: float
    ry: float
    rz: float
    translation: tuple[float, float, float]
    reflect: bool


class E3Transform:
    """Apply g in E(3) to positions: ``apply(pos) = pos @ R.T + t``.

    Args:
        rotation: orthogonal ``[3, 3]`` matrix ``R`` (det +1 or -1).
        translation: ``[3]`` vector ``t`` (default: zero).
    """

    # No __slots__: the instance attribute ``translation`` (the vector) shadows the class-level
    # constructor ``E3Transform.translation(t)``, which the API names the same way.

    def __init__(self, rotation: ArrayLike, translation: ArrayLike = (0.0, 0.0, 0.0)) -> None:
        r = _as_float64(rotation, (3, 3), "rotation")
        deviation = float((r.T @ r - torch.eye(3, dtype=torch.float64)).abs().max())  # pragma: no mutate
        if deviation > _ORTHOGONALITY_TOL:  # pragma: no mutate
            raise ValueError(f"rotation must be an orthogonal matrix (max |R^T R - I| = {deviation:.2e})")
        self.rotation: Tensor = r
        self.translation: Tensor = _as_float64(translation, (3,), "translation")

    @classmethod
    def _trusted(cls, rotation: Tensor, translation: Tensor) -> E3Transform:
        # Products and transposes of valid elements are valid: skip the checks (the viewer builds
        # one element per slider step, so construction cost matters).
        g = cls.__new__(cls)
        g.rotation, g.translation = rotation, translation
        return g

    # ----------------------------------------------------------------- constructors
    @classmethod
    def identity(cls) -> E3Transform:
        """The neutral element: positions unchanged."""
        return cls(torch.eye(3, dtype=torch.float64))

    @classmethod
    def translation(cls, t: ArrayLike) -> E3Transform:  # type: ignore[no-redef]
        """Shift every position by ``t`` (called on the class: ``E3Transform.translation(t)``)."""
        return cls(torch.eye(3, dtype=torch.float64), t)

    @classmethod
    def from_euler(cls, rx: float, ry: float, rz: float, degrees: bool = True) -> E3Transform:
        """Rotation ``R = Rz(rz) @ Ry(ry) @ Rx(rx)``: about the fixed x axis first, then y, then z."""
        if degrees:
            rx, ry, rz = math.radians(rx), math.radians(ry), math.radians(rz)
        return cls(_euler_matrix(rx, ry, rz))

    @classmethod
    def from_axis_angle(cls, axis: ArrayLike, angle_deg: float) -> E3Transform:
        """Counter-clockwise rotation by ``angle_deg`` degrees about ``axis`` (:func:`axis_angle_matrices`)."""
        return cls(axis_angle_matrices(axis, [angle_deg])[0])

    @classmethod
    def reflection(cls, normal: ArrayLike = (1.0, 0.0, 0.0)) -> E3Transform:
        """Mirror through the plane through the origin with the given normal (Householder matrix)."""
        n = _unit_vector(normal, "reflection normal")
        return cls(torch.eye(3, dtype=torch.float64) - 2.0 * torch.outer(n, n))

    @classmethod
    def random(
        cls,
        generator: torch.Generator | None = None,
        reflect: bool | None = None,
        translation_scale: float = 2.0,
    ) -> E3Transform:
        """A random element of E(3).

        The orthogonal part is Haar-uniform (:func:`random_orthogonal_matrices`). ``reflect=None``
        keeps that (det -1 with probability 1/2); ``True``/``False`` force det -1/+1 by flipping the
        last column, which keeps the distribution uniform on that half. The translation is Gaussian
        with standard deviation ``translation_scale`` (Å) per axis; pass 0 for a pure rotation.
        """
        q = random_orthogonal_matrices(1, generator)[0]
        if reflect is not None and (bool(torch.linalg.det(q) < 0) != reflect):
            q[:, 2] = -q[:, 2]
        t = torch.randn(3, generator=generator, dtype=torch.float64) * translation_scale
        return cls(q, t)

    @classmethod
    def from_view(
        cls,
        rx: float,
        ry: float,
        rz: float,
        translation: ArrayLike = (0.0, 0.0, 0.0),
        reflect: bool = False,
        center: ArrayLike = (0.0, 0.0, 0.0),
    ) -> E3Transform:
        """What the viewer's sliders produce (angles in degrees).

        x -> translation + c + Rz Ry Rx M (x - c), where M = diag(-1, 1, 1) mirrors through the
        plane x = 0 (the x coordinate changes sign) when ``reflect`` is set, and ``c`` is ``center``
        (pass the molecule's centroid so rotating and mirroring keep it in place; default: origin).
        """
        if not all(math.isfinite(angle) for angle in (rx, ry, rz)):
            raise ValueError(f"view angles must be finite, got ({rx}, {ry}, {rz})")
        c = _as_float64(center, (3,), "center")
        shift = _as_float64(translation, (3,), "translation")
        r, t = rotations.view_matrix(rx, ry, rz, shift.numpy(), reflect, c.numpy())
        return cls._trusted(torch.from_numpy(r), torch.from_numpy(t))

    def to_view(self, center: ArrayLike = (0.0, 0.0, 0.0)) -> ViewParams:
        """The slider values that rebuild this element: ``from_view(*g.to_view(c), center=c) ≈ g``.

        ``reflect`` is ``det R < 0``; the Euler angles (degrees) are read off ``R M`` (M the mirror
        x -> -x when reflecting), with ry in [-90, 90] and rx, rz in (-180, 180]; at ry = ±90°, where
        only rz ∓ rx is defined, rx is 0. ``translation`` is ``t - c + R c`` for the centre ``c``.
        """
        c = _as_float64(center, (3,), "center")
        reflect = self.is_reflection
        proper = self.rotation * _MIRROR_X if reflect else self.rotation  # pragma: no mutate
        rx, ry, rz = _euler_angles(proper)
        shift = self.translation - c + self.rotation @ c
        return ViewParams(math.degrees(rx), math.degrees(ry), math.degrees(rz), tuple(float(v) for v in shift), reflect)

    # ----------------------------------------------------------------- algebra
    def compose(self, other: E3Transform) -> E3Transform:
        """``self`` after ``other``: ``self.compose(other).apply(x) == self.apply(other.apply(x))``."""
        return E3Transform._trusted(
            self.rotation @ other.rotation, self.rotation @ other.translation + self.translation
        )

    def __matmul__(self, other: E3Transform) -> E3Transform:
        return self.compose(other)

    def inverse(self) -> E3Transform:
        """The element undoing this one: x -> R^T (x - t)."""
        r_t = self.rotation.T
        return E3Transform._trusted(r_t.contiguous(), -(r_t @ self.translation))

    @property
    def determinant(self) -> float:
        """det R: +1 for proper rotations, -1 when a reflection is included."""
        return float(torch.linalg.det(self.rotation))

    @property
    def is_reflection(self) -> bool:
        """True when the transform mirrors space (det R = -1)."""
        return self.determinant < 0

    def allclose(self, other: E3Transform, atol: float = 1e-9) -> bool:
        """Same rotation and translation up to ``atol``."""
        return bool(
            torch.allclose(self.rotation, other.rotation, atol=atol, rtol=0.0)
            and torch.allclose(self.translation, other.translation, atol=atol, rtol=0.0)
        )

    # ----------------------------------------------------------------- acting on positions
    def apply(self, pos: Tensor | np.ndarray) -> Tensor | np.ndarray:
        """Transformed copy of positions ``[n, 3]``, same type (torch/numpy) and dtype as the input."""
        if isinstance(pos, np.ndarray):
            if pos.ndim != 2 or pos.shape[1] != 3:
                raise ValueError(f"positions must have shape [n, 3], got {list(pos.shape)}")
            out = pos.astype(np.float64) @ self.rotation.numpy().T + self.translation.numpy()
            return out.astype(pos.dtype if np.issubdtype(pos.dtype, np.floating) else np.float64)
        if not isinstance(pos, Tensor):
            raise TypeError(f"positions must be a torch.Tensor or numpy array, got {type(pos).__name__}")
        if pos.dim() != 2 or pos.size(1) != 3:
            raise ValueError(f"positions must have shape [n, 3], got {list(pos.shape)}")
        dtype = pos.dtype if pos.dtype.is_floating_point else torch.float64
        rotation = self.rotation.to(pos.device)  # pragma: no mutate
        shift = self.translation.to(pos.device)  # pragma: no mutate
        out = pos.to(torch.float64) @ rotation.T + shift
        return out.to(dtype)

    def as_matrix4(self) -> np.ndarray:
        """4x4 homogeneous matrix (float64 numpy), e.g. for a VTK actor's user matrix."""
        m = np.eye(4)
        m[:3, :3] = self.rotation.numpy()
        m[:3, 3] = self.translation.numpy()
        return m

    def __repr__(self) -> str:
        r = np.array2string(self.rotation.numpy(), precision=4, suppress_small=True, separator=", ")
        t = np.array2string(self.translation.numpy(), precision=4, suppress_small=True, separator=", ")
        return f"E3Transform(rotation={r}, translation={t})".replace("\n", "")
