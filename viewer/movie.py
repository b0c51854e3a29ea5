"""Spin the molecule about an axis and record the grid as a GIF or MP4, without Qt or a display.

The same path as ``equiview render``: :class:`~equiview.viewer.model.pipeline.Pipeline` turns each state into a frame and one
:class:`~equiview.viewer.scene.GridScene` in an off-screen plotter draws it. The scene and its actors are built once;
every movie frame only rewrites their arrays and renders once. The camera is fitted on the first frame and
then stays put (spinning about the centroid keeps the molecule inside the fitted view). A GIF first renders
``PALETTE_SAMPLE_FRAMES`` evenly spaced poses for its one palette, then streams every frame to the file: memory
holds one frame, whatever the frame count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkUnsignedCharArray

from equiview.viewer.model.movie_file import PALETTE_SAMPLE_FRAMES, MovieCancelled, MovieFile
from equiview.viewer.model.movie_settings import MovieResult, MovieSettings
from equiview.viewer.model.pipeline import Pipeline
from equiview.viewer.model.snapshot import Snapshot
from equiview.viewer.model.spin import Spin
from equiview.viewer.offscreen import apply_camera_state, make_offscreen_plotter
from equiview.viewer.scene import DEFAULT_STYLE, GridScene


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
    spin = Spin(snapshot, settings.axis)
    return [spin.snapshot_at(pipeline, angle) for angle in settings.angles()]


def record_movie(
    pipeline: Pipeline,
    snapshot: Snapshot,
    path: str | Path,
    settings: MovieSettings,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    camera: dict | None = None,
) -> MovieResult:
    """Render ``settings.frames`` spinning poses of ``snapshot`` into the movie ``path``.

    ``progress(done, total)`` is called after every frame; when ``cancelled()`` turns true the export
    stops with :class:`~equiview.viewer.model.movie_file.MovieCancelled` and no file is left behind. ``camera``
    (see :func:`equiview.viewer.offscreen.camera_state`) keeps the window's view; without it the camera is fitted.
    """
    started = time.perf_counter()
    target = Path(path)
    settings.check(target)
    width, height = settings.pixels
    snapshots = movie_snapshots(pipeline, snapshot, settings)
    # VTK loads modules while the plotter is built: the output's temporary file is opened afterwards, so a SIGTERM
    # or SIGHUP (raised as an exception) cannot land inside an import, where VTK turns it into an ImportError
    plotter = make_offscreen_plotter((width, height), DEFAULT_STYLE)
    try:
        scene = GridScene(plotter, style=DEFAULT_STYLE, font_scale=settings.scale)
        with MovieFile(target, settings.frames, settings.fps, width, height) as movie:
            rendered = 0

            def render(state: Snapshot) -> np.ndarray:
                nonlocal rendered
                scene.update(pipeline.frame(state))  # arrays only; the camera is fitted on the first frame
                if rendered == 0 and camera is not None:
                    apply_camera_state(scene.camera, camera)
                for view in scene.views.values():
                    view.renderer.ResetCameraClippingRange()
                rendered += 1
                if rendered == 1:
                    return scene.image()  # pyvista renders an off-screen plotter only once it has been shown
                scene.render()  # the frame's one render
                return read_window(scene.render_window)

            if movie.format == ".gif":  # the palette from a few evenly spaced poses, so frames stream one by one
                picks = np.unique(np.linspace(0, len(snapshots) - 1, PALETTE_SAMPLE_FRAMES).round().astype(int))
                movie.set_palette(render(snapshots[k]) for k in picks)
            for done, state in enumerate(snapshots, start=1):
                if cancelled is not None and cancelled():
                    raise MovieCancelled(f"movie export cancelled after {done - 1} of {settings.frames} frames")
                movie.append(render(state))
                if progress is not None:
                    progress(done, settings.frames)
            movie.finish()
    finally:
        plotter.close()
    return MovieResult(target, settings.frames, settings.fps, width, height, time.perf_counter() - started)
