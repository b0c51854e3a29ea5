"""Write a sequence of RGB frames as an animated GIF or an MP4 movie, all at once or not at all.

* GIF (Pillow's encoder, one frame at a time): every frame is mapped to ONE 256-colour palette, stored once as
  the file's global colour table, so a colour never changes between frames (per-frame palettes make constant
  colours flicker). The palette comes from a sample of the movie's frames given first (:meth:`MovieFile.
  set_palette`; ``record_movie`` renders a few evenly spaced poses for it), so each frame is quantised and
  written as it comes: memory holds one frame and the encoder's state, whatever the frame count (frames used to
  wait in a memory-mapped file next to the output: 86 MB for 60 frames of 800x600, and a full disk turned the
  mapping's page faults into SIGBUS).
* MP4 (imageio-ffmpeg): H.264 in yuv420p, what browsers and presentation software play; frames stream to
  ffmpeg as they come. yuv420p halves the chroma resolution, so width and height must be even.

The file appears under its name only when the last frame is written: a failure or a cancel (any exception,
Ctrl+C, SIGTERM or SIGHUP included) removes the temporary file and leaves an older file of that name untouched;
a full disk is an ``OSError`` naming the file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from equiview.core.atomic import atomic_output, atomic_write

MOVIE_FORMATS = (".gif", ".mp4")
MIN_FRAMES, MAX_FRAMES = 2, 720
MIN_FPS, MAX_FPS = 1, 60
GIF_MAX_FPS = 50
"""A GIF stores frame delays in 1/100 s and browsers slow down delays below 2/100 s: at most 50 frames/s."""

PALETTE_SAMPLE_PIXELS = 1 << 20
"""Pixels (evenly spread over the sample frames) that the GIF palette is computed from."""
GIF_COLOURS = 255
"""Colours of a GIF's palette; the 256th entry (``UNCHANGED``) marks pixels that keep the previous frame's colour."""
UNCHANGED = 255
PALETTE_SAMPLE_FRAMES = 8
"""Frames, evenly spaced over the movie, that ``record_movie`` renders first for a GIF's palette."""

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
    cancel) removes everything written so far. A GIF needs :meth:`set_palette` before its first frame.
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
        self._gif = None  # GIF: the open temporary file
        self._palette = None  # GIF: a Pillow "P" image holding the global palette
        self._previous: np.ndarray | None = None  # GIF: the last frame's palette indices

    def __enter__(self) -> MovieFile:
        try:
            if self.format == ".mp4":  # ffmpeg needs a file name
                self._temporary = self._stack.enter_context(atomic_output(self.path))
                self._open_mp4()
            else:
                self._gif = self._stack.enter_context(atomic_write(self.path, "wb"))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if self._encoder is not None:  # still open only when the movie stopped before finish()
            self._close_encoder(failed=True)
        if exc_type is None and not self._finished:
            error = RuntimeError(f"the movie was closed after {self.written} of {self.frames} frames, before finish()")
            self._stack.__exit__(RuntimeError, error, None)  # removes the temporary file
            raise error
        # atomic_output renames on a clean exit and removes the temporary file on an exception
        return bool(self._stack.__exit__(exc_type, exc, traceback))

    # ------------------------------------------------------------------ frames
    def append(self, image: np.ndarray) -> None:
        """Add the next frame (RGB or RGBA ``uint8``; alpha is dropped)."""
        if self._temporary is None and self._gif is None:
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
            self._write_gif_frame(rgb)
        self.written += 1

    def finish(self) -> None:
        """Write the file (all frames must have been appended); it gets its name when the block ends."""
        if self.written != self.frames:
            raise ValueError(f"the movie got {self.written} of its {self.frames} frames")
        if self._encoder is not None:
            self._close_encoder(failed=False)
        else:
            self._gif.write(b";")  # the GIF trailer
            self._gif.flush()
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
    def set_palette(self, sample: Iterable[np.ndarray]) -> None:
        """The GIF's global palette from ``sample`` frames (RGB ``uint8``); written before the first frame."""
        if self.format != ".gif":
            return
        if self._gif is None or self._palette is not None:
            raise RuntimeError("MovieFile.set_palette() once, inside the 'with' block, before the first frame")
        self._palette = global_palette([np.asarray(frame)[..., :3] for frame in sample], GIF_COLOURS)
        colours = bytes(self._palette.getpalette()[: 3 * GIF_COLOURS]).ljust(3 * GIF_COLOURS, b"\0")
        colours += colours[:3]  # the last entry, UNCHANGED, marks "as in the previous frame" (transparent)
        self._palette.putpalette(colours)
        self._gif.write(
            b"GIF89a"
            + self.width.to_bytes(2, "little")
            + self.height.to_bytes(2, "little")
            + bytes([0xF7, 0, 0])  # a global colour table of 256 entries; background 0; square pixels
            + colours
            + b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop for ever
        )

    def _write_gif_frame(self, rgb: np.ndarray) -> None:
        from PIL import GifImagePlugin, Image

        if self._palette is None:
            raise RuntimeError("a GIF needs MovieFile.set_palette() before its first frame")
        indices = np.asarray(Image.fromarray(rgb).quantize(palette=self._palette, dither=Image.Dither.NONE)).copy()
        indices[indices == UNCHANGED] = 0  # the same colour as entry 0
        previous, self._previous = self._previous, indices
        offset = (0, 0)
        if previous is not None:  # only the box that changed, the pixels that did not marked transparent
            changed = indices != previous
            rows, columns = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if rows.size == 0:
                rows, columns = np.array([0]), np.array([0])
            top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
            indices = np.where(changed, indices, UNCHANGED)[top:bottom, left:right]
            offset = (int(left), int(top))
        image = Image.fromarray(np.ascontiguousarray(indices), mode="L")
        # Pillow's frame encoder: graphic control (delay, transparency, keep the previous frame), image descriptor
        # without a local table, LZW data
        parts = GifImagePlugin.getdata(image, offset, duration=1000.0 / self.fps, transparency=UNCHANGED, disposal=1)
        for part in parts:
            self._gif.write(part)


def global_palette(frames: list[np.ndarray], colours: int = 256):
    """A Pillow ``P`` image whose palette holds the ``colours`` that best cover ``frames`` (median cut)."""
    from PIL import Image

    count = len(frames)
    height, width = frames[0].shape[:2]
    stride = max(1, int(np.sqrt(count * height * width / PALETTE_SAMPLE_PIXELS)))
    sample = np.concatenate([np.asarray(frame[::stride, ::stride]).reshape(-1, 3) for frame in frames])
    return Image.fromarray(sample[None]).quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def read_frames(path: str | Path) -> Iterator[np.ndarray]:
    """The frames of a GIF or MP4 as RGB ``uint8`` arrays (for tests and checks)."""
    import imageio.v3 as iio

    if movie_format(path) == ".mp4":
        yield from iio.imiter(path, plugin="FFMPEG")
    else:
        for frame in iio.imiter(path, extension=".gif"):
            yield np.asarray(frame)[..., :3]
