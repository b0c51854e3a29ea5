"""Benchmark: one viewer slider step (move a molecule, re-encode it) per model (goal < 2 ms).

For each model kind (naive, egnn) at the demo size (hidden 32, 2 layers, 1-D output) and the
default size (hidden 64; 4 GIN / 2 EGNN layers) this times ``transformed(data, g)`` followed by
``encode(model, moved)`` on a 26-atom QM9 molecule, with a new E(3) element every step as a
dragged slider produces. Reports the median and 95th percentile in ms. Prints one line per
model, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

GOAL_MS = 2.0


def _time_steps(model, data, steps: int) -> list[float]:
    from equiview.core.embeddings import encode, transformed
    from equiview.core.transforms import E3Transform

    times = []
    for step in range(steps):
        angle = 360.0 * step / steps
        started = time.perf_counter()
        g = E3Transform.from_view(angle, 0.5 * angle, 0.0, translation=(0.01 * step, 0.0, 0.0))
        encode(model, transformed(data, g))
        times.append((time.perf_counter() - started) * 1e3)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--steps", type=int, default=300, help="timed slider steps per model (default 300)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    args = parser.parse_args(argv)

    import torch

    from equiview.core.data import load_dataset
    from equiview.core.models import build_model, demo_model

    torch.set_num_threads(max(1, args.threads))
    dataset = load_dataset("bundled")
    index = int(torch.argmax(dataset.num_atoms))
    data = dataset[index]

    results = {}
    for kind in ("naive", "egnn"):
        torch.manual_seed(0)
        for size, model in (("demo", demo_model(kind)), ("default", build_model(kind).eval())):
            _time_steps(model, data, 20)  # warm-up: first calls allocate and fill caches
            times = _time_steps(model, data, max(1, args.steps))
            results[f"{kind}/{size}"] = {
                "median_ms": round(statistics.median(times), 4),
                "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 4),
            }

    summary = {
        "benchmark": "embedding",
        "molecule": data.name,
        "atoms": int(data.num_nodes),
        "threads": torch.get_num_threads(),
        "steps": args.steps,
        "goal_ms": GOAL_MS,
        "results": results,
        "meets_goal": all(r["median_ms"] < GOAL_MS for r in results.values()),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        for name, r in results.items():
            print(
                f"{name:14s} {r['median_ms']:.3f} ms median, {r['p95_ms']:.3f} ms p95 per slider step "
                f"({data.name}, {data.num_nodes} atoms; goal < {GOAL_MS} ms)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
