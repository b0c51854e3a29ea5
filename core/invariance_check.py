"""Measure how far each model is from E(3) invariance on real molecules.

For every sampled molecule and every trial, a random element g of E(3) (uniform rotation, a reflection on every
other trial, and a translation of a few ångström) is applied to the positions, and the per-atom embeddings of
both poses are compared: error = max_atoms,channels |h(g·x) − h(x)|. The report keeps the largest error seen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

# Translations up to a few molecule sizes: large enough that a model using raw coordinates notices.
TRANSLATION_SCALE_ANGSTROM = 5.0


def _models_under_test(checkpoints: Sequence[str], seed: int) -> dict[str, tuple[torch.nn.Module, str]]:
    from core.checkpoints import load_checkpoint
    from core.models.registry import MODEL_KINDS, demo_model

    models = {kind: (demo_model(kind, seed=seed), f"untrained demo (seed {seed})") for kind in MODEL_KINDS}
    given: set[str] = set()
    for path in checkpoints:
        checkpoint = load_checkpoint(path)
        if checkpoint.kind in given:
            raise ValueError(f"two checkpoints of kind {checkpoint.kind!r} given; pass at most one per model kind")
        given.add(checkpoint.kind)
        models[checkpoint.kind] = (checkpoint.model, str(path))
    return models


def random_e3_elements(count: int, generator: torch.Generator) -> list:
    """``count`` random E(3) elements; odd-numbered ones are reflections (det R = −1)."""
    from core.transforms import E3Transform

    return [
        E3Transform.random(generator, reflect=bool(trial % 2), translation_scale=TRANSLATION_SCALE_ANGSTROM)
        for trial in range(count)
    ]


def check_invariance(
    checkpoints: Sequence[str] = (),
    molecules: int = 10,
    trials: int = 20,
    seed: int = 0,
    source: str = "bundled",
    root: str | None = None,
) -> dict:
    """Largest per-atom embedding error of the EGNN and the naive GNN over random E(3) elements.

    Without checkpoints both models are the seed's freshly initialised demo models.
    """
    from core.data import load_dataset
    from core.embeddings import compare_poses

    if molecules < 1 or trials < 1:
        raise ValueError("molecules and trials must be at least 1")
    models = _models_under_test(checkpoints, seed)
    dataset = load_dataset(source, root=root)
    chosen = np.random.default_rng(seed).choice(len(dataset), size=min(molecules, len(dataset)), replace=False)
    generator = torch.Generator().manual_seed(seed)
    elements = random_e3_elements(trials, generator)

    result: dict = {"molecules": int(len(chosen)), "trials": trials}
    for kind, (model, description) in models.items():
        worst = 0.0
        for index in chosen:
            data = dataset[int(index)]
            for element in elements:
                worst = max(worst, compare_poses(model, data, element).max_error)
        result[kind] = {"max_error": worst, "model": description}
    return result
