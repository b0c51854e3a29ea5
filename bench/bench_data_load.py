"""Benchmark: reading the bundled filtered QM9 (goal < 1 s) and building batches from it.

Prints one line, or one JSON object with ``--json``. Times are the median of ``--repeat``
runs in this process (the first run includes reading the file from the OS cache).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument("--batch-size", type=int, default=128, help="molecules per collated batch")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    from equiview.core.data import BUNDLE_PATH, load_dataset  # import time is reported separately

    import_s = time.perf_counter() - started

    load_times = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        dataset = load_dataset("bundled")
        load_times.append(time.perf_counter() - started)

    order = np.random.default_rng(0).permutation(len(dataset))
    batches = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
    started = time.perf_counter()
    for indices in batches:
        dataset.collate(indices)
    epoch_s = time.perf_counter() - started

    started = time.perf_counter()
    for i in range(1000):
        dataset[int(order[i])]
    getitem_us = (time.perf_counter() - started) / 1000 * 1e6

    result = {
        "benchmark": "data_load",
        "molecules": len(dataset),
        "bundle_bytes": os.path.getsize(BUNDLE_PATH),
        "import_s": round(import_s, 4),
        "load_s": round(statistics.median(load_times), 4),
        "load_first_s": round(load_times[0], 4),
        "goal_load_s": 1.0,
        "collate_batch_size": args.batch_size,
        "collate_epoch_s": round(epoch_s, 4),
        "collate_batch_ms": round(epoch_s / len(batches) * 1e3, 3),
        "getitem_us": round(getitem_us, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"bundled load {result['load_s']:.3f} s (goal < 1 s; first {result['load_first_s']:.3f} s), "
            f"{result['molecules']} molecules, {result['bundle_bytes'] / 1e6:.2f} MB; "
            f"collate {result['collate_batch_ms']:.2f} ms/batch of {args.batch_size} "
            f"({result['collate_epoch_s']:.2f} s/epoch); ds[i] {result['getitem_us']:.0f} µs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
