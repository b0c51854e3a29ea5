"""What every bench prints beside its numbers, in one place: the thread policy it ran under, the machine and its
load (numbers from a shared machine mean little without them), then the result as one JSON object or a table."""

from __future__ import annotations

import json
import os
import platform


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(policy: dict | None = None) -> dict:
    """The app's thread policy as applied (with torch's actual count when torch is loaded), the CPU and the load."""
    import sys

    threads = dict(policy or {})
    torch = sys.modules.get("torch")
    if torch is not None:
        threads["torch_threads"] = torch.get_num_threads()
    return {
        "threads": threads,
        "cpu": _cpu_model(),
        "cpus": len(os.sched_getaffinity(0)),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def emit(result: dict, as_json: bool) -> None:
    """One JSON object on one line (``--json``), or one ``key  value`` line per entry."""
    if as_json:
        print(json.dumps(result))
        return
    width = max((len(key) for key in result), default=0)
    for key, value in result.items():
        print(f"{key:>{width}}  {value}")


def reexec_under_xvfb(benchmark: str) -> int | None:
    """A window bench without a display runs itself again under ``xvfb-run`` and returns that run's exit code;
    None when a display is there (or this already is the re-run)."""
    import shutil
    import subprocess
    import sys

    if os.environ.get("DISPLAY") or os.environ.get("EQUIVIEW_BENCH_NO_XVFB"):
        return None
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print(json.dumps({"error": f"no DISPLAY and no xvfb-run: the {benchmark} benchmark needs a display"}))
        return 1
    env = dict(os.environ, EQUIVIEW_BENCH_NO_XVFB="1")
    return subprocess.run([xvfb, "-a", "-s", "-screen 0 1920x1200x24", sys.executable, *sys.argv], env=env).returncode
