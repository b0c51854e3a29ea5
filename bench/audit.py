"""Throughput of the batched invariance audit against its two yardsticks, measured in one run.

- the audit: ``check-invariance --split test`` as it runs (core/audit.py): the shipped naive and egnn checkpoints,
  ``--trials`` elements per case, so every molecule is posed 1 + 4T times (x itself and 4T elements g);
- the limit: a plain batched forward (``model.encode`` of collated batches of 256 molecules, nothing else) of
  the same molecules, per model; ``fraction_of_limit`` = the time that plain forwards of the audit's
  molecule-poses would take / the audit's time (goal >= 0.5);
- the loop: one forward per molecule and pose, as check-invariance ran before (``encode`` of each posed
  molecule, then the engine's comparison) on ``--loop-molecules`` molecules; ``speedup_vs_loop`` = audit
  molecule-poses per second / the loop's (goal >= 3).

``--all`` also times the whole bundled set (21,800 molecules, both models; goal: within 8 minutes).
The thread count is the app's own policy for batch work (core/threads.py), printed under "threads".

    .venv/bin/python bench/audit.py --json
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("naive", "egnn")
GOALS = {"fraction_of_limit": 0.5, "speedup_vs_loop": 3.0, "all_seconds": 480.0}


def _subjects(device, torch):
    from equiview.core import audit
    from equiview.core.assets import checkpoint_path

    paths = [str(checkpoint_path(kind)) for kind in SHIPPED]
    return audit.builtin_subjects(paths, 0, device, torch.float32, kinds=SHIPPED)


def _plain_forward_seconds(subjects, dataset, indices, torch) -> dict[str, float]:
    """Seconds per molecule of a plain batched forward (batches of 256) for each model."""
    seconds = {}
    for subject in subjects:
        subject.run(dataset.collate(indices[:256]))  # warm-up
        started = time.perf_counter()
        for start in range(0, len(indices), 256):
            subject.run(dataset.collate(indices[start : start + 256]))
        seconds[subject.name] = (time.perf_counter() - started) / len(indices)
    return seconds


def _audit_seconds(subjects, indices, trials: int, torch, source="bundled") -> tuple[float, int]:
    from equiview.core import audit

    molecules = audit.qm9_molecules(indices, source)
    run = audit.Audit(subjects, molecules, audit.audit_poses(trials, 0), torch.device("cpu"))
    list(run.run(list(range(min(8, len(molecules))))))  # warm-up
    started = time.perf_counter()
    count = sum(1 for _ in run.run())
    return time.perf_counter() - started, count


def _loop_seconds_per_pose(indices, trials: int, torch) -> float:
    """Today's loop: one forward per molecule and pose for each model; seconds per model and molecule-pose."""
    from equiview.core import audit
    from equiview.core import equivariance as engine
    from equiview.core.assets import checkpoint_path
    from equiview.core.checkpoints import load_checkpoint
    from equiview.core.data import load_dataset
    from equiview.core.embeddings import encode

    dataset = load_dataset("bundled")
    poses = audit.audit_poses(trials, 0)
    models = [load_checkpoint(str(checkpoint_path(kind))).model.eval() for kind in SHIPPED]
    started = time.perf_counter()
    for model in models:
        for index in indices:
            data = dataset[int(index)]
            h_x = encode(model, data)
            moved = []
            for b in range(1, len(poses)):
                posed = data.clone()
                posed.pos = poses[b].apply(data.pos)
                moved.append(encode(model, posed))
            engine.feature_errors(h_x, torch.stack(moved))
    return (time.perf_counter() - started) / (len(models) * len(indices) * len(poses))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--trials", type=int, default=5, help="elements per case (default 5)")
    parser.add_argument("--molecules", type=int, default=None, help="audit only the first N test molecules")
    parser.add_argument(
        "--loop-molecules",
        type=int,
        default=100,
        help="molecules for the loop baseline (100: 20 gave a loop time too short to be steady)",
    )
    parser.add_argument("--all", action="store_true", help="also audit the whole bundled set (21,800 molecules)")
    args = parser.parse_args(argv)

    from _report import emit, machine  # bench/ is sys.path[0] when a bench runs as a script

    from equiview.core.threads import apply_thread_policy

    threads = apply_thread_policy("batch")  # what check-invariance applies
    import torch

    from equiview.core.audit import split_indices
    from equiview.core.data import load_dataset

    dataset = load_dataset("bundled")
    indices = split_indices("test")[: args.molecules]
    subjects = _subjects(torch.device("cpu"), torch)
    poses_per_molecule = 1 + 4 * args.trials
    load_before = os.getloadavg()

    plain = _plain_forward_seconds(subjects, dataset, indices, torch)
    audit_s, rows = _audit_seconds(subjects, indices, args.trials, torch)
    loop_s_per_pose = _loop_seconds_per_pose(indices[: args.loop_molecules], args.trials, torch)

    molecule_poses = len(indices) * poses_per_molecule * len(subjects)
    limit_s = sum(plain[name] for name in plain) * len(indices) * poses_per_molecule
    rate = molecule_poses / audit_s
    result = {
        "molecules": len(indices),
        "models": list(SHIPPED),
        "trials": args.trials,
        "poses_per_molecule": poses_per_molecule,
        "rows": rows,
        "audit_seconds": round(audit_s, 2),
        "molecule_poses_per_s": round(rate, 1),
        "limit_molecule_poses_per_s": round(molecule_poses / limit_s, 1),
        "plain_forward_molecules_per_s": {name: round(1.0 / s, 1) for name, s in plain.items()},
        "loop_molecule_poses_per_s": round(1.0 / loop_s_per_pose, 1),
        "fraction_of_limit": round(limit_s / audit_s, 3),
        "speedup_vs_loop": round(rate * loop_s_per_pose, 2),
        "goals": GOALS,
    }
    if args.all:
        all_s, _ = _audit_seconds(subjects, split_indices("all"), args.trials, torch)
        result["all_molecules"] = len(dataset)
        result["all_seconds"] = round(all_s, 1)
    result["load_average_before"] = [round(v, 2) for v in load_before]
    result.update(machine(threads))  # its load_average is the one after the runs
    result["met"] = {
        "fraction_of_limit": result["fraction_of_limit"] >= GOALS["fraction_of_limit"],
        "speedup_vs_loop": result["speedup_vs_loop"] >= GOALS["speedup_vs_loop"],
        **({"all_seconds": result["all_seconds"] <= GOALS["all_seconds"]} if args.all else {}),
    }
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
