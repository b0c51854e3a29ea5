"""Soak test of the real window: thousands of steps must not leak references, memory or VTK props.

One step changes the view state the way a user does, in turn: a rotation slider, the molecule, the EGNN
row's model (shipped checkpoint <-> untrained demo) and a random element of E(3); then the events are
processed so the frame is computed and painted. Reported: RSS and the reference counts of None and True at
the start (after a warm-up) and at the end, and the number of VTK props in the renderers. PySide6-Essentials
6.12.0 dropped a reference to True per float signal and to None per repaint, and the process aborted with
"none_dealloc" after about 10,000 steps; the goal is zero drift and at most 30 MB of RSS growth over 20,000.
RSS is read after a full collection and glibc's ``malloc_trim`` at both ends (:func:`release_free_heap`).

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python bench/soak.py --steps 20000 --json
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARMUP_STEPS = 100  # caches (molecules, models, VTK pipelines) fill during these
MOLECULES = 6


def release_free_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``), where there is one.

    RSS also counts memory that was freed but is still held by the allocator, which comes and goes by
    tens of MB with fragmentation; trimmed at both ends, RSS follows what is really kept alive.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: RSS as it is
        pass


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        resident_pages = int(handle.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def props(window) -> int:
    """VTK props in all renderers of the window's plotter (actors are built once, never per step)."""
    return sum(renderer.GetViewProps().GetNumberOfItems() for renderer in window.plotter.renderers)


def counts() -> dict[str, int]:
    gc.collect()
    release_free_heap()
    return {"none": sys.getrefcount(None), "true": sys.getrefcount(True), "false": sys.getrefcount(False)}


def soak(window, steps: int, warmup: int = WARMUP_STEPS, seed: int = 0) -> dict:
    """Drive ``window`` (a shown MainWindow) for ``warmup + steps`` steps through its public view state."""
    import numpy as np
    import torch
    from PySide6.QtWidgets import QApplication

    from equiview.viewer.model.library import default_projection
    from equiview.viewer.model.snapshot import ModelSource, TransformParams

    state, library = window.state, window.library
    generator = torch.Generator().manual_seed(seed)
    # a few molecules, so the warm-up fills every cache: what grows afterwards is a leak
    molecules = np.random.default_rng(seed).integers(0, state.num_molecules, size=MOLECULES)
    shipped = library.default_sources()["egnn"]
    egnn_sources = (
        [shipped, ModelSource.untrained("egnn", 0)]
        if shipped.checkpoint
        else [ModelSource.untrained("egnn", s) for s in (0, 1)]
    )

    def step(i: int) -> None:
        kind = i % 4
        if kind == 0:
            state.set_rotation(i % 3, float((i * 7) % 360 - 180))
        elif kind == 1:
            state.set_molecule(int(molecules[(i // 4) % len(molecules)]))
        elif kind == 2:
            source = egnn_sources[(i // 4) % 2]
            state.set_model(source, default_projection(library.load(source)))
        else:
            state.set_transform(TransformParams.random(generator))
        QApplication.processEvents()

    def measure() -> dict[str, int]:
        # the same view at both ends (a mirrored transform holds True where the identity holds False)
        state.set_transform(TransformParams())
        state.set_molecule(int(molecules[0]))
        state.set_model(egnn_sources[0], default_projection(library.load(egnn_sources[0])))
        QApplication.processEvents()
        # let the deferred work land (still frame, readouts), so both ends hold the same objects
        deadline = time.perf_counter() + 10.0
        while not window.is_settled() and time.perf_counter() < deadline:
            time.sleep(0.01)
            QApplication.processEvents()
        return counts()

    for i in range(warmup):
        step(i)
    start, rss_start, props_start = measure(), rss_mb(), props(window)
    started = time.perf_counter()
    for i in range(warmup, warmup + steps):
        step(i)
    seconds = time.perf_counter() - started
    end = measure()
    return {
        "steps": steps,
        "seconds": round(seconds, 2),
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_mb(), 1),
        "none_refcount_drift": end["none"] - start["none"],
        "true_refcount_drift": end["true"] - start["true"],
        "false_refcount_drift": end["false"] - start["false"],
        "props_start": props_start,
        "props_end": props(window),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from equiview.core.bounds import bounded_int

    parser.add_argument(
        "--steps", type=bounded_int("--steps"), default=2000, help="steps after the warm-up (default 2000)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    from _report import emit, machine, reexec_under_xvfb  # bench/ is sys.path[0] when a bench runs as a script

    code = reexec_under_xvfb("soak")
    if code is not None:
        return code

    from equiview.core.threads import apply_thread_policy

    threads = apply_thread_policy("interactive")  # the app's own policy, as `equiview gui` applies it
    os.environ["EQUIVIEW_SETTINGS"] = str(Path(tempfile.mkdtemp(prefix="equiview-soak-")) / "settings.ini")

    from equiview.core.data import load_dataset
    from equiview.viewer.app import create_application, drain_events, settings_from_env

    create_application()
    from equiview.viewer.main_window import MainWindow

    window = MainWindow(load_dataset("bundled"), settings=settings_from_env(), restore_geometry=False, persist=False)
    window.resize(1280, 800)
    window.show()
    drain_events()
    result = soak(window, args.steps)
    import PySide6

    result["pyside6"] = PySide6.__version__

    result.update(machine(threads))
    window.close()
    drain_events()
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
