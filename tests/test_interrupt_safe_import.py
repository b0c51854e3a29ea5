"""Ctrl+C during a guarded package's import is held until the import is complete, then raised."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = """
import signal, sys
sys.path.insert(0, {folder!r})
signal.signal(signal.SIGINT, signal.default_int_handler)
import equiview.core.interrupt_safe_import as guard
guard.GUARDED_PACKAGES = ("slowpkg",)
if {guarded}:
    guard.hold_interrupts_while_importing()
try:
    import slowpkg
    print("imported")
except KeyboardInterrupt:
    print("interrupted", "slowpkg" in sys.modules)
"""

PACKAGE = """
import os, signal, time
os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C in the middle of the package's import
for _ in range(100):
    time.sleep(0.001)  # Python code runs on: an unguarded import is interrupted here
open({marker!r}, "w").close()  # the import ran to its end
"""


def run(tmp_path, guarded: bool) -> tuple[str, bool]:
    marker = tmp_path / f"finished-{guarded}"
    package = tmp_path / "slowpkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text(textwrap.dedent(PACKAGE.format(marker=str(marker))))
    script = SCRIPT.format(folder=str(tmp_path), guarded=guarded)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip(), marker.exists()


def test_ctrl_c_during_a_guarded_import_comes_after_it(tmp_path):
    # guarded: the import runs to its end, then KeyboardInterrupt (the half-imported module is not kept)
    assert run(tmp_path, guarded=True) == ("interrupted False", True)
    # unguarded (what C++ extensions would see): interrupted in the middle
    assert run(tmp_path, guarded=False) == ("interrupted False", False)


def test_the_guard_is_installed_once_and_only_while_needed():
    import torch

    import equiview.core.interrupt_safe_import as guard

    assert torch.__name__ in sys.modules
    before = list(sys.meta_path)
    guard.hold_interrupts_while_importing()  # torch is imported in this process already: nothing to guard
    guard.hold_interrupts_while_importing()
    assert sys.meta_path == before
