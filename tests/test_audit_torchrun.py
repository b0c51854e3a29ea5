"""check-invariance under torchrun: 2 processes on gloo write the same JSONL as one process, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from molecule_files_fixtures import write_multi_xyz

REPO = Path(__file__).resolve().parents[1]


def test_two_processes_give_the_jsonl_of_one(tmp_path):
    molecules = write_multi_xyz(tmp_path / "three.xyz")
    # one molecule (x and 4 poses) per forward: three chunks, so rank 0 takes chunks 0 and 2, rank 1 chunk 1
    options = ["check-invariance", "--molecule-file", str(molecules), "--trials", "1", "--batch-graphs", "5", "--json"]
    env = {**os.environ, "EQUIVIEW_THREADS": "1"}
    one = subprocess.run(
        [sys.executable, "-m", "equiview.core", *options, "--jsonl", str(tmp_path / "one.jsonl")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert one.returncode == 0, one.stderr[-3000:]
    two = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "equiview.core"]
        + [*options, "--jsonl", str(tmp_path / "two.jsonl")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert two.returncode == 0, two.stderr[-3000:]
    expected = (tmp_path / "one.jsonl").read_text()
    assert len(expected.splitlines()) == 3 * 4  # every molecule under every built-in kind, once
    assert (tmp_path / "two.jsonl").read_text() == expected
    reports = [line for line in two.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == 1 and json.loads(reports[0])["molecules"] == 3  # one report, from rank 0
