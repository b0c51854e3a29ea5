"""Readouts under an exported image: the verdicts and predictions as text, drawn with Pillow.

An export can carry the numbers of the side panel (the view titles and badges are in the picture
already); the text colour follows the export's choice of text for light or dark backgrounds.
"""

from __future__ import annotations

import os

import numpy as np

from equiview.core.data.targets import TARGETS
from equiview.viewer.model.pipeline import Frame
from equiview.viewer.model.properties import symbol
from equiview.viewer.model.snapshot import MODEL_ROWS, MODEL_TITLES

LIGHT_TEXT = (238, 240, 244)
DARK_TEXT = (33, 38, 48)


def readout_lines(frame: Frame) -> list[str]:
    """One line for the molecule and g, one per model: verdict and both predictions.

    The property is named as the window names it (⟨R²⟩, μ), not by its QM9 key (r2, mu).
    """
    molecule = frame.molecule
    lines = [f"{molecule.name} ({molecule.formula}) · g = {frame.transform.describe()}"]
    for kind in MODEL_ROWS:
        row = frame.rows.get(kind)
        if row is None:  # models still loading
            continue
        if not row.available or row.target_idx is None:
            continue
        target = TARGETS[row.target_idx]
        dft = "" if molecule.y is None else f", DFT {float(molecule.y[row.target_idx]):.2f}"
        trained = "" if row.trained else " (untrained: predictions meaningless)"
        if not row.in_domain:
            trained = f" ({row.domain_problem})"
        lines.append(
            f"{MODEL_TITLES[kind]} ({row.model_label}): {row.verdict.text} · {symbol(target)} predicted "
            f"{row.prediction_original:.2f} (x), {row.prediction_transformed:.2f} (g·x){dft} "
            f"{target.unit}{trained}"
        )
    return lines


def _font(size: int):
    import matplotlib
    from PIL import ImageFont

    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")
    return ImageFont.truetype(path, size) if os.path.isfile(path) else ImageFont.load_default()


def caption_height(lines: int, scale: int = 1) -> int:
    """Pixel height of the strip that :func:`with_caption` adds for ``lines`` lines."""
    size = 13 * scale
    return 2 * 8 * scale + round(1.5 * size) * lines


def with_caption(image: np.ndarray, lines: list[str], light_text: bool, scale: int = 1) -> np.ndarray:
    """``image`` with ``lines`` of text in a strip below it (same width; RGBA stays RGBA, transparent strip)."""
    from PIL import Image, ImageDraw

    size = 13 * scale
    font = _font(size)
    line_height = round(1.5 * size)
    pad = 8 * scale
    width = image.shape[1]
    channels = image.shape[2]
    strip = np.zeros((caption_height(len(lines), scale), width, channels), dtype=np.uint8)
    if channels == 3:
        strip[:] = image[-1, 0, :3]  # the grid's background colour
    picture = Image.fromarray(np.ascontiguousarray(strip))
    draw = ImageDraw.Draw(picture)
    colour = LIGHT_TEXT if light_text else DARK_TEXT
    fill = colour if channels == 3 else (*colour, 255)
    for i, line in enumerate(lines):
        draw.text((pad, pad + i * line_height), line, font=font, fill=fill)
    return np.concatenate([image, np.asarray(picture)], axis=0)
