"""Write a sequence of RGB frames as an animated GIF or an MP4 movie, all at once or not at all.

* GIF (imageio + Pillow): every frame is mapped to ONE 256-colour palette computed from all frames of the
  movie, stored once as the file's global colour table, so a colour never changes between frames (per-frame
  palettes make constant colours flicker). The frames wait in a temporary file until the palette is known.
* MP4 (imageio-ffmpeg): H.264 in yuv420p, what browsers and presentation software play; frames stream to
  ffmpeg as they come. yuv420p halves the chroma resolution, so width and height must be even.

The file appears under its name only when the last frame is written: a failure or a cancel (any exception,
Ctrl+C included) removes the temporary file and leaves an older file of that name untouched.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from equiview.core.atomic import atomic_output

MOVIE_FORMATS = (".gif", ".mp4")
MIN_FRAMES, MAX_FRAMES = 2, 720
MIN_FPS, MAX_FPS = 1, 60
GIF_MAX_FPS = 50
"""A GIF stores frame delays in 1/100 s and browsers slow down delays below 2/100 s: at most 50 frames/s."""

PALETTE_SAMPLE_PIXELS = 1 << 20
"""Pixels (evenly spread over all frames) that the GIF palette is computed from."""

MP4_QUALITY = ["-crf", "18", "-preset", "veryfast", "-movflags", "+faststart"]
"""Visually lossless for flat-shaded molecules; faststart lets a browser play while it downloads."""


class _StopEncoder(BaseException):
    """Thrown into imageio-ffmpeg's writer: like Ctrl+C it kills ffmpeg at once."""


class MovieCancelled(Exception):
    """The user stopped the export; the partial file has been removed."""


def movie_format(path: str | Path) -> str:
    """``".gif"`` or ``".mp4"`` from the file name; ``ValueError`` (one line) for any other extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in MOVIE_FORMATS:
        raise ValueError(f"{path}: unknown movie format {suffix or '(no extension)'!r}; use a .gif or .mp4 file name")
    return suffix


def check_movie_settings(path: str | Path, frames: int, fps: int, width: int, height: int) -> str:
    """The format of ``path`` after checking frames, fps and size against it; ``ValueError`` with one line otherwise."""
    suffix = movie_format(path)
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or not MIN_FRAMES <= frames <= MAX_FRAMES:
        raise ValueError(f"frames must be an integer from {MIN_FRAMES} to {MAX_FRAMES}; got {frames!r}")
    top = GIF_MAX_FPS if suffix == ".gif" else MAX_FPS
    if isinstance(fps, bool) or not isinstance(fps, (int, np.integer)) or not MIN_FPS <= fps <= top:
        raise ValueError(f"fps must be an integer from {MIN_FPS} to {top} for a {suffix[1:].upper()} file; got {fps!r}")
    if suffix == ".mp4" and (width % 2 or height % 2):
        raise ValueError(f"an MP4 (yuv420p) needs an even width and height; got {width}x{height}")
    return suffix


class MovieFile:
    """Collect ``frames`` RGB images ``uint8 [height, width, 3]`` and write them to ``path`` on :meth:`finish`.

    Use as a context manager: leaving the block without :meth:`finish` having run (an exception, a
    cancel) removes everything written so far.
    """

    def __init__(self, path: str | Path, frames: int, fps: int, width: int, height: int) -> None:
        self.path = Path(path)
        self.format = check_movie_settings(self.path, frames, fps, width, height)
        self.frames, self.fps, self.width, self.height = int(frames), int(fps), int(width), int(height)
        self.written = 0
        self._finished = False
        self._stack = contextlib.ExitStack()
        self._temporary: Path | None = None
        self._encoder = None  # MP4: the imageio-ffmpeg generator
        self._pending: np.ndarray | None = None  # GIF: the frames, in a temporary file until the palette is known

    def __enter__(self) -> MovieFile:
        try:
            self._temporary = self._stack.enter_context(atomic_output(self.path))
            if self.format == ".mp4":
                self._open_mp4()
            else:
                handle = self._stack.enter_context(tempfile.TemporaryFile(dir=self.path.parent))
                shape = (self.frames, self.height, self.width, 3)
                self._pending = np.memmap(handle, dtype=np.uint8, mode="w+", shape=shape)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if self._encoder is not None:  # still open only when the movie stopped before finish()
            self._close_encoder(failed=True)
        self._pending = None
        if exc_type is None and not self._finished:
            error = RuntimeError(f"the movie was closed after {self.written} of {self.frames} frames, before finish()")
            self._stack.__exit__(RuntimeError, error, None)  # removes the temporary file
            raise error
        # atomic_output renames on a clean exit and removes the temporary file on an exception
        return bool(self._stack.__exit__(exc_type, exc, traceback))

    # ------------------------------------------------------------------ frames
    def append(self, image: np.ndarray) -> None:
        """Add the next frame (RGB or RGBA ``uint8``; alpha is dropped)."""
        if self._temporary is None:
            raise RuntimeError("MovieFile.append() outside its 'with' block")
        if self.written >= self.frames:
            raise ValueError(f"the movie has room for {self.frames} frames")
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(f"a movie frame must be uint8 [h, w, 3|4]; got {image.dtype} {list(image.shape)}")
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(f"frame is {image.shape[1]}x{image.shape[0]}, the movie {self.width}x{self.height}")
        rgb = np.ascontiguousarray(image[..., :3])
        if self._encoder is not None:
            self._encoder.send(rgb)
        else:
            self._pending[self.written] = rgb
        self.written += 1

    def finish(self) -> None:
        """Write the file (all frames must have been appended); it gets its name when the block ends."""
        if self.written != self.frames:
            raise ValueError(f"the movie got {self.written} of its {self.frames} frames")
        if self._encoder is not None:
            self._close_encoder(failed=False)
        else:
            self._write_gif()
        self._finished = True

    # ------------------------------------------------------------------ MP4
    def _open_mp4(self) -> None:
        import imageio_ffmpeg

        self._encoder = imageio_ffmpeg.write_frames(
            str(self._temporary),
            (self.width, self.height),
            fps=self.fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=2,  # never rescale: the size is checked to be even instead
            output_params=MP4_QUALITY,
            ffmpeg_log_level="error",
        )
        self._encoder.send(None)  # start ffmpeg

    def _close_encoder(self, failed: bool) -> None:
        encoder, self._encoder = self._encoder, None
        if not failed:
            encoder.close()  # ffmpeg finishes the file
            return
        # kill ffmpeg instead of waiting for it to finish a file that is about to be deleted
        with contextlib.suppress(_StopEncoder):
            encoder.throw(_StopEncoder())

    # ------------------------------------------------------------------ GIF
    def _write_gif(self) -> None:
        import imageio.v3 as iio
        from PIL import Image

        frames = self._pending
        palette_image = global_palette(frames)
        indices = np.empty(frames.shape[:3], dtype=np.uint8)
        for k in range(frames.shape[0]):
            quantised = Image.fromarray(np.asarray(frames[k])).quantize(palette=palette_image, dither=Image.Dither.NONE)
            indices[k] = np.asarray(quantised)
        palette = bytes(palette_image.getpalette()[:768]).ljust(768, b"\0")
        # index frames (mode L) + palette=: Pillow stores this one palette as the global colour table
        iio.imwrite(
            self._temporary,
            indices,
            extension=".gif",
            is_batch=True,
            palette=palette,
            duration=1000.0 / self.fps,
            loop=0,
        )


def global_palette(frames: np.ndarray):
    """A Pillow ``P`` image whose palette holds the 256 colours that best cover all ``frames`` (median cut)."""
    from PIL import Image

    count, height, width, _ = frames.shape
    stride = max(1, int(np.sqrt(count * height * width / PALETTE_SAMPLE_PIXELS)))
    sample = np.concatenate([np.asarray(frame[::stride, ::stride]).reshape(-1, 3) for frame in frames])
    return Image.fromarray(sample[None]).quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def read_frames(path: str | Path) -> Iterator[np.ndarray]:
    """The frames of a GIF or MP4 as RGB ``uint8`` arrays (for tests and checks)."""
    import imageio.v3 as iio

    if movie_format(path) == ".mp4":
        yield from iio.imiter(path, plugin="FFMPEG")
    else:
        for frame in iio.imiter(path, extension=".gif"):
            yield np.asarray(frame)[..., :3]
