"""Measure how far each model is from E(3) invariance on real molecules, case by case.

For every molecule and every trial, four random elements g of E(3) are applied to the positions: a proper
rotation, a reflection (det R = -1), a translation of a few ångström, and a general element (rotation, a
reflection on every other trial, and a translation). The per-atom features of both poses are compared,
error = max_atoms,channels |h(g·x) - h(x)|; like e3nn's ``assert_equivariant`` table, the report keeps the largest
error per case ("rotation", "reflection", "translation") and over all of them ("max_error"). A model that also
returns vectors is checked for equivariance: "vector_max_error" is the largest Euclidean length |v(g·x) - R v(x)|
over its vectors (for the dipole kinds: every atom's vector and the molecule's dipole). A dipole is a polar vector,
so R is applied as it is, det R = -1 included.

The models are the built-in kinds (untrained demos or checkpoints) and any user model (``--model``); the
molecules are sampled from QM9, or come from a molecule file or a SMILES. A model that does not know an element
of the molecules is reported as ``"verdict": "unsupported"`` with the ``"reason"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from equiview.core.errors import CommandError

# Translations up to a few molecule sizes: large enough that a model using raw coordinates notices.
TRANSLATION_SCALE_ANGSTROM = 5.0
CASES = ("rotation", "reflection", "translation")


@dataclass(frozen=True)
class ModelUnderTest:
    """A model as the check sees it: ``run(data) -> (features [n, d], vectors [n, 3] or None)``."""

    name: str
    description: str
    known_elements: tuple[int, ...] | None
    run: Callable[[object], tuple[Tensor, Tensor | None]]


def builtin_models(checkpoints: Sequence[str], seed: int) -> list[ModelUnderTest]:
    """Every built-in kind: the seed's untrained demo unless a checkpoint of that kind is given."""
    from equiview.core.checkpoints import load_checkpoint
    from equiview.core.embeddings import encode
    from equiview.core.known_elements import builtin_known_elements
    from equiview.core.models.registry import MODEL_KINDS, demo_model
    from equiview.core.vector_equivariance import is_vector_model, model_vectors

    models = {kind: (demo_model(kind, seed=seed), f"untrained demo (seed {seed})") for kind in MODEL_KINDS}
    given: set[str] = set()
    for path in checkpoints:
        checkpoint = load_checkpoint(path)
        if checkpoint.kind in given:
            raise CommandError(f"two checkpoints of kind {checkpoint.kind!r} given; pass at most one per model kind")
        given.add(checkpoint.kind)
        models[checkpoint.kind] = (checkpoint.model, str(path))

    def runner(model):
        if is_vector_model(model):
            # the molecule's dipole is checked with the per-atom vectors: one more row
            def run(data):
                vectors = model_vectors(model, data)
                rows = torch.cat((vectors.per_atom, vectors.molecule), dim=0)
                return encode(model, data).to(torch.float64), rows.to(torch.float64)

            return run
        return lambda data: (encode(model, data).to(torch.float64), None)

    return [
        ModelUnderTest(kind, description, builtin_known_elements(model), runner(model))
        for kind, (model, description) in models.items()
    ]


def user_model_under_test(user_model) -> ModelUnderTest:
    """A loaded :class:`equiview.core.user_models.UserModel` (its forward pass gets ``z``, ``pos`` and ``batch``)."""

    def run(data):
        output = user_model.run(data.z, data.pos)
        return output.features, output.vectors

    return ModelUnderTest(user_model.name, user_model.describe(), user_model.known_elements, run)


def random_e3_elements(count: int, generator: torch.Generator) -> list:
    """``count`` random E(3) elements; odd-numbered ones are reflections (det R = −1)."""
    from equiview.core.transforms import E3Transform

    return [
        E3Transform.random(generator, reflect=bool(trial % 2), translation_scale=TRANSLATION_SCALE_ANGSTROM)
        for trial in range(count)
    ]


def case_elements(count: int, generator: torch.Generator) -> dict[str, list]:
    """``count`` random elements of each case: proper rotations, reflections, translations, general elements."""
    from equiview.core.transforms import E3Transform

    return {
        "rotation": [E3Transform.random(generator, reflect=False, translation_scale=0.0) for _ in range(count)],
        "reflection": [E3Transform.random(generator, reflect=True, translation_scale=0.0) for _ in range(count)],
        "translation": [
            E3Transform.translation(
                torch.randn(3, generator=generator, dtype=torch.float64) * TRANSLATION_SCALE_ANGSTROM
            )
            for _ in range(count)
        ],
        "general": random_e3_elements(count, generator),
    }


def _moved(data, element):
    import copy

    moved = copy.copy(data)
    moved.pos = element.apply(data.pos)
    return moved


def measure(model: ModelUnderTest, molecules: Sequence, elements: dict[str, list]) -> dict:
    """The per-case and overall maxima of one model over ``molecules`` (PyG ``Data``) and ``elements``."""
    from equiview.core.known_elements import unsupported_reason

    reasons = [unsupported_reason(model.known_elements, data.z.numpy()) for data in molecules]
    usable = [data for data, reason in zip(molecules, reasons) if reason is None]
    if not usable:
        return {"verdict": "unsupported", "reason": reasons[0], "model": model.description}
    worst = dict.fromkeys((*CASES, "general"), 0.0)
    vector_worst: float | None = None
    for data in usable:
        h0, v0 = model.run(data)
        for case, group in elements.items():
            for element in group:
                h1, v1 = model.run(_moved(data, element))
                worst[case] = max(worst[case], float((h1 - h0).abs().max()) if h0.numel() else 0.0)
                if v0 is not None and v1 is not None:
                    expected = v0 @ element.rotation.T.to(v0.dtype)
                    error = float(torch.linalg.vector_norm(v1 - expected, dim=-1).max()) if v0.numel() else 0.0
                    vector_worst = error if vector_worst is None else max(vector_worst, error)
    result = {"max_error": max(worst.values()), **{case: worst[case] for case in CASES}}
    if vector_worst is not None:
        result["vector_max_error"] = vector_worst
    result["model"] = model.description
    if len(usable) < len(molecules):
        result["skipped"] = len(molecules) - len(usable)
        result["reason"] = next(reason for reason in reasons if reason is not None)
    return result


def sample_qm9(molecules: int, seed: int, source: str = "bundled", root: str | None = None) -> list:
    """``molecules`` QM9 molecules drawn without replacement (seeded)."""
    from equiview.core.data import load_dataset

    dataset = load_dataset(source, root=root)
    chosen = np.random.default_rng(seed).choice(len(dataset), size=min(molecules, len(dataset)), replace=False)
    return [dataset[int(index)] for index in chosen]


def check_invariance(
    checkpoints: Sequence[str] = (),
    molecules: int = 10,
    trials: int = 20,
    seed: int = 0,
    source: str = "bundled",
    root: str | None = None,
    *,
    user_models: Sequence = (),
    structures: Sequence | None = None,
) -> dict:
    """Largest per-atom feature error of every model over random E(3) elements, per case and overall.

    Without checkpoints the built-in models are the seed's freshly initialised demo models; ``user_models`` are
    loaded :class:`equiview.core.user_models.UserModel` objects. ``structures`` (:class:`equiview.core.molecule.Molecule`, e.g. from a
    file or a SMILES; at most ``molecules`` of them are used) replaces the QM9 sample.
    """
    if molecules < 1 or trials < 1:
        raise CommandError("molecules and trials must be at least 1")
    subjects = builtin_models(checkpoints, seed) + [user_model_under_test(model) for model in user_models]
    if structures is not None:
        data = [structure.to_data() for structure in list(structures)[:molecules]]
    else:
        data = sample_qm9(molecules, seed, source, root)
    elements = case_elements(trials, torch.Generator().manual_seed(seed))
    result: dict = {"molecules": len(data), "trials": trials}
    for subject in subjects:
        result[subject.name] = measure(subject, data, elements)
    return result
