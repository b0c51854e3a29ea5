"""equiview for test suites: ``assert_invariant`` and ``assert_equivariant``, like e3nn's ``assert_equivariant``.

    from equiview.testing import assert_invariant, assert_equivariant

    def test_my_model_is_invariant():
        assert_invariant(MyModel(), molecules=16, trials=5)

``model`` is a ``torch.nn.Module`` with equiview's protocol, ``forward(z, pos, batch)`` returning per-atom
features ``[n, d]`` or ``(features, vectors [n, 3])`` (README, "Your own model"; ``batched = True`` gets many
molecules per call), or one of equiview's own models. ``molecules`` is a count of QM9 test-split molecules, a
molecule file's path, or a list of SMILES strings and :class:`equiview.core.molecule.Molecule` objects.

Every comparison is the one engine's (:mod:`equiview.core.equivariance`), through the batched audit
(:mod:`equiview.core.audit`): the same numbers ``check-invariance`` prints. Without ``rtol``/``atol`` the
engine's tolerance for ``dtype`` applies (error <= absolute + relative × max|h(x)|); ``dtype="float64"`` runs
a copy of the model in double precision. A failure is ONE ``AssertionError`` naming the case, the molecule
and the error against its bound.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import torch

__all__ = ["assert_equivariant", "assert_invariant"]


def assert_invariant(
    model: torch.nn.Module,
    molecules: int | str | Path | Sequence = 8,
    trials: int = 5,
    rtol: float | None = None,
    atol: float | None = None,
    dtype: str | torch.dtype = "float32",
    seed: int = 0,
) -> dict:
    """Raise ``AssertionError`` unless the per-atom features are invariant under rotations, reflections and
    translations of every molecule; returns the largest error per case."""
    return _check(model, molecules, trials, rtol, atol, dtype, seed, vectors=False, parity="polar")


def assert_equivariant(
    model: torch.nn.Module,
    molecules: int | str | Path | Sequence = 8,
    trials: int = 5,
    rtol: float | None = None,
    atol: float | None = None,
    dtype: str | torch.dtype = "float32",
    seed: int = 0,
    parity: str = "polar",
) -> dict:
    """Raise ``AssertionError`` unless the features are invariant AND the vectors turn with the molecule,
    v(g·x) = s(R) R v(x) (``parity="polar"``: s = 1, e.g. forces and dipoles; ``"pseudo"``: s = det R)."""
    return _check(model, molecules, trials, rtol, atol, dtype, seed, vectors=True, parity=parity)


def _molecule_set(molecules, seed: int):
    from equiview.core import audit

    if isinstance(molecules, bool):
        raise TypeError("molecules must be a count, a molecule file or a list of molecules")
    if isinstance(molecules, int):
        if molecules < 1:
            raise ValueError(f"molecules must be at least 1, got {molecules}")
        indices = audit.split_indices("test")
        chosen = torch.randperm(len(indices), generator=torch.Generator().manual_seed(seed))[:molecules]
        return audit.qm9_molecules([indices[int(i)] for i in chosen])
    if isinstance(molecules, (str, Path)):
        from equiview.core.molecule_files import read_molecule_file

        return audit.structure_molecules(list(read_molecule_file(str(molecules))), str(molecules))
    from equiview.core.smiles import molecule_from_smiles

    structures = [molecule_from_smiles(m) if isinstance(m, str) else m for m in molecules]
    if not structures:
        raise ValueError("molecules is an empty list")
    return audit.structure_molecules(structures)


def _subject(model, dtype: torch.dtype, parity: str):
    from dataclasses import replace

    from equiview.core import audit
    from equiview.core.known_elements import as_atomic_numbers
    from equiview.core.user_models import ModelSpec, UserModel

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    copied = copy.deepcopy(model)  # the audit moves the model to the dtype: never the caller's object
    cpu = torch.device("cpu")
    from equiview.core.models.registry import MODEL_KINDS, model_class

    if isinstance(copied, tuple(model_class(kind) for kind in MODEL_KINDS)):  # equiview's own: encode(data)
        subject = audit.builtin_subject(type(model).__name__, copied, "equiview model", cpu, dtype)
    else:
        known = getattr(copied, "known_elements", None)
        known = as_atomic_numbers(known, type(model).__name__) if known is not None else None
        spec = ModelSpec(type(model).__name__, "<python>", "object")
        subject = audit.user_subject(UserModel(spec, copied.eval(), known), cpu, dtype)
    return replace(subject, parity=parity)


def _check(model, molecules, trials, rtol, atol, dtype, seed, vectors: bool, parity: str) -> dict:
    from equiview.core import audit
    from equiview.core import equivariance as engine

    dtype_name = engine.dtype_name(dtype)
    engine.check_parity(parity)
    tolerance = engine.tolerance_for(dtype_name)
    if rtol is not None or atol is not None:
        tolerance = engine.Tolerance(
            absolute=tolerance.absolute if atol is None else float(atol),
            relative=tolerance.relative if rtol is None else float(rtol),
        )
    molecule_set = _molecule_set(molecules, seed)
    subject = _subject(model, engine.DTYPES[dtype_name], parity)
    run = audit.Audit([subject], molecule_set, audit.audit_poses(trials, seed), torch.device("cpu"), dtype_name)
    failures = []  # (error / bound, what, case, molecule position, error, scale)
    worst: dict[str, float] = {}
    measured = 0
    scales: list[float] = []  # every output's max |h(x)|, |v(x)|: all 0 means nothing was tested
    for k, _, result in run.run():
        if result.failed:
            raise AssertionError(f"{subject.name} failed on molecule {molecule_set.names[k]!r}: {result.reason}")
        if result.reason is not None:
            continue
        measured += 1
        outputs = [("features", result.features)]
        if vectors:
            if result.vectors is None:
                raise AssertionError(f"{subject.name} returns no vectors: assert_equivariant needs (features, vectors)")
            outputs.append(("vectors", result.vectors))
        outputs += [(f"irreps {label}", m) for label, m in (result.irreps or {}).items()]
        for what, measurement in outputs:
            scales.append(measurement.scale)
            for case, error in measurement.by_case().items():
                key = {"features": case, "vectors": f"vector_{case}"}.get(what, f"{what.replace(' ', '_')}_{case}")
                worst[key] = error if error != error else max(worst.get(key, 0.0), error)
                if not tolerance.accepts(error, measurement.scale):
                    bound = tolerance.bound(measurement.scale)
                    ratio = float("inf") if error != error else error / bound
                    failures.append((ratio, what, case, k, error, measurement.scale))
    if measured == 0:
        raise ValueError(f"{subject.name} knows none of the molecules' elements: nothing was tested")
    if scales and max(scales) == 0:  # zeros compare equal in every pose: passing would say nothing
        raise AssertionError(f"{subject.name}: {audit.ZERO_OUTPUT_NOTE} (a zero-initialised output layer?)")
    if failures:
        ratio, what, case, k, error, scale = max(failures, key=lambda item: item[0])
        formula = {"features": "|h(g·x) − h(x)|", "vectors": "|v(g·x) − s(R) R v(x)|"}.get(
            what, f"|h(g·x) − D(g) h(x)| of the {what.split()[-1]} block"
        )
        failing_molecules = len({item[3] for item in failures})
        raise AssertionError(
            f"{subject.name} is not {'equivariant' if vectors else 'invariant'}: case {case!r}, molecule "
            f"{molecule_set.names[k]!r} (#{k}): max {formula} = {error:.3e} > {tolerance.bound(scale):.3e} "
            f"(= {tolerance.absolute:g} + {tolerance.relative:g} × {scale:.3g}, {dtype_name}); "
            f"{failing_molecules} of {measured} molecules fail"
        )
    return worst
