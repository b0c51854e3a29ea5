"""Render the grid without Qt or a display: ``equiview render`` and high-resolution exports.

Uses VTK's own off-screen rendering through ``pyvista.Plotter(off_screen=True)`` and the same
:class:`~equiview.viewer.scene.GridScene` the window uses, so both produce the same picture.
"""

from __future__ import annotations

import numpy as np

from equiview.viewer.model.pipeline import Frame
from equiview.viewer.model.snapshot import GRID_SHAPE
from equiview.viewer.pyvista_import import import_pyvista
from equiview.viewer.scene import DEFAULT_STYLE, GridScene, SceneStyle

DEFAULT_RENDER_SIZE = (1200, 900)


def make_offscreen_plotter(size: tuple[int, int], style: SceneStyle = DEFAULT_STYLE):
    import_pyvista()  # without pyplot, which equiview render never uses
    import pyvista as pv

    width, height = int(size[0]), int(size[1])
    plotter = pv.Plotter(
        off_screen=True,
        shape=GRID_SHAPE,
        border=False,  # the scene draws its own view borders; PyVista's seams would stay at the full grid
        window_size=(width, height),
    )
    plotter.ren_win.SetMultiSamples(style.quality_samples)
    return plotter


def render_frame(
    frame: Frame,
    size: tuple[int, int] = DEFAULT_RENDER_SIZE,
    scale: int = 1,
    transparent: bool = False,
    camera: dict | None = None,
    style: SceneStyle = DEFAULT_STYLE,
    text_scale: float = 1.0,
) -> np.ndarray:
    """The grid for ``frame`` as an image of ``size * scale`` pixels (RGB, or RGBA when transparent).

    The render window itself is ``size * scale`` large and all text is scaled with it, so a 2x
    export is a sharp image, not an upsampled one. ``camera`` (see :func:`camera_state`) copies
    a view from the window; without it the camera is fitted like on molecule load. ``text_scale`` is
    the window's own text scale (its device pixel ratio), so that an export looks like the window.
    """
    scale = int(scale)
    if not 1 <= scale <= 4:
        raise ValueError(f"scale must be 1, 2, 3 or 4, got {scale}")
    width, height = int(size[0]), int(size[1])
    if width < 64 or height < 64 or width * scale > 16384 or height * scale > 16384:
        raise ValueError(f"image size {width}x{height} at scale {scale} is outside 64..16384 pixels")
    plotter = make_offscreen_plotter((width * scale, height * scale), style)
    try:
        scene = GridScene(plotter, style=style, font_scale=scale * text_scale)
        scene.update(frame)
        if camera is not None:
            apply_camera_state(scene.camera, camera)
        else:
            scene.fit_camera()
        for view in scene.views.values():
            view.renderer.ResetCameraClippingRange()
        plotter.render()
        return scene.image(scale=1, transparent=transparent)
    finally:
        plotter.close()


def camera_state(camera) -> dict:
    """Position, focal point, view up and parallel scale of a VTK camera."""
    return {
        "position": tuple(camera.GetPosition()),
        "focal_point": tuple(camera.GetFocalPoint()),
        "view_up": tuple(camera.GetViewUp()),
        "parallel_scale": float(camera.GetParallelScale()),
        "parallel": bool(camera.GetParallelProjection()),
        "view_angle": float(camera.GetViewAngle()),
    }


def apply_camera_state(camera, state: dict) -> None:
    camera.SetPosition(*state["position"])
    camera.SetFocalPoint(*state["focal_point"])
    camera.SetViewUp(*state["view_up"])
    camera.SetParallelProjection(bool(state["parallel"]))
    camera.SetParallelScale(state["parallel_scale"])
    camera.SetViewAngle(state["view_angle"])
