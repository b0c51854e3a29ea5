"""Measure how far each model is from E(3) invariance on real molecules, case by case, and give each a verdict.

For every molecule and every trial, four random elements g of E(3) are applied to the positions: a proper
rotation, a reflection (det R = -1), a translation of a few ångström, and a general element (rotation, a
reflection on every other trial, and a translation). The engine (:mod:`equiview.core.equivariance`) compares the
outputs: error = max_atoms,channels |h(g·x) - h(x)|, kept per case like e3nn's ``assert_equivariant`` table
("rotation", "reflection", "translation"; a general element counts as a reflection when det R = -1, else as a
rotation) and over all of them ("max_error"). A model that also returns vectors is checked for equivariance:
"vector_<case>" and "vector_max_error" are the largest Euclidean length |v(g·x) - s(R) R v(x)| over its vectors (the
dipole kinds: every atom's vector and the molecule's dipole; polar, s = 1; a user's model may declare
``vector_parity = "pseudo"``, s = det R). "verdict" is "invariant", "equivariant" (features and vectors pass),
"changed", "unsupported" (an element the model does not know, or more atoms than a built-in model computes:
:mod:`equiview.core.atom_limits`) or "failed" (a user's model raised or returned
something unusable; the other rows are still checked), judged by the engine's one tolerance policy for the
precision the models ran in (``dtype``). "worst" names the molecule and the element g of the largest error.

The models are the built-in kinds (untrained demos or checkpoints) and any user model (``--model``); the
molecules are sampled from QM9, or come from a molecule file or a SMILES. A model that does not know an element
of the molecules, or a built-in model given more atoms than it computes, is reported as ``"verdict": "unsupported"``
with the ``"reason"`` ("more than 500 atoms").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from equiview.core.equivariance import (
    DEFAULT_DTYPE,
    DTYPES,
    FAILED,
    UNSUPPORTED,
    Measurement,
    Poses,
    Summary,
    dtype_name,
    measure_features,
    measure_vectors,
    summary_verdict,
    too_large_for,
)
from equiview.core.errors import CommandError

# Translations up to a few molecule sizes: large enough that a model using raw coordinates notices.
TRANSLATION_SCALE_ANGSTROM = 5.0
CASES = ("rotation", "reflection", "translation")


@dataclass(frozen=True)
class ModelUnderTest:
    """A model as the check sees it: ``run(data) -> (features [n, d], vectors [m, 3] or None)`` with the molecule's
    positions in the precision the model runs in; ``vector_parity`` says how its vectors turn."""

    name: str
    description: str
    known_elements: tuple[int, ...] | None
    run: Callable[[object], tuple[Tensor, Tensor | None]]
    vector_parity: str = "polar"
    max_atoms: int | None = None  # a built-in model's limit (equiview.core.atom_limits); a user's model: none


def builtin_models(checkpoints: Sequence[str], seed: int, dtype: str = DEFAULT_DTYPE) -> list[ModelUnderTest]:
    """Every built-in kind: the seed's untrained demo unless a checkpoint of that kind is given, its parameters in
    ``dtype``."""
    from equiview.core.atom_limits import builtin_max_atoms
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
        model.to(DTYPES[dtype])
        if is_vector_model(model):
            # the molecule's dipole is checked with the per-atom vectors: one more row
            def run(data):
                vectors = model_vectors(model, data)
                rows = torch.cat((vectors.per_atom, vectors.molecule), dim=0)
                return encode(model, data), rows

            return run
        return lambda data: (encode(model, data), None)

    return [
        ModelUnderTest(
            kind, description, builtin_known_elements(model), runner(model), max_atoms=builtin_max_atoms(model)
        )
        for kind, (model, description) in models.items()
    ]


def user_model_under_test(user_model, dtype: str = DEFAULT_DTYPE) -> ModelUnderTest:
    """A loaded :class:`equiview.core.user_models.UserModel` (its forward pass gets ``z``, ``pos`` and ``batch``)."""

    def run(data):
        output = user_model.run(data.z, data.pos, DTYPES[dtype])
        return output.features, output.vectors

    return ModelUnderTest(
        user_model.name, user_model.describe(), user_model.known_elements, run, user_model.vector_parity
    )


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


def _moved(data, pos):
    import copy

    moved = copy.copy(data)
    moved.pos = pos
    return moved


def _in_precision(data, dtype: str):
    return _moved(data, data.pos.to(DTYPES[dtype]))


def _measured(model: ModelUnderTest, data, poses: Poses, dtype: str) -> tuple[Measurement, Measurement | None]:
    """The engine's measurements of one molecule over every pose: h and v of x and of each g·x."""
    data = _in_precision(data, dtype)
    h0, v0 = model.run(data)
    outputs = [model.run(_moved(data, pos)) for pos in poses.apply(data.pos)]
    features = measure_features(h0, torch.stack([h for h, _ in outputs]), poses, dtype)
    vectors = None
    if v0 is not None and all(v is not None for _, v in outputs):
        moved = torch.stack([v for _, v in outputs])
        vectors = measure_vectors(v0, moved, poses, model.vector_parity, dtype)
    return features, vectors


def _worst(summary: Summary, poses: Poses, molecules: Sequence) -> dict | None:
    """The molecule and the element g of the largest error relative to its bound."""
    where = summary.worst
    if where is None:
        return None
    molecule, pose = where
    g = poses[pose]
    data = molecules[molecule]
    return {
        "molecule": molecule,
        "name": str(getattr(data, "name", "") or f"molecule {molecule}"),
        "case": summary.measurements[molecule].cases[pose],
        "error": float(summary.measurements[molecule].errors[pose]),
        "rotation": g.rotation.tolist(),
        "translation": g.translation.tolist(),
    }


def measure(model: ModelUnderTest, molecules: Sequence, poses: Poses, dtype: str = DEFAULT_DTYPE) -> dict:
    """The verdict and the per-case and overall maxima of one model over ``molecules`` (PyG ``Data``) and ``poses``.

    A user's model that fails is ``{"verdict": "failed", "reason"}``; a built-in model's failure is a bug and raises.
    """
    from equiview.core.atom_limits import too_many_atoms
    from equiview.core.known_elements import unsupported_reason
    from equiview.core.user_input_errors import UserModelError

    reasons = [
        unsupported_reason(model.known_elements, data.z.numpy()) or too_many_atoms(model.max_atoms, data.num_nodes)
        for data in molecules
    ]
    usable = [data for data, reason in zip(molecules, reasons) if reason is None]
    if not usable:
        return {"verdict": UNSUPPORTED, "reason": reasons[0], "model": model.description}
    try:
        measured = [_measured(model, data, poses, dtype) for data in usable]
    except UserModelError as error:
        return {"verdict": FAILED, "reason": str(error), "model": model.description}
    features = Summary(tuple(f for f, _ in measured))
    with_vectors = all(v is not None for _, v in measured)
    vectors = Summary(tuple(v for _, v in measured)) if with_vectors else None
    result: dict = {"verdict": summary_verdict(features, vectors), "max_error": features.max_error}
    result.update(features.by_case())
    if vectors is not None:
        result.update({f"vector_{case}": error for case, error in vectors.by_case().items()})
        result["vector_max_error"] = vectors.max_error
        result["vector_parity"] = model.vector_parity
    failing = too_large_for(features, vectors)  # type: ignore[arg-type]
    if failing:
        result["too_large_for"] = list(failing)
    result["worst"] = _worst(features, poses, usable)
    if vectors is not None:
        result["vector_worst"] = _worst(vectors, poses, usable)
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
    dtype: str = DEFAULT_DTYPE,
) -> dict:
    """Largest per-atom feature error of every model over random E(3) elements, per case and overall.

    Without checkpoints the built-in models are the seed's freshly initialised demo models; ``user_models`` are
    loaded :class:`equiview.core.user_models.UserModel` objects. ``structures`` (:class:`equiview.core.molecule.Molecule`, e.g. from a
    file or a SMILES; at most ``molecules`` of them are used) replaces the QM9 sample. ``dtype`` ("float32" or
    "float64") is the precision every model runs in, and picks the engine's tolerance.
    """
    if molecules < 1 or trials < 1:
        raise CommandError("molecules and trials must be at least 1")
    dtype = dtype_name(dtype)
    subjects = builtin_models(checkpoints, seed, dtype) + [user_model_under_test(m, dtype) for m in user_models]
    if structures is not None:
        data = [structure.to_data() for structure in list(structures)[:molecules]]
    else:
        data = sample_qm9(molecules, seed, source, root)
    elements = case_elements(trials, torch.Generator().manual_seed(seed))
    poses = Poses.of([g for group in elements.values() for g in group])
    result: dict = {"molecules": len(data), "trials": trials, "dtype": dtype}
    for subject in subjects:
        result[subject.name] = measure(subject, data, poses, dtype)
    return result
