"""What the training tests share: the options of a small run, ``equiview train`` in-process, its metrics file."""

from __future__ import annotations

import json

from equiview.core.cli import main
from equiview.core.training.paths import RunPaths

LIMITS = {"train": 96, "val": 48, "test": 48}
"""Bundled molecules per split in a small run."""
SMALL_RUN = [
    "--limit-train",
    str(LIMITS["train"]),
    "--limit-val",
    str(LIMITS["val"]),
    "--limit-test",
    str(LIMITS["test"]),
    "--threads",
    "1",
    "--quiet",
]


def train(*argv: str) -> int:
    return main(["train", *argv])


def read_metrics(paths: RunPaths) -> dict:
    return json.loads(paths.metrics.read_text())


def without_timing(epochs: list[dict]) -> list[dict]:
    """The per-epoch records without their wall-clock seconds (the part two identical runs may differ in)."""
    return [{k: v for k, v in record.items() if k != "seconds"} for record in epochs]
