"""Slider-step latency of the equiview window (goals: p95 <= 30 ms and p95 / empty frame <= 1.4; reported, not asserted).

A real window (1280x800, all six views) on the largest molecule of the bundled set; the z-rotation
slider is dragged through 2-degree steps. Each step is timed from the slider's value change to the
rendered frame: both models re-encode the transformed pose, the arrays are rewritten in place and the
grid renders once. ``empty_frame_ms`` is a render of the same window with nothing changed, one right
after every step (the same multisampling-off mode and, on a shared machine, the same load); ``p95_over_empty`` divides the two, which
cancels most of the machine's speed and load (report it with ``load_average``). ``empty_p95_over_empty_p50``
is how much an unchanged frame alone varies (Mesa's software renderer on a loaded machine); ``step_update_p50_ms``
and ``step_render_p50_ms`` split a step into the work up to the scene's arrays and VTK's render (swap included).

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python bench/interaction.py --json
    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python bench/interaction.py --atoms 5000 --json

``--atoms N`` adds the cutoff-graph user model (``examples/cutoff_model.py``) as a third row, times QM9's largest
molecule, then a box of N atoms of water (``examples/water_box.py``, written to a temporary directory) in the same
window and run, and reports ``p95_over_baseline_p95`` (goal <= 4). The threads are the app's own policy as launched
(``equiview.core.threads``, interactive: printed under ``"threads"``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_P95_MS = 30.0
GOAL_P95_OVER_EMPTY = 1.4
LARGE_SMILES = "C" * 99 + "O"
"""Hectan-1-ol, C99H200O: 300 atoms, the largest molecule equiview accepts (89,700 complete-graph edges)."""
GOAL_LARGE_P95_MS = 80.0
GOAL_ATOMS_RATIO = 4.0
"""--atoms N: the slider step's p95 on N atoms at most this many times the one on QM9's largest, in the same run."""
CUTOFF_MODEL = ROOT / "examples" / "cutoff_model.py"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def time_steps(app, window, steps: int) -> dict:
    """Drag the z-rotation slider through ``steps`` 2-degree steps of the window's current molecule and time them."""
    from equiview.viewer.app import drain_events

    slider = window.transform_panel.rotation_sliders[2]
    controller = window.controller
    scene = window.controller.scene

    # a slider press switches to interactive (multisampling off) mode, as a real drag does
    slider.sliderPressed.emit()
    drain_events()
    values = [(-180 + 2 * k) % 361 - 180 for k in range(steps + 10)]
    step_ms: list[float] = []
    compute_ms: list[float] = []
    renders = [0]
    render_started = [0.0]
    render_ms = [0.0]  # the last VTK render alone (StartEvent to EndEvent, the buffer swap included)

    def render_start(*_args) -> None:
        renders[0] += 1
        render_started[0] = time.perf_counter()

    def render_end(*_args) -> None:
        render_ms[0] = (time.perf_counter() - render_started[0]) * 1000.0

    scene.render_window.AddObserver("StartEvent", render_start)
    scene.render_window.AddObserver("EndEvent", render_end)
    step_render_ms: list[float] = []
    empty_render_ms: list[float] = []
    empty_ms: list[float] = []
    step_renders = 0
    for i, value in enumerate(values):
        before = renders[0]
        started = time.perf_counter()
        slider.setValue(int(value))  # valueChanged -> state -> controller: frame, arrays, one render
        app.processEvents()
        elapsed = (time.perf_counter() - started) * 1000.0
        rendered = renders[0] - before
        step_render = render_ms[0]
        # an empty frame right after each step: the same window, mode and (on a shared machine) load
        started = time.perf_counter()
        scene.render()  # schedules a paint of the unchanged scene; processEvents runs it
        app.processEvents()
        empty = (time.perf_counter() - started) * 1000.0
        if i >= 10:  # warm-up steps excluded
            step_ms.append(elapsed)
            compute_ms.append(controller.last_update_ms)
            empty_ms.append(empty)
            step_render_ms.append(step_render)
            empty_render_ms.append(render_ms[0])
            step_renders += rendered
    # the pipeline alone (both models on the transformed pose), without rendering
    snapshot = window.state.snapshot
    pipeline_ms = []
    for _ in range(30):
        started = time.perf_counter()
        controller.pipeline.frame(snapshot)
        pipeline_ms.append((time.perf_counter() - started) * 1000.0)
    renders_per_step = step_renders / max(1, len(step_ms))
    slider.sliderReleased.emit()
    drain_events()
    scene.set_fast(False)  # a still frame: multisampling and index labels back on
    quality_ms = []
    for _ in range(10):
        started = time.perf_counter()
        scene.render()
        app.processEvents()
        quality_ms.append((time.perf_counter() - started) * 1000.0)

    return {
        "step_ms": step_ms,
        "compute_ms": compute_ms,
        "empty_ms": empty_ms,
        "step_render_ms": step_render_ms,
        "empty_render_ms": empty_render_ms,
        "pipeline_ms": pipeline_ms,
        "quality_ms": quality_ms,
        "renders_per_step": renders_per_step,
    }


def _settle(window) -> None:
    """Let the window take its new state and draw it once before timing."""
    from equiview.viewer.app import drain_events

    for _ in range(5):
        drain_events()
        time.sleep(0.05)
    window.controller.refresh()
    drain_events()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--steps", type=int, default=120, help="slider steps to time (default 120)")
    parser.add_argument(
        "--untrained", action="store_true", help="use the untrained demo models even if checkpoints ship"
    )
    parser.add_argument(
        "--large",
        action="store_true",
        help=f"a 300-atom molecule (SMILES C99-OH, ETKDG + MMFF) instead of QM9's largest; goal p95 <= {GOAL_LARGE_P95_MS:g} ms",
    )
    parser.add_argument(
        "--atoms",
        type=int,
        default=None,
        help="also time a box of N atoms of water (examples/water_box.py) after QM9's largest, both with the cutoff "
        f"user model (examples/cutoff_model.py) as a third row; goal: p95 <= {GOAL_ATOMS_RATIO:g} x the small one's",
    )
    args = parser.parse_args(argv)

    from _report import emit, machine, reexec_under_xvfb  # bench/ is sys.path[0] when a bench runs as a script

    code = reexec_under_xvfb("interaction")
    if code is not None:
        return code

    from equiview.core.threads import apply_thread_policy

    threads = apply_thread_policy("interactive")  # the app as launched: `equiview gui` applies this policy
    settings_file = Path(tempfile.mkdtemp(prefix="equiview-bench-")) / "settings.ini"
    os.environ["EQUIVIEW_SETTINGS"] = str(settings_file)

    from equiview.core.data import load_dataset
    from equiview.viewer.app import create_application, drain_events, settings_from_env
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.snapshot import ModelSource, Snapshot, StructureRef

    app = create_application()
    from equiview.viewer.main_window import MainWindow

    dataset = load_dataset("bundled")
    counts = dataset.num_atoms.numpy()
    molecule = int(np.argmax(counts))
    library = ModelLibrary()
    sources = library.default_sources()
    if args.untrained:
        sources = {kind: ModelSource.untrained(kind, 0) for kind in sources}
    initial = Snapshot(molecule=molecule, sources=sources)
    goal = GOAL_P95_MS
    if args.large:
        initial = initial.replace(structure=StructureRef.smiles(LARGE_SMILES))
        goal = GOAL_LARGE_P95_MS
    if args.atoms is not None:  # a user model on a cutoff graph as a third row, loaded as `--model` loads it
        from equiview.core.user_models import ModelSpec
        from equiview.viewer.model.library import default_projection

        cutoff = ModelSource.user(ModelSpec.parse(f"cutoff={CUTOFF_MODEL}:make_model"))
        initial = initial.with_row(cutoff, default_projection(library.load(cutoff)))
    window = MainWindow(
        dataset, settings=settings_from_env(), library=library, initial=initial, restore_geometry=False, persist=False
    )
    window.resize(1280, 800)
    window.show()
    _settle(window)

    timed = time_steps(app, window, args.steps)
    baseline = None
    if args.atoms is not None:  # the same window and rows, now on a box of water of args.atoms atoms
        import importlib.util

        spec = importlib.util.spec_from_file_location("water_box", ROOT / "examples" / "water_box.py")
        water_box = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(water_box)
        xyz = water_box.write_xyz(settings_file.parent / f"water{args.atoms}.xyz", args.atoms)
        baseline = {
            "atoms": window.controller.frame.molecule.num_atoms,
            "p50_ms": round(percentile(timed["step_ms"], 50), 2),
            "p95_ms": round(percentile(timed["step_ms"], 95), 2),
            "empty_frame_ms": round(percentile(timed["empty_ms"], 50), 2),
            "step_update_p50_ms": round(percentile(timed["compute_ms"], 50), 2),
            "step_render_p50_ms": round(percentile(timed["step_render_ms"], 50), 2),
        }
        window.state.set_structure(StructureRef.file(xyz))
        _settle(window)
        timed = time_steps(app, window, args.steps)
    step_ms, compute_ms, empty_ms = timed["step_ms"], timed["compute_ms"], timed["empty_ms"]
    step_render_ms, empty_render_ms = timed["step_render_ms"], timed["empty_render_ms"]
    pipeline_ms, quality_ms, renders_per_step = timed["pipeline_ms"], timed["quality_ms"], timed["renders_per_step"]
    controller, scene = window.controller, window.controller.scene

    frame = controller.frame
    result = {
        "p50_ms": round(percentile(step_ms, 50), 2),
        "p95_ms": round(percentile(step_ms, 95), 2),
        "empty_frame_ms": round(percentile(empty_ms, 50), 2),
        "p95_over_empty": round(percentile(step_ms, 95) / percentile(empty_ms, 50), 2),
        "goal_p95_ms": goal,
        "goal_p95_over_empty": GOAL_P95_OVER_EMPTY,
        "meets_goal": bool(percentile(step_ms, 95) <= goal),
        "meets_ratio_goal": bool(percentile(step_ms, 95) / percentile(empty_ms, 50) <= GOAL_P95_OVER_EMPTY),
        "steps": len(step_ms),
        "max_ms": round(max(step_ms), 2),
        "pipeline_p50_ms": round(percentile(pipeline_ms, 50), 2),
        "empty_frame_p95_ms": round(percentile(empty_ms, 95), 2),
        # how much an empty frame alone varies: the ratio goal cannot go below this share of the jitter
        "empty_p95_over_empty_p50": round(percentile(empty_ms, 95) / percentile(empty_ms, 50), 2),
        # where a step's time goes (medians): the state change up to the scene's arrays, then VTK's render
        "step_update_p50_ms": round(percentile(compute_ms, 50), 2),
        "step_render_p50_ms": round(percentile(step_render_ms, 50), 2),
        "empty_render_p50_ms": round(percentile(empty_render_ms, 50), 2),
        "still_frame_msaa_ms": round(percentile(quality_ms, 50), 2),
        "vtk_renders_per_step": renders_per_step,
        "molecule": frame.molecule.name,
        "index": molecule,
        "atoms": frame.molecule.num_atoms,
        "models": {kind: row.model_label for kind, row in frame.rows.items()},
        "window": [window.width(), window.height()],
        "grid": list(window.grid_size()),
        "views": 6 if frame.show_input_row else 4,
        "renderer": next(
            (
                line.split(":", 1)[-1].strip()
                for line in scene.render_window.ReportCapabilities().splitlines()
                if "renderer string" in line
            ),
            "",
        ),
        # "QWidget": VTK draws into a native child window; "QOpenGLWidget": Qt composites the window through OpenGL
        "render_widget": next(
            cls.__name__ for cls in type(window.plotter).__mro__ if cls.__name__ in ("QOpenGLWidget", "QWidget")
        ),
    }
    if baseline is not None:
        ratio = result["p95_ms"] / baseline["p95_ms"]
        result.update(
            {
                "baseline": baseline,
                "p95_over_baseline_p95": round(ratio, 2),
                "goal_p95_over_baseline_p95": GOAL_ATOMS_RATIO,
                "meets_atoms_goal": bool(ratio <= GOAL_ATOMS_RATIO),
                "rows": {kind: row.badge or f"not available: {row.message}" for kind, row in frame.rows.items()},
            }
        )
        del result["goal_p95_ms"], result["meets_goal"]  # the absolute goal is the small molecule's
    result.update(machine(threads))
    window.close()
    drain_events()
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
