"""Benchmark: a 72-angle sweep of the 26-atom gdb_5806 through both shipped models (goal ≤ 100 ms).

Times :func:`equiview.viewer.model.sweep.sweep` (one batched forward pass per model, all angles at once, plus the
original pose, the projection and the errors) with the shipped checkpoints, as the sweep panel and
``equiview sweep`` run it. Prints the median and the best of the timed runs, one JSON object with
``--json``. The machine is shared, so the load average is reported with the numbers.
"""

from __future__ import annotations

import argparse
import statistics
import time

GOAL_MS = 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=20, help="timed sweeps (default 20)")
    parser.add_argument("--steps", type=int, default=72, help="angles per sweep (default 72)")
    parser.add_argument("--molecule", default="gdb_5806")
    args = parser.parse_args(argv)

    from _report import emit, machine  # bench/ is sys.path[0] when a bench runs as a script

    from equiview.core.threads import apply_thread_policy

    threads = apply_thread_policy("interactive")  # the app's own policy, as `equiview sweep` applies it
    from equiview.core.assets import checkpoint_dir
    from equiview.core.checkpoints import load_checkpoint
    from equiview.core.data import load_dataset
    from equiview.viewer.model.sweep import sweep

    dataset = load_dataset("bundled")
    data = dataset[dataset.find(args.molecule)]
    folder = checkpoint_dir()
    models = {kind: load_checkpoint(folder / f"{kind}.pt").model for kind in ("naive", "egnn")}
    projections = {kind: ("pca", 0) for kind in models}

    sweep(models, data, "z", args.steps, projections=projections)  # warm-up
    times = []
    for run in range(max(1, args.runs)):
        started = time.perf_counter()
        sweep(models, data, "xyz"[run % 3], args.steps, projections=projections)
        times.append((time.perf_counter() - started) * 1e3)
    median = statistics.median(times)
    result = {
        "benchmark": "sweep",
        "molecule": args.molecule,
        "atoms": int(data.z.numel()),
        "angles": args.steps,
        "models": list(models),
        "median_ms": round(median, 2),
        "best_ms": round(min(times), 2),
        "goal_ms": GOAL_MS,
        "meets_goal": median <= GOAL_MS,
        **machine(threads),
    }
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
