"""Benchmark: a 72-angle sweep of the 26-atom gdb_5806 through both shipped models (goal ≤ 100 ms).

Times :func:`equiview.viewer.model.sweep.sweep` (one batched forward pass per model, all angles at once, plus the
original pose, the projection and the errors) with the shipped checkpoints, as the sweep panel and
``equiview sweep`` run it. Prints the median and the best of the timed runs, one JSON object with
``--json``. The machine is shared, so the load average is reported with the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

GOAL_MS = 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=20, help="timed sweeps (default 20)")
    parser.add_argument("--steps", type=int, default=72, help="angles per sweep (default 72)")
    parser.add_argument("--molecule", default="gdb_5806")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args(argv)

    import torch

    from equiview.core.assets import checkpoint_dir
    from equiview.core.checkpoints import load_checkpoint
    from equiview.core.data import load_dataset
    from equiview.viewer.model.sweep import sweep

    if args.threads > 0:
        torch.set_num_threads(args.threads)
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
        "threads": torch.get_num_threads(),
        "median_ms": round(median, 2),
        "best_ms": round(min(times), 2),
        "goal_ms": GOAL_MS,
        "meets_goal": median <= GOAL_MS,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{args.steps} angles of {args.molecule} ({result['atoms']} atoms), both models: "
            f"median {median:.1f} ms, best {min(times):.1f} ms (goal ≤ {GOAL_MS:.0f} ms, "
            f"{result['threads']} threads, load {result['load_average_1min']})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
