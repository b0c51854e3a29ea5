"""Spin the molecule about an axis and record the grid as a GIF or MP4, without Qt or a display.

The same path as ``equiview render``: :class:`~viewer.model.pipeline.Pipeline` turns each state into a frame and one
:class:`~viewer.scene.GridScene` in an off-screen plotter draws it. The scene and its actors are built once;
every movie frame only rewrites their arrays and renders once. The camera is fitted on the first frame and
then stays put (spinning about the centroid keeps the molecule inside the fitted view).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkUnsignedCharArray

from core.transforms import E3Transform
from viewer.model.movie_file import MovieCancelled, MovieFile, check_movie_settings
from viewer.model.pipeline import Molecule, Pipeline
from viewer.model.snapshot import Snapshot, TransformParams
from viewer.model.sweep import spun_transform
from viewer.model.sweep_settings import check_axis
from viewer.offscreen import make_offscreen_plotter
from viewer.scene import DEFAULT_STYLE, GridScene

DEFAULT_MOVIE_SIZE = (1280, 800)
MIN_DEGREES, MAX_DEGREES = 1.0, 3600.0


@dataclass(frozen=True)
class MovieSettings:
    """What to record: ``frames`` poses spinning ``degrees`` about ``axis``, played at ``fps``."""

    axis: str = "z"
    frames: int = 72
    fps: int = 24
    degrees: float = 360.0
    size: tuple[int, int] = DEFAULT_MOVIE_SIZE
    scale: int = 1

    @property
    def pixels(self) -> tuple[int, int]:
        return self.size[0] * self.scale, self.size[1] * self.scale

    def check(self, path: str | Path) -> str:
        """The movie format of ``path`` after checking every setting; ``ValueError`` with one line otherwise."""
        check_axis(self.axis)
        if not MIN_DEGREES <= float(self.degrees) <= MAX_DEGREES:
            raise ValueError(f"the spin must cover {MIN_DEGREES:g} to {MAX_DEGREES:g} degrees; got {self.degrees:g}")
        if not 1 <= int(self.scale) <= 4:
            raise ValueError(f"scale must be 1, 2, 3 or 4; got {self.scale}")
        width, height = self.pixels
        if min(self.size) < 64 or max(width, height) > 8192:
            raise ValueError(f"movie size {width}x{height} is outside 64..8192 pixels per side")
        return check_movie_settings(path, self.frames, self.fps, width, height)

    def angles(self) -> list[float]:
        """Angle of every frame in degrees; a full turn leaves out 360° so the movie loops without a repeated frame."""
        return [float(self.degrees) * k / self.frames for k in range(self.frames)]


@dataclass(frozen=True)
class MovieResult:
    out: Path
    frames: int
    fps: int
    width: int
    height: int
    seconds: float  # wall time of the whole export

    def as_json(self) -> dict:
        return {
            "out": str(self.out),
            "frames": self.frames,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "seconds": round(self.seconds, 3),
        }


def spun_params(molecule: Molecule, params: TransformParams, axis: str, angle: float) -> TransformParams:
    """Slider values of the current element turned by ``angle`` degrees about ``axis`` through the moved centroid."""
    centre = molecule.centre
    base = E3Transform.from_view(params.rx, params.ry, params.rz, params.translation, params.reflect, center=centre)
    view = spun_transform(axis, angle, base, centre).to_view(center=centre)
    rx, ry, rz, tx, ty, tz = (_clean(v) for v in (view.rx, view.ry, view.rz, *view.translation))
    return TransformParams(rx, ry, rz, tx, ty, tz, view.reflect)


def _clean(value: float) -> float:
    """Drop float64 rounding noise (1e-16 Å shifts, -0.0) that would show up in the titles."""
    return round(float(value), 9) + 0.0


def read_window(render_window) -> np.ndarray:
    """The last rendered picture as RGB ``uint8 [h, w, 3]``, top row first: a plain read of the front buffer.

    The same pixels as :meth:`GridScene.image`, which goes through pyvista's screenshot and costs a second
    render per frame; a movie renders each frame exactly once.
    """
    width, height = render_window.GetSize()
    pixels = vtkUnsignedCharArray()
    render_window.GetPixelData(0, 0, width - 1, height - 1, 1, pixels, 0)
    return vtk_to_numpy(pixels).reshape(height, width, 3)[::-1]


def movie_snapshots(pipeline: Pipeline, snapshot: Snapshot, settings: MovieSettings) -> list[Snapshot]:
    molecule = pipeline.molecule(snapshot.molecule)
    return [
        replace(snapshot, transform=spun_params(molecule, snapshot.transform, settings.axis, angle))
        for angle in settings.angles()
    ]


def record_movie(
    pipeline: Pipeline,
    snapshot: Snapshot,
    path: str | Path,
    settings: MovieSettings,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> MovieResult:
    """Render ``settings.frames`` spinning poses of ``snapshot`` into the movie ``path``.

    ``progress(done, total)`` is called after every frame; when ``cancelled()`` turns true the export
    stops with :class:`~viewer.model.movie_file.MovieCancelled` and no file is left behind.
    """
    started = time.perf_counter()
    target = Path(path)
    settings.check(target)
    width, height = settings.pixels
    snapshots = movie_snapshots(pipeline, snapshot, settings)
    with MovieFile(target, settings.frames, settings.fps, width, height) as movie:
        plotter = make_offscreen_plotter((width, height), DEFAULT_STYLE)
        try:
            scene = GridScene(plotter, style=DEFAULT_STYLE, font_scale=settings.scale)
            for done, state in enumerate(snapshots, start=1):
                if cancelled is not None and cancelled():
                    raise MovieCancelled(f"movie export cancelled after {done - 1} of {settings.frames} frames")
                scene.update(pipeline.frame(state))  # arrays only; the camera is fitted on the first frame
                for view in scene.views.values():
                    view.renderer.ResetCameraClippingRange()
                if done == 1:
                    movie.append(scene.image())  # pyvista renders an off-screen plotter only once it has been shown
                else:
                    scene.render()  # the frame's one render
                    movie.append(read_window(scene.render_window))
                if progress is not None:
                    progress(done, settings.frames)
            movie.finish()
        finally:
            plotter.close()
    return MovieResult(target, settings.frames, settings.fps, width, height, time.perf_counter() - started)
