"""How many atoms each built-in model computes, and the sentence saying a molecule is beyond it.

equiview reads and shows molecules of up to ``molecule.MAX_ATOMS`` (5,000) atoms, and a user's model gets all of
them. The tutorial's models stop earlier, where one forward pass stops being interactive (a slider step runs one
per model) or its memory grows out of hand. Measured with 1 torch thread (the window's policy), the untrained demo
models on boxes of water (``examples/water_box.py``), load 0.7–3 on 2 cores:

============  ===========================  ======  =======  =======  ========  ========
model         graph                        300     500     1,000    2,000    5,000     limit
============  ===========================  ======  ======  =======  =======  ========  ========
naive         bonds (linear)               0.2 ms  —       0.4 ms   0.8 ms   1.1 ms    5,000
naive-dipole  bonds (linear)               0.4 ms  —       0.7 ms   0.8 ms   2.0 ms    5,000
egnn          complete graph, O(n²)        5 ms    25 ms   55 ms    232 ms   —         500
dipole        complete graph, 3 layers     38 ms   215 ms  611 ms   2.5 s    —         300
============  ===========================  ======  ======  =======  =======  ========  ========

Memory sets the EGNN's limit below its speed: the batched audit (``check-invariance --jsonl``) encodes all 1 + 4T
poses of a molecule in one forward, and the EGNN's messages take 256 bytes per edge (64 float32 channels): at
5 trials 21 · n(n − 1) edges are 1.3 GB at 500 atoms but 5.4 GB at 1,000 (a sweep at 1,000 atoms asked for 5.1 GB
before its passes were bounded by atom pairs). The dipole EGNN took 2 GB in one forward at 2,000 atoms. A larger
molecule makes the row *not available* with the reason
"more than N atoms", like an element the model does not know: in the window, ``render``, ``sweep`` and
``check-invariance`` that row is skipped with this reason, never computed, never "invariant".
"""

from __future__ import annotations

from equiview.core.molecule import MAX_ATOMS

BUILTIN_MAX_ATOMS: dict[str, int] = {"naive": MAX_ATOMS, "naive-dipole": MAX_ATOMS, "egnn": 500, "dipole": 300}
"""The largest molecule (atoms) each built-in kind computes; see the table above."""


def builtin_max_atoms(model) -> int | None:
    """The atom limit of a built-in model (an ``nn.Module`` of one of the tutorial's kinds); None for anything else
    (a user's model gets every molecule equiview reads)."""
    from equiview.core.models.registry import MODEL_KINDS, model_class

    for kind in MODEL_KINDS:
        if type(model) is model_class(kind):
            return BUILTIN_MAX_ATOMS[kind]
    return None


def too_many_atoms(max_atoms: int | None, num_atoms: int) -> str | None:
    """None when a model with limit ``max_atoms`` computes a molecule of ``num_atoms`` atoms, else the reason."""
    if max_atoms is None or num_atoms <= max_atoms:
        return None
    return f"more than {max_atoms} atoms"
