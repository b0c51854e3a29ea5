"""Which elements a model knows, and the sentence saying why a molecule is beyond it.

The tutorial's models (and equiview's shipped checkpoints) learnt only QM9's elements: their atom-type table has
rows for other atomic numbers, but those rows never saw a gradient, so a molecule with sulfur would be coloured by
noise. Such a molecule makes the model *unsupported* rather than silently wrong. A user's model states its
elements with an optional ``known_elements`` attribute (symbols or atomic numbers); without it, it knows all.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from equiview.core.elements import MAX_Z, SYMBOLS, atomic_number

QM9_ELEMENTS: tuple[int, ...] = (1, 6, 7, 8, 9)
"""H, C, N, O, F: what the tutorial's naive GNN and EGNN were trained on."""


def element_names(numbers: Iterable[int]) -> str:
    """'H, C, N, O, F' (by atomic number)."""
    return ", ".join(SYMBOLS[z] for z in sorted(set(int(v) for v in numbers)))


def as_atomic_numbers(elements: Iterable[int | str], owner: str) -> tuple[int, ...]:
    """Atomic numbers of ``elements`` (symbols or numbers); ``ValueError`` naming ``owner`` otherwise."""
    if isinstance(elements, (str, bytes)) or not isinstance(elements, Iterable):
        raise ValueError(
            f"{owner}: known_elements is a {type(elements).__name__}; expected a list of symbols or atomic numbers"
        )
    numbers = []
    for element in elements:
        try:
            if isinstance(element, bool) or not isinstance(element, (str, int, np.integer)):
                raise TypeError(element)
            z = atomic_number(element) if isinstance(element, str) else int(element)
        except (KeyError, TypeError, ValueError, OverflowError):
            raise ValueError(f"{owner}: known_elements lists {element!r}, which is not an element") from None
        if not 1 <= z <= MAX_Z:
            raise ValueError(f"{owner}: known_elements lists atomic number {z}, outside H..Rn")
        numbers.append(z)
    if not numbers:
        raise ValueError(f"{owner}: known_elements is empty")
    return tuple(sorted(set(numbers)))


def builtin_known_elements(model) -> tuple[int, ...] | None:
    """QM9's elements for the tutorial's architectures, None (all) for anything else."""
    from equiview.core.models.registry import MODEL_KINDS, model_class

    builtin = tuple(model_class(kind) for kind in MODEL_KINDS)
    return QM9_ELEMENTS if isinstance(model, builtin) else None


def unsupported_reason(known: Iterable[int] | None, z) -> str | None:
    """None when the model knows every element of the molecule, else the one-line reason."""
    if known is None:
        return None
    present = {int(v) for v in np.unique(np.asarray(z))}
    missing = present - set(known)
    if not missing:
        return None
    return f"this model knows {element_names(known)}; the molecule has {element_names(missing)}"


QM9_MAX_HEAVY_ATOMS = 9
"""QM9 holds molecules of at most 9 heavy (non-hydrogen) atoms: what the shipped models learnt from."""
QM9_MAX_ATOMS = 29
"""...and at most 29 atoms in all."""
OUTSIDE_TRAINING_DATA = "outside the training data: not a prediction"


def training_domain_problem(z) -> str | None:
    """None for a molecule like the QM9 molecules the built-in models learnt from, else why its predicted property
    means nothing (more heavy atoms or more atoms than any training molecule). The invariance check still holds:
    only the prediction is out of domain."""
    numbers = np.asarray(z).reshape(-1)
    heavy = int((numbers > 1).sum())
    if heavy > QM9_MAX_HEAVY_ATOMS:
        return f"{OUTSIDE_TRAINING_DATA} ({heavy} heavy atoms; QM9 has at most {QM9_MAX_HEAVY_ATOMS})"
    if numbers.size > QM9_MAX_ATOMS:
        return f"{OUTSIDE_TRAINING_DATA} ({numbers.size} atoms; QM9 has at most {QM9_MAX_ATOMS})"
    return None
