"""The application icon and the Qt style sheet (``resources/`` in the repository, found through ``equiview.core.assets``)."""

from __future__ import annotations

from equiview.core.assets import resource_path


def app_icon():
    """The equiview icon (SVG, with the PNG as a fallback for platforms without the SVG plugin)."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for name in ("equiview.svg", "equiview.png"):
        path = resource_path(name)
        if path.is_file():
            icon.addFile(str(path))
    return icon


def stylesheet() -> str:
    path = resource_path("style.qss")
    return path.read_text(encoding="utf-8") if path.is_file() else ""
