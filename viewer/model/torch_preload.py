"""Map PyTorch's shared libraries into the process without holding Python's interpreter lock.

Importing torch spends ~0.5 s in ``dlopen`` of ``libtorch_cpu.so`` with the GIL held: no other
Python thread runs meanwhile. ``dlopen`` called through ctypes (a foreign call, which releases the
GIL) does the same mapping while other threads go on; the import that follows finds the libraries
loaded. The window's model loader and ``equiview render`` (which imports VTK meanwhile) use it.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from pathlib import Path

# in dependency order: each one's needs are loaded when it is mapped
_TORCH_LIBRARIES = ("lib/libc10.so", "lib/libtorch_cpu.so", "lib/libtorch.so", "lib/libtorch_python.so")


def preload_torch_libraries() -> None:
    """``dlopen`` torch's big shared libraries without holding the GIL (Linux; elsewhere nothing)."""
    if not sys.platform.startswith("linux") or "torch" in sys.modules:
        return
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return
    root = Path(next(iter(spec.submodule_search_locations)))
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    for name in _TORCH_LIBRARIES:
        path = root / name
        if path.is_file():
            dlopen(str(path).encode(), os.RTLD_NOW | os.RTLD_LOCAL)  # a foreign call: the GIL is released
