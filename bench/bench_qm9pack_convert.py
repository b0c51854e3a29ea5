"""Benchmark: converting all 130,831 qm9pack molecules into the processed cache (goal < 60 s).

Converts into a fresh temporary cache directory (the user's cache is left alone unless
``--cache-dir`` points at it), then times a load from that cache and the heavy-atom filter.
Prints one line, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--max-rows", type=int, default=None, help="convert only the first N molecules")
    parser.add_argument("--cache-dir", default=None, help="cache directory to write (default: a temporary one)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="equiview-bench-") as scratch:
        os.environ["EQUIVIEW_CACHE_DIR"] = args.cache_dir or scratch
        from equiview.core.data.qm9pack_source import convert_qm9pack, load_qm9pack

        started = time.perf_counter()
        path = convert_qm9pack(max_rows=args.max_rows)
        convert_s = time.perf_counter() - started
        cache_bytes = path.stat().st_size

        started = time.perf_counter()
        everything = load_qm9pack(filtered=False, max_rows=args.max_rows)
        load_s = time.perf_counter() - started

        started = time.perf_counter()
        filtered = everything.filter_heavy_atoms()
        filter_s = time.perf_counter() - started

    result = {
        "benchmark": "qm9pack_convert",
        "molecules": len(everything),
        "filtered": len(filtered),
        "atoms": int(everything.z.numel()),
        "directed_bonds": int(everything.bonds.shape[0]),
        "convert_s": round(convert_s, 3),
        "goal_convert_s": 60.0,
        "cache_bytes": cache_bytes,
        "cache_load_s": round(load_s, 3),
        "filter_s": round(filter_s, 4),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"qm9pack conversion {convert_s:.1f} s (goal < 60 s) for {result['molecules']} molecules "
            f"({result['filtered']} filtered), cache {cache_bytes / 1e6:.1f} MB loads in {load_s:.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
