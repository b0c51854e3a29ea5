"""Helpers shared by the viewer tests: isolated settings, a real main window, an off-screen scene, PNG reading.

tests/conftest.py loads this module as a plugin, so its fixtures serve every test module; import the helpers by
name. GUI tests need an X display (the project runs pytest under ``xvfb-run``); without one they are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

requires_display = pytest.mark.skipif(
    not os.environ.get("DISPLAY"), reason="needs an X display with OpenGL (run pytest under xvfb-run)"
)


def read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return np.asarray(image)


def is_blank(image: np.ndarray) -> bool:
    """True when the picture is one flat colour (nothing drawn)."""
    rgb = image[..., :3].reshape(-1, 3).astype(np.int16)
    return bool(np.abs(rgb - rgb[0]).max() < 8)


def run_python(
    script: str, *args: str, env: dict | None = None, timeout: float = 240, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """``python -c SCRIPT ARGS`` in a fresh interpreter on one thread, in the repository unless ``cwd`` is given.

    ``env`` adds to this process's environment; a name given as None is removed.
    """
    full_env = dict(os.environ, OMP_NUM_THREADS="1")
    if env:
        full_env.update(env)
    for key, value in list(full_env.items()):
        if value is None:
            del full_env[key]
    command = [sys.executable, "-c", script, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd or ROOT)


def run_equiview(
    *args: str, env: dict | None = None, timeout: float = 240, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """``equiview ARGS`` in a subprocess (the installed console script's entry point)."""
    entry = "import sys; from equiview.viewer.cli import main; sys.exit(main(sys.argv[1:]))"
    return run_python(entry, *args, env=env, timeout=timeout, cwd=cwd)


@pytest.fixture
def settings(tmp_path):
    """A QSettings in a temporary INI file: tests never touch the user's settings."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "equiview-test.ini"), QSettings.Format.IniFormat)


def wait_for_frame(qtbot, window, timeout: int = 10000) -> None:
    """Wait until the last state change has been rendered."""
    qtbot.waitUntil(lambda: window.controller._pending is None, timeout=timeout)


def make_window(qtbot, dataset, settings, snapshot=None, size=(1280, 800)):
    from equiview.viewer.app import create_application
    from equiview.viewer.model.snapshot import Snapshot

    create_application()
    from equiview.viewer.main_window import MainWindow

    window = MainWindow(dataset, settings=settings, initial=snapshot or Snapshot(), restore_geometry=False)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    wait_for_frame(qtbot, window)
    return window


def close_window(window) -> None:
    from equiview.viewer.app import drain_events

    if not window._closed:
        for box in (window.error_box,):
            if box is not None:
                box.close()
        window.close()
    drain_events()


def window_loading_models(dataset, settings):
    """A main window, not shown yet, that draws the input row at once and loads its models on a background thread.

    Close it with ``window.loader.wait(60)`` then :func:`close_window`.
    """
    from equiview.viewer.app import create_application
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.molecules import MoleculeTable

    create_application()
    from equiview.viewer.main_window import MainWindow

    return MainWindow(
        MoleculeTable.from_dataset(dataset),
        settings=settings,
        library=ModelLibrary(ready=False),
        restore_geometry=False,
        load_models_in_background=True,
    )


def drop_file(qtbot, window, path: Path) -> None:
    """Drop ``path`` on the window as a file manager would, and wait for the frame it leads to."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    wait_for_frame(qtbot, window)


@pytest.fixture
def window(qtbot, dataset, settings):
    """The real main window on gdb_814 with the untrained demo models (seed 0), 1280x800."""
    window = make_window(qtbot, dataset, settings)
    yield window
    close_window(window)


def settle(qtbot, window) -> None:
    """Wait for the settle timer (multisampling and labels back on) and the frame it renders."""
    qtbot.waitUntil(lambda: not window.controller.scene.fast and not window.state.interacting, timeout=10000)
    wait_for_frame(qtbot, window)


@pytest.fixture(scope="module")
def pipeline(dataset):
    """The viewer's pipeline on the bundled molecules, one per test module (it caches models and frames)."""
    from equiview.viewer.model.pipeline import Pipeline

    return Pipeline(dataset)


@pytest.fixture
def offscreen_scene(request):
    """The grid scene on an off-screen plotter of the test module's ``SCENE_SIZE`` (900x700 unless it sets one)."""
    from equiview.viewer.offscreen import make_offscreen_plotter
    from equiview.viewer.scene import GridScene

    plotter = make_offscreen_plotter(getattr(request.module, "SCENE_SIZE", (900, 700)))
    scene = GridScene(plotter)
    yield scene
    plotter.close()
