"""Training throughput: equiview's EGNN training against the tutorial's, side by side (issue 4).

Both paths train the same parameters (EGNN hidden 64, 2 layers, batch 32, Adam, MSE) from the same initial
weights on the same 2,000 molecules, drawn at random from the bundled set so their sizes follow its distribution,
with the same training-step code (:func:`equiview.core.training.epoch.train_epoch`):

* reference (the tutorial's approach): one ``Data`` per molecule with a stored itertools-built
  ``complete_edge_index`` (built once, outside the timing, as the tutorial's ``pre_transform`` does), collated by
  PyG's ``DataLoader``, and the tutorial's forward pass (concatenate ``[h_i, h_j, d_ij]`` per edge, linear layer,
  scatter-sum), see :mod:`equiview.core.training.reference_pipeline`;
* project: :class:`equiview.core.training.batches.BatchMaker` (``QM9Molecules.collate`` straight from flat arrays plus a
  vectorised complete graph per batch) and :class:`equiview.core.models.EquivariantGNN` itself.

Before timing, both paths predict every molecule with one state_dict; they must agree to 1e-5
(``torch.allclose(rtol=1e-5, atol=1e-5)``). Each path then trains ``--repeats`` epochs alternately; the fastest
epoch counts. The input pipelines alone are also timed (``*_batches_per_s``), to show which part dominates.

    python bench/bench_train_throughput.py --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from equiview.core.data import load_dataset
from equiview.core.models import build_model
from equiview.core.training.batches import BatchMaker, chunks
from equiview.core.training.epoch import train_epoch
from equiview.core.training.normalisation import TargetScaling
from equiview.core.training.reference_pipeline import TutorialEGNN, tutorial_graphs, tutorial_loader

TARGET = 5
NUMERICS_TOLERANCE = 1e-5


def reference_batches(loader):
    """The tutorial's batches, labelled with the attribute the shared training step reads."""
    for batch in loader:
        batch.target = batch.y
        yield batch


@torch.no_grad()
def compare_predictions(
    model, reference_model, fast: BatchMaker, indices: np.ndarray, graphs, batch_size: int
) -> tuple[float, bool]:
    """Largest absolute prediction difference between the paths, and whether they agree to 1e-5."""
    model.eval()
    reference_model.eval()
    fast_predictions = torch.cat([model(fast.make(chunk)) for chunk in chunks(indices, batch_size)])
    reference_predictions = torch.cat([reference_model(b) for b in tutorial_loader(graphs, batch_size, shuffle=False)])
    difference = float((fast_predictions - reference_predictions).abs().max())
    agree = torch.allclose(fast_predictions, reference_predictions, rtol=NUMERICS_TOLERANCE, atol=NUMERICS_TOLERANCE)
    return difference, agree


def batches_per_second(make_batches) -> float:
    started = time.perf_counter()
    count = sum(1 for _ in make_batches())
    return count / (time.perf_counter() - started)


def timed_epoch(model, initial_state, forward_module, batches, target_idx: int) -> float:
    """Seconds for one training epoch of ``forward_module`` (``model`` or a wrapper sharing its parameters),
    starting from ``initial_state`` with a fresh Adam."""
    model.load_state_dict(initial_state)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4, weight_decay=1e-8)
    started = time.perf_counter()
    train_epoch(
        forward_module,
        batches,
        loss_fn=torch.nn.MSELoss(),
        optimizer=optimizer,
        scaling=TargetScaling.identity(),
        target_idx=target_idx,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per path (best counts)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as the shipped runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    dataset = load_dataset("bundled")
    rng = np.random.default_rng(args.seed)
    indices = rng.choice(len(dataset), size=min(args.molecules, len(dataset)), replace=False)
    torch.manual_seed(args.seed)
    model = build_model("egnn", hidden_channels=64, num_mp_layers=2)
    initial_state = {k: v.clone() for k, v in model.state_dict().items()}

    reference_model = TutorialEGNN(model)  # the tutorial's computation on the same parameters

    fast = BatchMaker(dataset, model_kind="egnn", target_idx=TARGET, scaling=TargetScaling.identity())
    graphs = tutorial_graphs(dataset, indices, TARGET)
    difference, agree = compare_predictions(model, reference_model, fast, indices, graphs, args.batch_size)

    project_seconds, reference_seconds = [], []
    for repeat in range(args.repeats):
        order = indices[np.random.default_rng([args.seed, repeat]).permutation(len(indices))]
        loader = tutorial_loader(graphs, args.batch_size, shuffle=True, seed=args.seed + repeat)
        reference_seconds.append(timed_epoch(model, initial_state, reference_model, reference_batches(loader), 0))
        project_seconds.append(timed_epoch(model, initial_state, model, fast.iterate(order, args.batch_size), TARGET))

    result = {
        "project_mol_per_s": len(indices) / min(project_seconds),
        "reference_mol_per_s": len(indices) / min(reference_seconds),
        "molecules": int(len(indices)),
        "speedup": min(reference_seconds) / min(project_seconds),
        "max_prediction_difference": difference,
        "numerics_match": agree,
        "project_batches_per_s": batches_per_second(lambda: fast.iterate(indices, args.batch_size)),
        "reference_batches_per_s": batches_per_second(lambda: tutorial_loader(graphs, args.batch_size, False)),
        "mean_atoms": float(dataset.num_atoms[torch.as_tensor(indices)].float().mean()),
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
        "repeats": args.repeats,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"project   {result['project_mol_per_s']:8.0f} molecules/s\n"
            f"reference {result['reference_mol_per_s']:8.0f} molecules/s\n"
            f"speedup   {result['speedup']:8.2f}x on {result['molecules']} molecules "
            f"({result['threads']} thread(s)); predictions differ by at most {difference:.2e}"
        )
    return 0 if result["numerics_match"] else 1


if __name__ == "__main__":
    sys.exit(main())
