"""``make mutate``: mutmut on the engine, the verdict and the transforms, against a fast test subset.

mutmut names a mutant by its file's path (``core/equivariance.py`` -> ``core.equivariance``), but equiview's modules
are imported as ``equiview.core...`` (the repository's root is the package). So the run happens in a scratch folder
that holds the package as ``equiview/`` and the chosen tests as ``tests/``; every module but the targets is marked
``do_not_mutate``. The targets and tests are ``[tool.mutmut]`` in pyproject.toml. The last line printed is
``killed K of N mutants (P %)``; the exit code is 0 when P reaches ``goal``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
# mutmut 3.4.0 reads ``item._nodeid``, which pytest 9 no longer has: give it the public ``nodeid``
PYTEST_COMPAT = """

import _pytest.nodes  # noqa: E402 - appended by tests/mutation/mutate.py for mutmut

if not hasattr(_pytest.nodes.Node, "_nodeid"):
    _pytest.nodes.Node._nodeid = property(lambda node: node.nodeid)
"""
SKIP = shutil.ignore_patterns(".git", ".venv", "tests", "bench", "docs", "examples", "mutants", "__pycache__", "*.pyc")


def stage(config: dict, folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    package = folder / "equiview"
    shutil.copytree(ROOT, package, ignore=SKIP)
    targets = {f"equiview/{path}" for path in config["targets"]}
    others = sorted(
        str(path.relative_to(folder)) for path in package.rglob("*.py") if str(path.relative_to(folder)) not in targets
    )
    (folder / "tests").mkdir()
    helpers = [path.name for path in (ROOT / "tests").glob("*.py") if not path.name.startswith("test_")]
    for name in [*helpers, *config["tests"]]:  # conftest.py and the fixtures' modules, then the chosen tests
        shutil.copy(ROOT / "tests" / name, folder / "tests" / name)
    with open(folder / "tests" / "conftest.py", "a") as conftest:
        conftest.write(PYTEST_COMPAT)
    settings = {
        "paths_to_mutate": ["equiview/"],
        "do_not_mutate": others,
        "tests_dir": [f"tests/{name}" for name in config["tests"]],
    }
    lines = ["[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    lines += ["", "[tool.pytest.ini_options]", 'qt_api = "pyside6"', 'addopts = "-q -p no:cacheprovider"']
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n")


KILLED = (1, 3)
"""mutmut's exit codes of a killed mutant (a failing test; pytest's internal error). Everything else counts against
the score: survived (0), no test reaches it (5, 33), timeout (24, 36, 152, 255, -24), skipped, not checked."""


def score(folder: Path) -> tuple[int, int, list[str]]:
    """(killed, total, the others with their exit codes) from mutmut's per-file ``.meta`` results."""
    killed = total = 0
    others = []
    for meta in (folder / "mutants").rglob("*.meta"):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            total += 1
            if code in KILLED:
                killed += 1
            else:
                others.append(f"{name} (exit {code})")
    return killed, total, sorted(others)


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    folder = Path(os.environ.get("EQUIVIEW_MUTATE_DIR", "/tmp/equiview-mutate"))
    stage(config, folder)
    # one thread: mutmut forks a child per mutant, and a fork after torch started its OpenMP pool can hang
    threads = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env = {**os.environ, **threads, "PYTHONPATH": "", "QT_QPA_PLATFORM": "offscreen"}
    children = str(config.get("max_children", os.cpu_count() or 2))
    # the console script, not ``python -m mutmut``: the trampolines import ``mutmut.__main__``, which must be the
    # module already running (a second copy sets multiprocessing's start method again and fails)
    mutmut = Path(sys.executable).parent / "mutmut"
    run = subprocess.run([str(mutmut), "run", "--max-children", children], cwd=folder, env=env)
    if run.returncode not in (0, 1):
        print(f"mutmut run ended with exit code {run.returncode}", file=sys.stderr)
    killed, total, others = score(folder)
    for name in others:
        print(f"not killed: {name}")
    percent = 100.0 * killed / total if total else 0.0
    print(f"killed {killed} of {total} mutants ({percent:.1f} %)")
    return 0 if total and percent >= config.get("goal", 90) else 1


if __name__ == "__main__":
    sys.exit(main())
