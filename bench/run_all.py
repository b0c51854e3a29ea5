"""Run every benchmark under bench/ and print its JSON result; `make bench` calls this.

Benchmarks report numbers against the goals in the issues; they assert nothing about time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHMARKS = [
    "bench_data_load.py",
    "bench_qm9pack_convert.py",
    "bench_embedding.py",
    "bench_scatter.py",
    "train_throughput.py",
    "startup.py",
    "interaction.py",
    "interaction.py --large",  # a 300-atom molecule (issue 12)
    "interaction.py --atoms 5000",  # a 5,000-atom water box with a cutoff-graph user model (issue 20)
]


def main() -> int:
    results, failed = {}, []
    for name in BENCHMARKS:
        script, *options = name.split()
        print(f"== {name}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / script), *options, "--json"], capture_output=True, text=True)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        try:
            results[name] = json.loads(line)
            print(line, flush=True)
        except json.JSONDecodeError:
            failed.append(name)
            print(f"failed (exit {done.returncode}): {done.stderr.strip()[-500:]}", flush=True)
    print(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
