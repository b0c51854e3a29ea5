"""Start the Qt application: ``equiview gui`` and the tests share :func:`create_application`."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication

from equiview.viewer.resources import app_icon, stylesheet

ORGANIZATION = "equiview"
APPLICATION = "equiview"
SETTINGS_ENV = "EQUIVIEW_SETTINGS"
"""Path of an INI file to use instead of the platform's settings store (tests, kiosks)."""


def qt_platform_for_vtk(platform: str, environ: Mapping[str, str]) -> str | None:
    """The Qt platform plugin to ask for so that the 3D grid can be embedded, or None to leave Qt's choice.

    The grid is a native child window that VTK draws into through X11 (pyvistaqt 0.12). On a Wayland session Qt's
    wayland plugin would hand VTK a window id that X does not know ("BadWindow"); through XWayland (``DISPLAY``
    set) the xcb plugin embeds it. Windows and macOS embed natively; a user's own ``QT_QPA_PLATFORM`` is kept.
    """
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) or environ.get("QT_QPA_PLATFORM"):
        return None
    wayland = bool(environ.get("WAYLAND_DISPLAY")) or environ.get("XDG_SESSION_TYPE") == "wayland"
    return "xcb" if wayland and environ.get("DISPLAY") else None


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once), with names, icon and style sheet set."""
    app = QApplication.instance()
    if app is None:
        platform = qt_platform_for_vtk(sys.platform, os.environ)
        if platform is not None:
            os.environ["QT_QPA_PLATFORM"] = platform
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app.setWindowIcon(app_icon())
    app.setStyleSheet(stylesheet())
    return app


def settings_from_env() -> QSettings:
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(str(Path(path).expanduser()), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def drain_events() -> None:
    """Process pending events including deferred deletes (as pyvistaqt's own tests do)."""
    QApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()


def _save_window_png(window, path) -> tuple[bool, str]:
    """Grab the whole window as PNG into ``path`` atomically; (ok, message)."""
    from PySide6.QtCore import QBuffer, QIODevice

    from equiview.core.atomic import write_bytes_atomically

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not window.window_image().save(buffer, "PNG"):
        return False, f"cannot encode the window as PNG for {path}"
    try:
        write_bytes_atomically(path, bytes(buffer.data()))
    except OSError as error:
        return False, f"cannot write {path}: {error.strerror or error}"
    return True, window.last_error


def run_gui(
    dataset,
    library,
    snapshot=None,
    *,
    size: tuple[int, int] | None = None,
    screenshot: str | None = None,
    scale: int = 1,
    transparent: bool = False,
    full_window: bool = False,
    background: bool = False,
    present: bool = False,
) -> int:
    """Open the window; with ``screenshot`` write the PNG of the grid (or the whole window) and exit (0, or 2)."""
    started = time.perf_counter()
    app = create_application()
    from equiview.viewer.main_window import MainWindow

    headless = screenshot is not None
    window = MainWindow(
        dataset,
        settings=settings_from_env(),
        library=library,
        initial=snapshot,
        restore_geometry=size is None and not headless,
        persist=not headless,
        load_models_in_background=background and not headless,
    )
    window.show()
    if size is not None:
        window.resize_grid(*size)
    if present:  # F5's presentation mode from the start (gui --present)
        window.set_presentation(True)
    drain_events()
    if not headless:  # the first frame is on screen: nothing to redraw before the event loop
        ready = "loading models…" if not library.ready else "ready"
        window.statusBar().showMessage(f"Window in {time.perf_counter() - started:.1f} s, {ready}", 5000)
        return int(app.exec())
    window.controller.refresh()  # the grid at its final size for the image
    if full_window:  # window_image renders the grid's still frame itself
        drain_events()
        ok, message = _save_window_png(window, screenshot)
    else:
        ok = window.export_screenshot(screenshot, scale=scale, transparent=transparent)
        message = window.last_error
    window.close()
    drain_events()
    if not ok:
        print(f"equiview: error: {message}", file=sys.stderr)
        return 2
    return 0
