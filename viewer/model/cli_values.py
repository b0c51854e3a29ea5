"""Command-line values that argparse cannot check on its own: ``30,0,45`` triples, ``1200x900`` sizes, output files.

Each parser raises :class:`equiview.core.cli.CommandError` with a one-line message naming the option, so a
bad value ends the command with exit code 2 before anything heavy is imported or any data is read.
"""

from __future__ import annotations

import math

from equiview.core.errors import CommandError

MIN_IMAGE_SIDE = 64
MAX_IMAGE_SIDE = 8192
MAX_OUTPUT_SIDE = 16384
"""Largest side of a written image, ``--size`` times ``--scale`` (the off-screen renderer's limit)."""
MAX_OUTPUT_PIXELS = 8192 * 8192
"""Largest written image in pixels (256 MB as RGBA), checked before any window or buffer is made."""


def parse_triple(text: str, option: str, bounds: tuple[float, float], unit: str) -> tuple[float, float, float]:
    """``"30,0,45"`` -> ``(30.0, 0.0, 45.0)``: three finite comma-separated numbers within ``bounds``."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise CommandError(f"{option} expects three comma-separated numbers ({unit}), e.g. 30,0,45; got {text!r}")
    lo, hi = bounds
    if not all(lo <= v <= hi for v in values):
        raise CommandError(f"{option} values must lie in {lo:g}..{hi:g} {unit}; got {text!r}")
    return values  # type: ignore[return-value]


def parse_size(text: str, option: str = "--size") -> tuple[int, int]:
    """``"1200x900"`` (also ``×`` or ``X``) -> ``(1200, 900)`` pixels, each side 64..8192."""
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        width, height = (int(p) for p in parts)
    except ValueError:
        raise CommandError(f"{option} expects WIDTHxHEIGHT in pixels, e.g. 1200x900; got {text!r}") from None
    if not (MIN_IMAGE_SIDE <= width <= MAX_IMAGE_SIDE and MIN_IMAGE_SIDE <= height <= MAX_IMAGE_SIDE):
        raise CommandError(
            f"{option} must be between {MIN_IMAGE_SIDE} and {MAX_IMAGE_SIDE} pixels per side; got {text!r}"
        )
    return width, height


def check_image_size(size: tuple[int, int], scale: int) -> None:
    """``size`` at ``scale`` must fit :data:`MAX_OUTPUT_SIDE` per side and :data:`MAX_OUTPUT_PIXELS` in all."""
    width, height = size[0] * scale, size[1] * scale
    if max(width, height) > MAX_OUTPUT_SIDE or width * height > MAX_OUTPUT_PIXELS:
        raise CommandError(
            f"--size {size[0]}x{size[1]} at --scale {scale} gives a {width}x{height} image; the largest is "
            f"{MAX_OUTPUT_SIDE} pixels per side and {MAX_OUTPUT_PIXELS // 1_000_000} megapixels"
        )
