"""Benchmark: the message sum of an EGNN layer with torch_geometric's scatter vs torch_scatter.

Sums hidden-64 messages of the complete graph into atoms for one 26-atom molecule (the viewer's
case) and for a training batch of 128 QM9 molecules. torch_scatter is the optional extra
``equiview[scatter]``; when it is not installed only the native backend is timed and the output
says so. Prints one line, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def _median_ms(fn, repeat: int) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeat", type=int, default=200, help="timed repetitions per case (default 200)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from equiview.core.data import load_dataset
    from equiview.core.data.graph import batch_complete_edge_index, complete_edge_index
    from equiview.core.models.aggregation import BACKENDS, get_scatter_sum, torch_scatter_available

    torch.set_num_threads(max(1, args.threads))
    dataset = load_dataset("bundled")
    largest = dataset[int(torch.argmax(dataset.num_atoms))]
    batch = dataset.collate(np.random.default_rng(0).permutation(len(dataset))[:128])
    cases = {
        "molecule_26_atoms": (int(largest.num_nodes), complete_edge_index(int(largest.num_nodes))),
        "batch_128_molecules": (int(batch.num_nodes), batch_complete_edge_index(batch.batch, batch.ptr)),
    }
    backends = [name for name in BACKENDS if name != "torch_scatter" or torch_scatter_available()]

    results: dict[str, dict[str, float]] = {}
    generator = torch.Generator().manual_seed(0)
    for case, (num_atoms, edge_index) in cases.items():
        messages = torch.randn(edge_index.size(1), 64, generator=generator)
        target = edge_index[1]
        reference = None
        results[case] = {"edges": int(edge_index.size(1))}
        for backend in backends:
            scatter_sum = get_scatter_sum(backend)
            out = scatter_sum(messages, target, num_atoms)
            if reference is None:
                reference = out
            elif not torch.allclose(out, reference, atol=1e-4):
                raise SystemExit(f"backends disagree on {case}: {backend} differs from {backends[0]}")
            results[case][f"{backend}_ms"] = round(
                _median_ms(lambda f=scatter_sum, m=messages, t=target, n=num_atoms: f(m, t, n), args.repeat), 5
            )

    summary = {
        "benchmark": "scatter",
        "torch_scatter_installed": torch_scatter_available(),
        "threads": torch.get_num_threads(),
        "results": results,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        parts = []
        for case, r in results.items():
            timings = ", ".join(f"{b} {r[f'{b}_ms']:.4f} ms" for b in backends)
            parts.append(f"{case} ({r['edges']} edges): {timings}")
        note = "" if torch_scatter_available() else " [torch_scatter not installed: native backend only]"
        print("; ".join(parts) + note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
