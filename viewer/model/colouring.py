"""Atom colours: from per-atom embeddings (a scalar projection, then a frozen colour scale) or by element.

Both embedding steps are *fitted once on the original pose* and then frozen, so when the molecule is
moved an invariant model keeps every atom's colour and a non-invariant one visibly changes it.
numpy + matplotlib only (no Qt), so the viewer and the tests share the same logic.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib
import numpy as np

from equiview.core.elements import CPK_COLORS

if TYPE_CHECKING:
    from torch import Tensor


def _numpy(values):
    """A torch tensor as a numpy array (without importing torch), anything else unchanged."""
    detach = getattr(values, "detach", None)
    return detach().cpu().numpy() if callable(detach) else values


PROJECTION_KINDS = ("channel", "pca", "norm")

EMBEDDING_HELP = (
    "h is a model's per-atom embedding: the d numbers its last message-passing layer computes for each atom, "
    "before the readout sums them into the prediction."
)
PROJECTION_HELP = {
    "pca": "PC 1: each atom's h projected onto the first principal component of the embeddings of x (the "
    "original pose). Its mean and direction are fitted on x once and then frozen, so h(g·x) is projected onto "
    "the same axis: an invariant model gives every atom the same value in both columns.",
    "channel": "channel k: the k-th number of each atom's h.",
    "norm": "‖h‖: the length of each atom's h (invariant whenever h is, and blind to a sign flip).",
}
COLOUR_BAR_HELP = (
    "The colour bar maps this colour value to colours. Its range is fitted on x and frozen: both columns share it, "
    "and atoms beyond it take the end colours (the bar then shows end swatches). With 'Colour g·x by the change "
    "|Δh|' the g·x view shows |h(g·x) − h(x)| per atom on a bar from 0."
)


def projection_help(kind: str | None = None) -> list[str]:
    """What "h: PC 1" (or channel k, ‖h‖; None: all three) and the colour bar mean, as paragraphs."""
    kinds = PROJECTION_KINDS if kind is None else (kind,)
    return [EMBEDDING_HELP, *(PROJECTION_HELP[k] for k in ("pca", "channel", "norm") if k in kinds), COLOUR_BAR_HELP]


_CURATED_COLORMAPS = ("viridis", "plasma", "coolwarm", "cividis", "magma", "turbo", "RdBu_r")


def available_colormaps() -> tuple[str, ...]:
    """A short curated list of matplotlib colormaps suitable for per-atom scalars."""
    return tuple(name for name in _CURATED_COLORMAPS if name in matplotlib.colormaps)


def _as_matrix(h: Tensor | np.ndarray | Sequence[float]) -> np.ndarray:
    """Embeddings as a float64 array ``[n, d]`` (a 1-D input is ``n`` atoms with one channel)."""
    array = np.asarray(_numpy(h), dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"embeddings must have shape [n_atoms, d], got {list(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError("embeddings contain NaN or infinite values")
    return array


class Projection:
    """Map embeddings ``[n, d]`` to one scalar per atom.

    * ``"channel"``: column ``channel`` of the embedding.
    * ``"norm"``: the L2 norm of each atom's embedding.
    * ``"pca"``: the coordinate along the first principal component of the *original* pose's
      embeddings; mean and direction are frozen by :meth:`fit`, and the direction's sign is
      fixed so its largest-magnitude entry is positive (deterministic across runs).

    Call :meth:`fit` with the original pose's embeddings, then call the projection on any pose.
    """

    def __init__(self, kind: str = "channel", channel: int = 0) -> None:
        if kind not in PROJECTION_KINDS:
            raise ValueError(f"unknown projection {kind!r}; expected one of {', '.join(PROJECTION_KINDS)}")
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or channel < 0:
            raise ValueError(f"channel must be a non-negative integer, got {channel!r}")
        self.kind = kind
        self.channel = int(channel)
        self.dim: int | None = None
        self.mean: np.ndarray | None = None
        self.direction: np.ndarray | None = None

    @property
    def is_fitted(self) -> bool:
        return self.dim is not None

    def _check_width(self, d: int) -> None:
        if self.dim is not None and d != self.dim:
            raise ValueError(f"projection was fitted on {self.dim}-dimensional embeddings, got {d}-dimensional")
        if self.kind == "channel" and self.channel >= d:
            raise ValueError(f"channel {self.channel} is out of range for {d}-dimensional embeddings (0..{d - 1})")

    def fit(self, h_original: Tensor | np.ndarray) -> Projection:
        """Freeze what the projection needs from the original pose; returns ``self``."""
        h = _as_matrix(h_original)
        if h.shape[0] == 0:
            raise ValueError("cannot fit a projection on zero atoms")
        self.dim = None
        self._check_width(h.shape[1])
        self.dim = h.shape[1]
        if self.kind == "pca":
            self.mean = h.mean(axis=0)
            self.direction = _first_principal_direction(h - self.mean)
        return self

    def __call__(self, h: Tensor | np.ndarray) -> np.ndarray:
        """One float64 value per atom, ``[n]``."""
        array = _as_matrix(h)
        self._check_width(array.shape[1])
        if self.kind == "channel":
            return array[:, self.channel].copy()
        if self.kind == "norm":
            return np.linalg.norm(array, axis=1)
        if self.mean is None or self.direction is None:
            raise RuntimeError("Projection('pca') must be fitted on the original pose before it is applied")
        return (array - self.mean) @ self.direction

    def __repr__(self) -> str:
        extra = f", channel={self.channel}" if self.kind == "channel" else ""
        return f"Projection({self.kind!r}{extra}, fitted={self.is_fitted})"


def _first_principal_direction(centred: np.ndarray) -> np.ndarray:
    d = centred.shape[1]
    if centred.shape[0] < 2 or not np.any(centred):
        # no spread to orient along: fall back to the first axis so the output is defined (all 0)
        direction = np.zeros(d)
        direction[0] = 1.0
        return direction
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    direction = vt[0]
    if direction[np.argmax(np.abs(direction))] < 0:  # SVD's sign is arbitrary; make it deterministic
        direction = -direction
    return direction


@functools.cache
def _built_colormap(name: str) -> matplotlib.colors.Colormap:
    """One colormap per name with its colour table built: matplotlib's registry hands out a fresh copy per
    lookup, which builds its table again on first use (a quarter of a millisecond, twice per slider step)."""
    colormap = matplotlib.colormaps[name]
    colormap(0.0)  # builds the table now
    return colormap


class ColourScale:
    """A frozen value range ``[vmin, vmax]`` mapped through a matplotlib colormap.

    Values outside the range are clipped to the end colours, so a changed embedding stays
    visible as a saturated colour instead of silently re-scaling the whole molecule.
    """

    def __init__(self, vmin: float, vmax: float, cmap: str = "viridis") -> None:
        vmin, vmax = float(vmin), float(vmax)
        if not (math.isfinite(vmin) and math.isfinite(vmax)):
            raise ValueError(f"colour scale limits must be finite, got {vmin}..{vmax}")
        if not vmin < vmax:
            raise ValueError(f"colour scale needs vmin < vmax, got {vmin}..{vmax}")
        if cmap not in matplotlib.colormaps:
            raise ValueError(f"unknown colormap {cmap!r}; try one of {', '.join(available_colormaps())}")
        self.vmin = vmin
        self.vmax = vmax
        self.cmap = cmap

    @classmethod
    def fit(cls, values: Tensor | np.ndarray | Sequence[float], cmap: str = "viridis") -> ColourScale:
        """Limits from the original pose's values (min..max); a constant set gets a padded range."""
        array = _as_values(values)
        if array.size == 0:
            raise ValueError("cannot fit a colour scale on zero values")
        vmin, vmax = float(array.min()), float(array.max())
        # A spread below 1e-3 (relative to the values' size) counts as constant: pad it so rounding
        # noise of an invariant model stays near the middle colour instead of spanning the colormap.
        pad_floor = 1e-3 * max(1.0, abs(vmin), abs(vmax))
        if vmax - vmin < pad_floor:
            centre = 0.5 * (vmin + vmax)
            vmin, vmax = centre - pad_floor, centre + pad_floor
        return cls(vmin, vmax, cmap)

    @property
    def colormap(self) -> matplotlib.colors.Colormap:
        """The matplotlib colormap object (shared: read it, do not change it)."""
        return _built_colormap(self.cmap)

    def normalise(self, values: Tensor | np.ndarray | Sequence[float], clip: bool = True) -> np.ndarray:
        """(values - vmin) / (vmax - vmin), clipped to [0, 1] unless ``clip`` is False."""
        scaled = (_as_values(values) - self.vmin) / (self.vmax - self.vmin)
        return np.clip(scaled, 0.0, 1.0) if clip else scaled

    def rgba(self, values: Tensor | np.ndarray | Sequence[float]) -> np.ndarray:
        """Colours ``uint8 [n, 4]`` (RGBA, alpha 255) for ``n`` values."""
        return np.ascontiguousarray(self.colormap(self.normalise(values), bytes=True), dtype=np.uint8)

    def lookup_table(self, size: int = 256) -> np.ndarray:
        """``size`` evenly spaced colours from vmin to vmax, ``uint8 [size, 4]`` (e.g. for a VTK LUT)."""
        if size < 2:
            raise ValueError(f"a lookup table needs at least 2 colours, got {size}")
        return np.ascontiguousarray(self.colormap(np.linspace(0.0, 1.0, size), bytes=True), dtype=np.uint8)

    def with_cmap(self, cmap: str) -> ColourScale:
        """The same frozen limits with another colormap."""
        return ColourScale(self.vmin, self.vmax, cmap)

    def __repr__(self) -> str:
        return f"ColourScale(vmin={self.vmin:.6g}, vmax={self.vmax:.6g}, cmap={self.cmap!r})"


def _as_values(values: Tensor | np.ndarray | Sequence[float]) -> np.ndarray:
    array = np.asarray(_numpy(values), dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"colour values must be one scalar per atom, shape [n], got {list(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError("colour values contain NaN or infinite values")
    return array


def element_rgba(z: Tensor | np.ndarray | Sequence[int]) -> np.ndarray:
    """Jmol/CPK colours of atoms with atomic numbers ``z``, ``uint8 [n, 4]`` (RGBA, alpha 255)."""
    numbers = np.asarray(_numpy(z))
    rgb = np.asarray(CPK_COLORS, dtype=np.float64)[numbers.astype(np.int64).reshape(-1)]
    rgba = np.empty((rgb.shape[0], 4), dtype=np.uint8)
    rgba[:, :3] = np.round(rgb * 255.0).astype(np.uint8)
    rgba[:, 3] = 255
    return rgba


def is_dark(rgba: np.ndarray) -> np.ndarray:
    """Per ``uint8`` RGB(A) colour ``[n, 3|4]``: True where its perceived luminance is below one half
    (light text reads better on it than dark text)."""
    rgb = np.asarray(rgba)[:, :3].astype(np.float64) / 255.0
    # ITU-R BT.601 luma weights: how bright a colour looks to the eye
    luminance = 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]
    return luminance < 0.5


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def bar_ticks(vmin: float, vmax: float, count: int = 3) -> tuple[list[str], int]:
    """Tick labels of a colour bar from ``vmin`` (first) to ``vmax`` (last), and the power of ten they are in.

    Labels are plain short decimals (no exponent, no trailing '.'), all with the same number of
    decimals: 3 significant digits of the larger end, and enough to tell neighbouring ticks apart. Values beyond
    0.01..9999 share an engineering exponent (a multiple of 3) that the bar's title carries (:func:`scale_note`).
    """
    vmin, vmax = float(vmin), float(vmax)
    if not (math.isfinite(vmin) and math.isfinite(vmax)) or count < 2:
        raise ValueError(f"a colour bar needs finite limits and 2 or more ticks, got {vmin}..{vmax}, {count}")
    largest = max(abs(vmin), abs(vmax))
    exponent = 0
    if largest >= 1e4 or 0.0 < largest < 1e-2:
        exponent = 3 * math.floor(math.log10(largest) / 3)
    scale = 10.0**exponent
    low, high = vmin / scale, vmax / scale
    step = abs(high - low) / (count - 1)
    decimals = 2 - math.floor(math.log10(largest / scale)) if largest > 0 else 0
    if step > 0:  # neighbours differ in their printed digits
        decimals = max(decimals, 1 - math.floor(math.log10(step)))
    decimals = min(max(decimals, 0), 4)
    labels = []
    for value in np.linspace(low, high, count):
        text = f"{value:.{decimals}f}"
        if float(text) == 0.0:
            text = text.lstrip("-")  # no "-0.00"
        labels.append(text)
    return labels, exponent


def scale_note(exponent: int) -> str:
    """``"×10³"`` for the exponent :func:`bar_ticks` chose ("" for none)."""
    return f"×10{str(exponent).translate(_SUPERSCRIPT)}" if exponent else ""
