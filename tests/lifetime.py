"""What a closed window must not leave behind: the check behind the autouse ``check_gc`` fixture.

Like pyvistaqt's own ``check_gc`` fixture: after a test (its fixtures torn down, Qt's deferred
deletes run, ``gc.collect()``) report the tracked objects it created that are still alive, with what
still refers to them. Instead of listing every object before the test, :func:`start` moves them all
to the collector's permanent generation (``gc.freeze``), so only the test's own objects are looked at
afterwards; :func:`survivors` gives the old ones back to the collector.
"""

from __future__ import annotations

import gc
import inspect

TRACKED_CLASSES = ("MainWindow", "GridScene", "SceneController", "ViewState", "View")
"""The viewer's own objects that must die with their window (besides every VTK object)."""


def _vtk_base():
    try:
        from vtkmodules.vtkCommonCore import vtkObjectBase
    except ImportError:  # VTK not imported yet: nothing of it can be alive
        return None
    return vtkObjectBase


def is_tracked(obj: object, vtk_base=None) -> bool:
    cls = type(obj)  # not obj.__class__: some module objects warn when it is read
    if vtk_base is not None and issubclass(cls, vtk_base):
        return True
    return cls.__name__ in TRACKED_CLASSES and cls.__module__.startswith("equiview.viewer.")


def start() -> None:
    """Hide every object alive now from the collector until :func:`survivors` (they are not the test's)."""
    gc.freeze()


def drain_qt_events() -> None:
    """Run Qt's pending events and deferred deletes, when a QApplication exists."""
    import sys

    if "PySide6" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    app = QCoreApplication.instance()
    if app is None:
        return
    for _ in range(2):
        app.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def live_objects() -> list[object]:
    """Tracked objects created since :func:`start` that are still alive (after deferred deletes and gc)."""
    drain_qt_events()
    gc.collect()
    vtk_base = _vtk_base()
    return [obj for obj in gc.get_objects() if is_tracked(obj, vtk_base)]


def survivors() -> list[object]:
    """:func:`live_objects`, then give the objects hidden by :func:`start` back to the collector."""
    try:
        return live_objects()
    finally:
        gc.unfreeze()


def describe_survivors(objects: list[object], limit: int = 12) -> str:
    """One line per surviving object (the first ``limit``) with a short description of its referrers."""
    lines = [f"{len(objects)} object(s) outlived the test:"]
    frame = inspect.currentframe()
    for obj in objects[:limit]:
        referrers = []
        for referrer in gc.get_referrers(obj):
            if referrer is objects or referrer is frame:
                continue
            if isinstance(referrer, dict):
                keys = [key for key, value in referrer.items() if value is obj]
                referrers.append(f"dict[{keys[0]!r}]" if keys else f"dict(len={len(referrer)})")
            else:
                referrers.append(type(referrer).__name__)
        lines.append(f"  {type(obj).__module__}.{type(obj).__name__}: referred to by {', '.join(referrers[:6])}")
    del frame
    return "\n".join(lines)
