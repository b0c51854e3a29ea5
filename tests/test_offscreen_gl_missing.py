"""``equiview render`` and ``movie`` where off-screen OpenGL is missing or broken: one line and exit 2, never a signal.

The library is really gone, not pretended away: each command runs in its own mount namespace (``unshare``) in
which an empty file is bind-mounted over every libOSMesa on the machine, so VTK's own ``dlopen`` fails exactly as on
a machine without the ``libosmesa6`` package (where VTK 9.7 warns "libOSMesa not found" and segfaults, exit 139).
The second failure is a real driver one: Mesa told to offer only OpenGL 2.1 (VTK needs 3.2; it segfaults too).
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="OSMesa and mount namespaces: Linux")

EQUIVIEW = [sys.executable, "-m", "equiview"]


def osmesa_files() -> list[str]:
    """Every libOSMesa file the dynamic loader could find (the real files behind the soname links)."""
    paths = []
    listed = (
        subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout if shutil.which("ldconfig") else ""
    )
    paths += [line.rsplit("=> ", 1)[-1].strip() for line in listed.splitlines() if "libOSMesa" in line]
    folders = ["/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib64", *glob.glob("/usr/lib/*-linux-gnu*")]
    folders += [folder for folder in os.environ.get("LD_LIBRARY_PATH", "").split(":") if folder]
    for folder in folders:
        paths += glob.glob(f"{folder}/libOSMesa.so*")
    return sorted({os.path.realpath(path) for path in paths if os.path.isfile(path)})


def unshare_prefix() -> list[str]:
    """``unshare`` with a private mount namespace (as root; otherwise inside a user namespace), or skip."""
    if shutil.which("unshare") is None:
        pytest.skip("needs util-linux's unshare to hide libOSMesa")
    prefix = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("no mount namespace here (unshare --mount failed)")
    return prefix


def run_without_osmesa(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    """Run ``args`` without a display, with every libOSMesa replaced by an empty file for that process alone."""
    hidden = osmesa_files()
    empty = tmp_path / "empty.so"
    empty.write_bytes(b"")
    # first prove that dlopen now fails for every name VTK could ask for, then run the command in that namespace
    still_loads = (
        "import ctypes, sys\n"
        "for name in ['libOSMesa.so.8', 'libOSMesa.so.6', 'libOSMesa.so', *sys.argv[1:]]:\n"
        "    try:\n"
        "        ctypes.CDLL(name)\n"
        "    except OSError:\n"
        "        continue\n"
        "    sys.exit(98)\n"
    )
    wrapper = tmp_path / "hide_osmesa.sh"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for f in "$@"; do [ "$f" = -- ] && break; mount --bind "$EMPTY" "$f" || exit 97; done\n'
        f"{shlex.quote(sys.executable)} -c {shlex.quote(still_loads)} {' '.join(map(shlex.quote, hidden))} || exit 98\n"
        'while [ "$1" != -- ]; do shift; done; shift\n'
        'exec "$@"\n'
    )
    wrapper.chmod(0o755)
    env = {name: value for name, value in os.environ.items() if name not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["EMPTY"] = str(empty)
    done = subprocess.run(
        [*unshare_prefix(), str(wrapper), *hidden, "--", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode not in (97, 98), f"could not hide libOSMesa ({done.returncode}): {done.stderr[-500:]}"
    return done


def assert_one_line_exit_2(done: subprocess.CompletedProcess, *words: str) -> str:
    assert done.returncode == 2, f"exit {done.returncode} (negative: a signal), stderr: {done.stderr[-2000:]}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {done.stderr}"
    assert lines[0].startswith("equiview: error: ")
    for word in words:
        assert word in lines[0]
    assert done.stdout == ""
    return lines[0]


def test_render_without_display_or_osmesa_is_one_line_and_exit_2(tmp_path):
    out = tmp_path / "grid.png"
    done = run_without_osmesa([*EQUIVIEW, "render", "--out", str(out)], tmp_path)
    line = assert_one_line_exit_2(done, "libOSMesa not found", "DISPLAY is not set", "libosmesa6")
    assert "xvfb-run" in line
    assert not out.exists()


def test_movie_without_display_or_osmesa_is_one_line_and_exit_2(tmp_path):
    out = tmp_path / "spin.gif"
    done = run_without_osmesa([*EQUIVIEW, "movie", "--out", str(out), "--frames", "4"], tmp_path)
    assert_one_line_exit_2(done, "libOSMesa not found", "libosmesa6")
    assert not out.exists()


def test_render_with_an_opengl_too_old_for_vtk_is_one_line_and_exit_2(tmp_path):
    """Mesa offering OpenGL 2.1 only: VTK warns it needs 3.2 and segfaults; the command names the reason."""
    env = {name: value for name, value in os.environ.items() if name not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["MESA_GL_VERSION_OVERRIDE"] = "2.1"
    out = tmp_path / "grid.png"
    done = subprocess.run(
        [*EQUIVIEW, "render", "--out", str(out)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert_one_line_exit_2(done, "OpenGL 3.2", "SIGSEGV")
    assert not out.exists()


def test_probe_reads_vtk_messages():
    from equiview.viewer.gl_check import problem_from_probe

    warn = "\x1b[33m2026-12-07 18:42:16.874 (   1.758s) [    7FA11BFBEB80]vtkXOpenGLRenderWindow.:1452   WARN| "
    assert problem_from_probe(0, "") is None
    assert problem_from_probe(0, warn + "bad X server connection. DISPLAY=:9\x1b[0m\n") is None  # VTK fell back
    assert "libOSMesa not found" in problem_from_probe(-11, warn + "libOSMesa not found. It appears ...\n")
    error = warn.replace("WARN|", "ERR|") + "vtkOSOpenGLRenderWindow (0x55d0): failed call to OSMesaMakeCurrent\n"
    assert "reported an error: failed call to OSMesaMakeCurrent;" in problem_from_probe(0, error)
    assert "crashed (SIGABRT)" in problem_from_probe(-6, "")
