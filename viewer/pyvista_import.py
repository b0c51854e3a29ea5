"""Import PyVista fast: without matplotlib's pyplot, and before Qt.

PyVista imports ``matplotlib.pyplot`` when it is imported (``pyvista/plotting/colors.py``), for a colour
cycle the viewer never asks for; pyplot brings figures, axes and backend machinery with it, a quarter of a
second on the way to the window's first frame (and to ``equiview render``'s image). A module deferred here
is a placeholder in ``sys.modules`` until an attribute is read from it; then the real module is imported
and every attribute is read from that. ``importlib.util.LazyLoader`` cannot do this on Python 3.11: the
``import`` statement itself reads the placeholder's ``__spec__`` and so loads it at once.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

_LOCK = threading.RLock()  # re-entrant: the real import may itself read the placeholder


class DeferredModule(types.ModuleType):
    """Stands in for a module until the first attribute is read from it."""

    def __getattr__(self, attribute: str):
        # only called for attributes the placeholder lacks (its own __name__, __file__, __spec__ = None are
        # found); other dunders are what tools that walk sys.modules probe for (PySide6's signature module
        # does, while the window is built): a module without them, not a reason to load
        if attribute.startswith("__") and attribute.endswith("__") and attribute != "__all__":
            raise AttributeError(attribute)
        return getattr(self.load(), attribute)

    def load(self) -> types.ModuleType:
        """The real module, imported on the first call."""
        with _LOCK:
            real = self.__dict__.get("_real_module")
            if real is None:
                name = self.__name__
                if sys.modules.get(name) is self:
                    del sys.modules[name]
                real = importlib.import_module(name)
                self.__dict__["_real_module"] = real
        return real


def defer_import(name: str) -> None:
    """Put a placeholder for ``name`` into ``sys.modules`` unless the module is already imported."""
    if name in sys.modules:
        return
    parent, _, _child = name.rpartition(".")
    if parent:
        importlib.import_module(parent)  # the parent is imported for real (matplotlib's colormaps are used)
    spec = importlib.util.find_spec(name)  # finds the file, runs nothing
    if spec is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    placeholder = DeferredModule(name)
    placeholder.__file__ = spec.origin
    sys.modules[name] = placeholder


def import_pyvista() -> None:
    """Import PyVista's plotting modules without pyplot, before Qt if Qt is not imported yet.

    PySide6 wraps the import statement and inspects every module imported after it (their source, for
    its ``__feature__`` switch): PyVista's hundreds of modules, imported first, skip that (~0.1 s).
    """
    defer_import("matplotlib.pyplot")
    importlib.import_module("pyvista.plotting")  # PyVista loads its plotting modules lazily: now, before Qt
