"""Every console example of README.md and docs/*.md runs and prints what the page shows (issue 18).

Format (/work/notes/docs-format.md, shared with the README): a fenced block with the info string ``console``; each
command line starts with ``$ ``; the lines after it, up to the next ``$ `` or the block's end, are its stdout. A
line ``...`` abbreviates the rest, and ``…`` inside a JSON line abbreviates the rest of a list or an object.

Each command runs in a scratch folder that links to the repository's top-level entries (so ``examples/...``
resolves and written files land in the scratch folder), with ``equiview`` the package of this checkout. A JSON
output must hold every key the page shows, and every number shown must match the one printed at the same place
(relative tolerance 5 %; two numbers both within the engine's float32 absolute tolerance, 1e-4, count as equal:
float32 rounding noise differs between CPUs). A text output must match line by line up to ``...``, numbers
compared the same way.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOISE = 1e-4
RELATIVE = 0.05
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def console_examples(page: Path) -> list[tuple[str, str, list[str]]]:
    """(where, command, expected stdout lines) of every ``$ `` line in the page's ``console`` blocks."""
    examples, block, where = [], None, ""
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if block is None:
            if stripped == "```console":
                block = []
            continue
        if stripped.startswith("```"):
            block = None
            continue
        if line.startswith("$ "):
            where = f"{page.name}:{number}"
            examples.append((where, line[2:].strip(), []))
        elif examples and examples[-1][0] == where:
            examples[-1][2].append(line)
    return examples


EXAMPLES = [example for page in PAGES if page.is_file() for example in console_examples(page)]


def close_enough(shown: float, printed: float) -> bool:
    if abs(shown) <= NOISE and abs(printed) <= NOISE:
        return True
    return math.isclose(shown, printed, rel_tol=RELATIVE, abs_tol=0.0)


def shown_json(text: str):
    """The page's abbreviated JSON as a value: ``, …]`` ends a list, ``{…}`` is an object shown in no detail."""
    text = re.sub(r",\s*…\s*([\]}])", r"\1", text)
    text = re.sub(r"([\[{])\s*…\s*([\]}])", r"\1\2", text)
    return json.loads(text)


def contains(shown, printed, path: str = "") -> list[str]:
    """Where ``printed`` differs from what the page shows (an empty list: it holds it)."""
    if isinstance(shown, dict):
        if not isinstance(printed, dict):
            return [f"{path}: expected an object"]
        problems = []
        for key, value in shown.items():
            if key not in printed:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += contains(value, printed[key], f"{path}.{key}")
        return problems
    if isinstance(shown, list):
        if not isinstance(printed, list) or len(printed) < len(shown):
            return [f"{path}: expected a list of at least {len(shown)}"]
        return [p for i, value in enumerate(shown) for p in contains(value, printed[i], f"{path}[{i}]")]
    if isinstance(shown, bool) or shown is None or isinstance(shown, str):
        return [] if shown == printed else [f"{path}: {printed!r} instead of {shown!r}"]
    if isinstance(printed, bool) or not isinstance(printed, (int, float)):
        return [f"{path}: {printed!r} instead of a number"]
    return [] if close_enough(float(shown), float(printed)) else [f"{path}: {printed} instead of {shown}"]


def same_text_line(shown: str, printed: str) -> bool:
    if NUMBER.sub("#", shown).rstrip() != NUMBER.sub("#", printed).rstrip():
        return False
    return all(close_enough(float(a), float(b)) for a, b in zip(NUMBER.findall(shown), NUMBER.findall(printed)))


def scratch(tmp_path: Path) -> Path:
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def test_the_pages_have_examples():
    assert any(where.startswith("README.md") for where, _, _ in EXAMPLES) or not (ROOT / "README.md").is_file()
    assert any(where.startswith("verdicts.md") for where, _, _ in EXAMPLES)


@pytest.mark.parametrize(("where", "command", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_console_example(tmp_path, where, command, expected):
    argv = shlex.split(command)
    assert argv[0] == "equiview", f"{where}: examples run equiview, not {argv[0]!r}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT.parent), os.environ.get("PYTHONPATH")]))}
    env.pop("DISPLAY", None)  # render goes straight to OSMesa, as on a machine without a screen
    done = subprocess.run(
        [sys.executable, "-m", "equiview", *argv[1:]],
        cwd=scratch(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    shown = [line for line in expected if line.strip()]
    code = 0
    if shown and shown[0].startswith("# exit "):  # a comment line: the exit code the page promises
        code = int(shown[0].split()[2])
        shown = shown[1:]
    assert done.returncode == code, f"{where}: {command}\n{done.stderr[-3000:]}"
    printed = done.stdout.splitlines()
    if shown and shown[0].lstrip().startswith("{"):
        problems = contains(shown_json(shown[0]), json.loads(printed[-1]))
        assert not problems, f"{where}: {command}: " + "; ".join(problems[:8])
        return
    for i, line in enumerate(shown):
        if line.strip() == "...":
            break
        assert i < len(printed) and same_text_line(line, printed[i]), (
            f"{where}: {command}: line {i + 1} is {printed[i] if i < len(printed) else None!r}, the page shows {line!r}"
        )
