"""Benchmark: peak RSS of a GIF export against its frame count (issue 19: memory holds one frame, whatever the count).

Runs :func:`equiview.viewer.movie.record_movie` for a QM9 molecule with the shipped models, off screen, in a fresh
process per frame count, and prints the frame count, size, file size and the process's peak RSS (``ru_maxrss``).
Before streaming, 60 frames of 800x600 peaked at 806 MiB and 240 at 1220 MiB; streamed, both stay near 740 MiB.
The machine is shared: the load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import resource, sys
from pathlib import Path
from equiview.viewer.cli import prefer_offscreen_gl
prefer_offscreen_gl()
from equiview.core.data import load_dataset
from equiview.viewer.model.library import ModelLibrary
from equiview.viewer.model.movie_settings import MovieSettings
from equiview.viewer.model.pipeline import Pipeline
from equiview.viewer.model.snapshot import Snapshot
from equiview.viewer.movie import record_movie
out, frames, width, height = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
settings = MovieSettings(axis="z", frames=frames, fps=20, degrees=360, size=(width, height), scale=1)
record_movie(Pipeline(load_dataset("bundled"), ModelLibrary()), Snapshot(), out, settings)
print(out.stat().st_size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", default="2,60,240", help="comma-separated frame counts")
    parser.add_argument("--size", default="800x600")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    print(f"load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        for frames in (int(v) for v in args.frames.split(",")):
            out = Path(folder) / f"m{frames}.gif"
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(out), str(frames), str(width), str(height)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            size, peak_kib = (int(v) for v in done.stdout.split()[-2:])
            print(f"GIF {frames} frames {width}x{height}: {size / 1e3:.0f} kB, peak RSS {peak_kib / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
