"""Check in a child process that VTK can draw off-screen here, before ``render`` or ``movie`` draws in this one.

VTK does not fail politely: without a display and without libOSMesa it warns "libOSMesa not found" and then
calls through a null pointer (a segmentation fault, exit 139); a driver older than OpenGL 3.2 ends the same way.
A child process that renders one tiny frame takes that fall instead, and the command exits 2 with one line saying
what is missing. The child starts before the command's imports and model loading and runs beside them (~0.5 s
of the second core), so the check costs little wall time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import weakref

from equiview.core.errors import CommandError

PROBE_TIMEOUT_S = 60.0

# the same render window class PyVista's off-screen plotter gets (VTK picks it from the environment)
_PROBE_SCRIPT = """
from vtkmodules.vtkCommonCore import vtkUnsignedCharArray
from vtkmodules.vtkRenderingCore import vtkRenderWindow, vtkRenderer
import vtkmodules.vtkRenderingOpenGL2
window = vtkRenderWindow()
window.SetOffScreenRendering(1)
window.SetSize(8, 8)
window.AddRenderer(vtkRenderer())
window.Render()
window.GetPixelData(0, 0, 7, 7, 1, vtkUnsignedCharArray(), 0)
window.Finalize()
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class OffscreenGLCheck:
    """A running check; :meth:`result` waits for it and raises :class:`CommandError` when drawing would fail."""

    def __init__(self) -> None:
        # the child inherits this environment: DISPLAY and VTK_DEFAULT_OPENGL_WINDOW pick the same path as ours
        self._process = subprocess.Popen(
            [sys.executable, "-c", _PROBE_SCRIPT],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # a command that fails before it asks (a bad option, an unknown molecule) leaves no child behind
        weakref.finalize(self, _stop, self._process)

    def result(self) -> None:
        try:
            _, err = self._process.communicate(timeout=PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            raise CommandError(
                f"off-screen OpenGL ({_display_note()}): VTK's test render did not finish in "
                f"{PROBE_TIMEOUT_S:.0f} s; {_DRIVER_ADVICE}"
            ) from None
        problem = problem_from_probe(self._process.returncode, err.decode(errors="replace"))
        if problem is not None:
            raise CommandError(problem)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate()


_OSMESA_ADVICE = (
    "install Mesa's OSMesa (Debian/Ubuntu: apt-get install libosmesa6, or make system-deps) "
    "or give it a display (xvfb-run -a equiview ...)"
)
_DRIVER_ADVICE = (
    "it needs OpenGL 3.2 or later (Debian/Ubuntu: apt-get install libosmesa6 libgl1-mesa-dri, or make "
    "system-deps) or a working display (xvfb-run -a equiview ...)"
)


def problem_from_probe(returncode: int, stderr: str) -> str | None:
    """One line saying why off-screen drawing fails, from the probe's exit code and VTK's messages; None if it works."""
    messages = [_vtk_message(line) for line in _ANSI.sub("", stderr).splitlines()]
    errors = [text for level, text in messages if level == "ERR"]
    if returncode == 0 and not errors:
        return None  # warnings alone (an X display VTK could not open, then EGL or OSMesa instead) are not fatal
    texts = [text for _level, text in messages if text]
    if any("libOSMesa not found" in text for text in texts):
        return f"off-screen OpenGL: libOSMesa not found and {_display_note()}; {_OSMESA_ADVICE}"
    if returncode < 0:
        how = f"crashed ({signal.Signals(-returncode).name})" if -returncode in signal.valid_signals() else "crashed"
    elif returncode:
        how = f"failed (exit {returncode})"
    else:
        how = "reported an error"
    said = f": {_first_sentence((errors or texts)[-1])}" if texts else ""
    return f"off-screen OpenGL ({_display_note()}): VTK's test render {how}{said}; {_DRIVER_ADVICE}"


def _vtk_message(line: str) -> tuple[str, str]:
    """(level, text) of a VTK log line ``2026-... vtkClass.cxx:150   WARN| text``; a plain line is ('', line)."""
    head, bar, text = line.partition("| ")
    if bar and head.split() and head.split()[-1] in ("WARN", "ERR", "INFO"):
        return head.split()[-1], text.strip()
    return "", line.strip()


def _first_sentence(text: str) -> str:
    text = re.sub(r"^vtk\w+ \(0x[0-9a-f]+\): ", "", text)  # "vtkOSOpenGLRenderWindow (0x55...): " says nothing
    sentence = text.split(". ", 1)[0].rstrip(".")
    return sentence[:200]


def _display_note() -> str:
    display = os.environ.get("DISPLAY")
    return f"DISPLAY={display}" if display else "DISPLAY is not set"
