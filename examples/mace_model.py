"""A MACE model (mace-torch) in equiview: its per-atom irreps features, its invariant scalars and its forces.

Try it (this runs this file's code; needs ``pip install mace-torch``):

    equiview check-invariance --model mace=examples/mace_model.py:make_model --smiles "CCO" --jsonl mace.jsonl --json

The MACE here is small and randomly initialised (seeded; no download): two interactions, hidden irreps
"16x0e+16x1o", correlation order 2, cutoff 5 Å, for QM9's elements H, C, N, O, F. Load your trained model's
``state_dict`` in ``make_model`` to look at your own. equiview receives

- ``features``: the l = 0 channels of MACE's ``node_feats`` (invariant),
- ``vectors``: the forces −∂E/∂x from MACE's own ``compute_force=True`` (polar vectors; ``needs_grad = True``
  makes equiview run the forward pass with gradients enabled, which MACE's autograd forces need),
- ``irreps``: all of ``node_feats``, "16x0e+16x1o+16x0e" (the first interaction's scalars and vectors, the last
  one's scalars), each block checked against its Wigner-D matrix.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

# mace-torch 0.3.16 pins e3nn 0.4.4, which loads its constants with torch.load: torch >= 2.6 needs slice allowed
torch.serialization.add_safe_globals([slice])
from e3nn import o3  # noqa: E402
from mace import modules  # noqa: E402

ELEMENTS = (1, 6, 7, 8, 9)  # H C N O F
CUTOFF = 5.0  # Å
IRREPS = "16x0e+16x1o+16x0e"
"""MACE's node_feats: the first interaction's 16x0e+16x1o, then the last one's scalars (it keeps l = 0 only)."""


class MACEFeatures(nn.Module):
    """MACE on equiview's protocol: ``forward(z, pos, batch)`` -> {features, vectors (forces), irreps}."""

    needs_grad = True
    batched = True
    known_elements = ELEMENTS

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.mace = modules.MACE(
            r_max=CUTOFF,
            num_bessel=8,
            num_polynomial_cutoff=5,
            max_ell=2,
            interaction_cls=modules.interaction_classes["RealAgnosticResidualInteractionBlock"],
            interaction_cls_first=modules.interaction_classes["RealAgnosticResidualInteractionBlock"],
            num_interactions=2,
            num_elements=len(ELEMENTS),
            hidden_irreps=o3.Irreps("16x0e+16x1o"),
            MLP_irreps=o3.Irreps("16x0e"),
            atomic_energies=np.zeros(len(ELEMENTS)),
            avg_num_neighbors=8.0,
            atomic_numbers=list(ELEMENTS),
            correlation=2,
            gate=torch.nn.functional.silu,
        )
        self.register_buffer("index_of", torch.full((100,), -1, dtype=torch.long))
        self.index_of[list(ELEMENTS)] = torch.arange(len(ELEMENTS))

    def forward(self, z: Tensor, pos: Tensor, batch: Tensor) -> dict:
        graphs = int(batch.max()) + 1
        close = (batch[:, None] == batch[None, :]) & (torch.cdist(pos, pos) < CUTOFF)
        close.fill_diagonal_(False)
        edge_index = close.nonzero().t()
        counts = torch.bincount(batch, minlength=graphs)
        data = {
            "positions": pos,
            "node_attrs": nn.functional.one_hot(self.index_of[z], len(ELEMENTS)).to(pos.dtype),
            "edge_index": edge_index,
            "shifts": torch.zeros(edge_index.shape[1], 3, dtype=pos.dtype),
            "unit_shifts": torch.zeros(edge_index.shape[1], 3, dtype=pos.dtype),
            "cell": torch.zeros(graphs * 3, 3, dtype=pos.dtype),
            "batch": batch,
            "ptr": torch.cat((counts.new_zeros(1), counts.cumsum(0))),
            "head": torch.zeros(graphs, dtype=torch.long),
        }
        out = self.mace(data, training=False, compute_force=True)
        node_feats = out["node_feats"]
        scalars = torch.cat((node_feats[:, :16], node_feats[:, 64:80]), dim=1)  # both interactions' 16x0e
        return {"features": scalars, "vectors": out["forces"], "irreps": (node_feats, IRREPS)}


def make_model() -> nn.Module:
    return MACEFeatures()
