"""Files under ``resources/``: the application icon and the Qt style sheet."""

from __future__ import annotations

from pathlib import Path

RESOURCE_DIR = Path(__file__).resolve().parent.parent / "resources"


def resource_path(name: str) -> Path:
    return RESOURCE_DIR / name


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
