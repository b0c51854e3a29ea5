"""Startup of the equiview window to its first rendered frame, next to the bare imports it needs.

Both are measured in fresh processes (wall clock from process launch): ``imports_s`` is
``import torch, PySide6.QtWidgets, pyvista`` and nothing else; ``first_frame_s`` runs what
``equiview gui`` runs (imports, bundled data, models, window) until the grid's first render ends.

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python bench/startup.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

IMPORTS = "import torch, PySide6.QtWidgets, pyvista"

CHILD = r"""
import json, os, sys, time
launched = float(sys.argv[1])
marks = {"python_s": time.time() - launched}
from PySide6.QtCore import QTimer
from viewer.app import create_application, settings_from_env
app = create_application()
from viewer.main_window import MainWindow
from core.data import load_dataset
marks["imports_s"] = time.time() - launched
dataset = load_dataset("bundled")
marks["data_s"] = time.time() - launched
window = MainWindow(dataset, settings=settings_from_env(), restore_geometry=False, persist=False)
marks["window_s"] = time.time() - launched
window.resize(1280, 800)
window.show()

def done(*_args):
    # the first render of the grid after the window is shown: what the user sees first
    if "first_frame_s" in marks:
        return
    marks["first_frame_s"] = time.time() - launched
    print(json.dumps(marks), flush=True)
    QTimer.singleShot(0, window.close)
    QTimer.singleShot(0, app.quit)

window.controller.scene.render_window.AddObserver("EndEvent", done)
QTimer.singleShot(60000, app.quit)
app.exec()
"""


def _reexec_under_xvfb() -> int | None:
    if os.environ.get("DISPLAY") or os.environ.get("EQUIVIEW_BENCH_NO_XVFB"):
        return None
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print(json.dumps({"error": "no DISPLAY and no xvfb-run: the startup benchmark needs a display"}))
        return 1
    env = dict(os.environ, EQUIVIEW_BENCH_NO_XVFB="1")
    return subprocess.run([xvfb, "-a", "-s", "-screen 0 1920x1200x24", sys.executable, *sys.argv], env=env).returncode


def _run(code: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median reported)")
    args = parser.parse_args(argv)
    code = _reexec_under_xvfb()
    if code is not None:
        return code

    env = dict(
        os.environ,
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
        EQUIVIEW_SETTINGS=str(Path(tempfile.mkdtemp(prefix="equiview-bench-")) / "settings.ini"),
    )
    imports, runs = [], []
    for _ in range(args.repeat):
        launched = time.time()
        done = _run(IMPORTS, env=env)
        if done.returncode != 0:
            print(json.dumps({"error": done.stderr.strip()[-500:]}))
            return 1
        imports.append(time.time() - launched)
        done = _run(CHILD, repr(time.time()), env=env)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            print(json.dumps({"error": (done.stderr or "no frame rendered").strip()[-500:]}))
            return 1
        runs.append(json.loads(lines[-1]))

    def median(key: str) -> float:
        return round(float(np.median([run[key] for run in runs])), 3)

    result = {
        "first_frame_s": median("first_frame_s"),
        "imports_s": round(float(np.median(imports)), 3),
        "app_imports_s": median("imports_s"),
        "data_loaded_s": median("data_s"),
        "window_built_s": median("window_s"),
        "runs": len(runs),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
