"""Start-up of equiview, measured in one run next to the bare imports it is compared with.

Every number is wall clock from process launch, in fresh processes, the median of ``--repeat`` runs
(the measurements take turns, so they share the machine's load):

* ``imports_s``: ``import torch, PySide6.QtWidgets, pyvista`` and nothing else (the yardstick);
* ``first_frame_s``: ``equiview gui`` until the grid's first frame is on screen (VTK's render done and
  the native window swapped its first frame: input row drawn, model rows saying "loading models…"); goal <= 2.0 s and
  <= ``imports_s``;
* ``models_shown_s``: until the first frame with both model rows is on screen; goal <= 4 s;
* ``max_stall_ms``: the longest the interface thread did not run between the first frame and the
  models shown (a 5 ms timer measures it); goal <= 100 ms;
* ``render_s``: ``equiview render --out FILE.png`` of the default image; goal <= 3 s;
* ``help_s``: ``equiview --help``; goal < 0.2 s.

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python bench/startup.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

IMPORTS = "import torch, PySide6.QtWidgets, pyvista"
GOALS = {"first_frame_s": 2.0, "models_shown_s": 4.0, "max_stall_ms": 100.0, "render_s": 3.0, "help_s": 0.2}

# `equiview gui` as the console script runs it, watched from a timer on the interface thread
GUI = r"""
import json, sys, time
launched = float(sys.argv[1])
marks = {"python_s": time.time() - launched}
state = {"window": None, "last": None, "stall": 0.0, "app": None}

def rendered(*_args):
    # VTK's EndEvent: the native render window has swapped the frame onto the screen
    frame = state["window"].controller.frame
    state["with_models"] = frame is not None and len(frame.rows) == 2
    now = time.time() - launched
    if "first_frame_s" not in marks:
        marks["first_frame_s"] = now
        state["last"] = time.perf_counter()  # freezes count from here
    if state.get("with_models") and "models_shown_s" not in marks:
        marks["models_shown_s"] = now
        marks["max_stall_ms"] = round(state["stall"] * 1000.0, 1)
        marks["torch_on_first_frame"] = marks.get("torch_on_first_frame", False)
        import torch

        marks["torch_threads"] = torch.get_num_threads()
        print(json.dumps(marks), flush=True)
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, state["window"].close)
        QTimer.singleShot(0, state["app"].quit)

def tick():
    now = time.perf_counter()
    if state["last"] is not None and "first_frame_s" in marks:
        state["stall"] = max(state["stall"], now - state["last"])
    state["last"] = now
    if state["window"] is None:
        from PySide6.QtWidgets import QApplication

        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "equiviewMainWindow":
                state["window"] = widget
                marks["window_s"] = time.time() - launched
                marks["torch_on_first_frame"] = "torch" in sys.modules and "torch._C" in sys.modules
                widget.controller.scene.render_window.AddObserver("EndEvent", rendered)

def watch(app):
    # the watcher starts when the command creates its QApplication: the harness imports no Qt itself,
    # so the command imports its modules in its own order
    from PySide6.QtCore import QTimer

    state["app"] = app
    state["timer"] = timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    QTimer.singleShot(120000, app.quit)
    return app

import importlib.abc, importlib.util

class WatchViewerApp(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "equiview.viewer.app":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            create = module.create_application
            module.create_application = lambda *a, **k: state["app"] or watch(create(*a, **k))

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, WatchViewerApp())
from equiview.viewer.cli import main
main(["gui"])
"""


def _timed(command: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    launched = time.time()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    return time.time() - launched, done


def _fail(what: str, done: subprocess.CompletedProcess) -> int:
    print(json.dumps({"error": f"{what}: {(done.stderr or done.stdout).strip()[-800:]}"}))
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median reported)")
    args = parser.parse_args(argv)
    from _report import reexec_under_xvfb  # bench/ is sys.path[0] when a bench runs as a script

    code = reexec_under_xvfb("startup")
    if code is not None:
        return code

    from _report import emit, machine  # bench/ is sys.path[0] when a bench runs as a script

    from equiview.core.threads import current_policy

    scratch = Path(tempfile.mkdtemp(prefix="equiview-bench-"))
    # no thread pin: the commands apply the app's own thread policy (equiview.core.threads)
    env = dict(os.environ, EQUIVIEW_SETTINGS=str(scratch / "settings.ini"))
    equiview = [sys.executable, "-c", "import sys; from equiview.viewer.cli import main; sys.exit(main())"]
    script = Path(sys.executable).with_name("equiview")
    help_command = [str(script), "--help"] if script.is_file() else [*equiview, "--help"]
    runs: dict[str, list[float]] = {key: [] for key in ("imports_s", "render_s", "help_s")}
    gui_runs = []
    for _ in range(args.repeat):
        seconds, done = _timed([sys.executable, "-c", IMPORTS], env)
        if done.returncode != 0:
            return _fail("imports", done)
        runs["imports_s"].append(seconds)
        launched = time.time()
        done = subprocess.run(
            [sys.executable, "-c", GUI, repr(launched)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            return _fail("gui", done)
        gui_runs.append(json.loads(lines[-1]))
        seconds, done = _timed([*equiview, "render", "--out", str(scratch / "render.png")], env)
        if done.returncode != 0:
            return _fail("render", done)
        runs["render_s"].append(seconds)
        seconds, done = _timed(help_command, env)
        if done.returncode != 0:
            return _fail("help", done)
        runs["help_s"].append(seconds)

    def median(values) -> float:
        return round(float(np.median(values)), 3)

    result = {
        "first_frame_s": median([run["first_frame_s"] for run in gui_runs]),
        "imports_s": median(runs["imports_s"]),
        "models_shown_s": median([run["models_shown_s"] for run in gui_runs]),
        "max_stall_ms": median([run["max_stall_ms"] for run in gui_runs]),
        "render_s": median(runs["render_s"]),
        "help_s": median(runs["help_s"]),
        "window_s": median([run["window_s"] for run in gui_runs]),
        "runs": args.repeat,
        "threads": current_policy("interactive"),
        "torch_threads_in_gui": sorted({run.get("torch_threads") for run in gui_runs}, key=str),
        "all_runs": {"gui": gui_runs, **{key: [round(v, 3) for v in values] for key, values in runs.items()}},
    }
    met = {key: result[key] <= goal for key, goal in GOALS.items()}
    met["first_frame_before_bare_imports"] = result["first_frame_s"] <= result["imports_s"]
    result["goals"] = GOALS
    result["met"] = met
    result.update({key: value for key, value in machine().items() if key != "threads"})
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
