"""PNG files of the grid: encoding and writing, without Qt or VTK (Pillow ships with matplotlib)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from equiview.core.atomic import write_bytes_atomically


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an RGB or RGBA uint8 image ``[h, w, c]`` (top row first)."""
    from PIL import Image

    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"expected an image [h, w, 3|4], got shape {list(image.shape)}")
    buffer = io.BytesIO()
    Image.fromarray(image, "RGBA" if image.shape[2] == 4 else "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def write_png(image: np.ndarray, path: str | Path) -> None:
    """Write ``image`` as a PNG; ``OSError`` with a one-line message when the path is not writable."""
    target = Path(path)
    payload = encode_png(image)
    try:
        write_bytes_atomically(target, payload)  # an interrupted export never leaves half a PNG
    except OSError as error:
        raise OSError(f"cannot write {target}: {error.strerror or error}") from None
