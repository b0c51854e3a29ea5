"""Ctrl+C while PyTorch is being imported is held until the import is complete.

PyTorch's C++ extension modules call back into Python while they initialise; a KeyboardInterrupt raised
in such a callback can end in ``std::terminate``: the process aborts with a core dump instead of saying
"equiview: interrupted". While a guarded package's top-level module runs, SIGINT is only recorded;
when it has finished, a recorded Ctrl+C raises KeyboardInterrupt as usual.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import signal
import sys
import threading

GUARDED_PACKAGES = ("torch",)


class _HoldInterruptsWhileImporting(importlib.abc.MetaPathFinder):
    """Finds nothing itself: it wraps the loader of a guarded package imported on the main thread."""

    def find_spec(self, name, path=None, target=None):
        if name not in GUARDED_PACKAGES or threading.current_thread() is not threading.main_thread():
            return None  # signal handlers can only be changed on the main thread
        sys.meta_path.remove(self)  # the package is imported once; let the other finders find it
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module) -> None:
            held: list[int] = []
            previous = signal.signal(signal.SIGINT, lambda number, _frame: held.append(number))
            try:
                run_module(module)
            finally:
                signal.signal(signal.SIGINT, previous)
            if held:
                raise KeyboardInterrupt

        spec.loader.exec_module = exec_module
        return spec


def hold_interrupts_while_importing() -> None:
    """Guard the next import of each of :data:`GUARDED_PACKAGES` on the main thread (no-op once imported)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if any(isinstance(finder, _HoldInterruptsWhileImporting) for finder in sys.meta_path):
        return
    if all(name in sys.modules for name in GUARDED_PACKAGES):
        return
    sys.meta_path.insert(0, _HoldInterruptsWhileImporting())
