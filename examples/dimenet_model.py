"""PyG's DimeNet++ in equiview: per-atom outputs of a directional message-passing network, through ``from_pyg``.

Try it (this runs this file's code):

    equiview check-invariance --model dimenet=examples/dimenet_model.py:make_model --smiles "CCO" --json

DimeNet++ (Gasteiger et al., 2020, "Fast and Uncertainty-Aware Directional Message Passing") embeds each directed
edge j → i and updates it from every triplet k → j → i by the distance d_ji and the angle α_kji,

.. math::
    m_{ji}^{(l+1)} = f_{\\mathrm{update}}\\big(m_{ji}^{(l)},
        \\textstyle\\sum_{k \\in N_j \\setminus \\{i\\}} f_{\\mathrm{int}}(m_{kj}^{(l)}, e_{\\mathrm{RBF}}(d_{ji}),
        a_{\\mathrm{SBF}}(d_{kj}, \\alpha_{kji}))\\big),

and each atom's output block sums its incoming messages: t_i = Σ_l Σ_j f_out(m_ji^(l)). Distances and angles are
invariant under E(3), so t_i is too. The network is PyG's ``DimeNetPlusPlus``, unchanged; this file only replaces
two steps of its ``forward`` that need compiled extensions without a wheel for this torch (the radius graph,
pyg-lib; the triplets, torch-sparse): the radius graph comes from ``from_pyg(cutoff=...)`` and the triplets from
:func:`triplets` below, in plain torch. And it returns t_i per atom instead of their sum, so equiview colours
atoms by them.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.nn.models import DimeNetPlusPlus

from equiview.core.adapters import from_pyg

CUTOFF = 5.0  # Å; DimeNet's radial envelope is 0 there, so pairs enter the graph smoothly


def triplets(edge_index: Tensor, num_nodes: int) -> tuple[Tensor, ...]:
    """PyG's ``dimenet.triplets`` without torch-sparse: for each edge j → i (index ji) every edge k → j (index kj)
    with k ≠ i. Returns (i, j) of the edges and (idx_i, idx_j, idx_k, idx_kj, idx_ji) of the triplets."""
    row, col = edge_index  # j -> i
    order = torch.argsort(col, stable=True)  # edges grouped by their target
    counts = torch.bincount(col, minlength=num_nodes)
    starts = torch.cumsum(counts, 0) - counts
    per_edge = counts[row]  # edges k -> j arriving at each edge's source j
    idx_ji = torch.repeat_interleave(torch.arange(row.numel()), per_edge)
    offsets = torch.arange(int(per_edge.sum())) - torch.repeat_interleave(
        torch.cumsum(per_edge, 0) - per_edge, per_edge
    )
    idx_kj = order[starts[row[idx_ji]] + offsets]
    idx_i, idx_j, idx_k = col[idx_ji], row[idx_ji], row[idx_kj]
    keep = idx_i != idx_k
    return col, row, idx_i[keep], idx_j[keep], idx_k[keep], idx_kj[keep], idx_ji[keep]


class DimeNetPlusPlusAtoms(DimeNetPlusPlus):
    """``forward(data) -> [num_atoms, out_channels]``: PyG's DimeNet++ forward up to the per-atom outputs."""

    def forward(self, data) -> Tensor:
        z, pos = data.z, data.pos
        i, j, idx_i, idx_j, idx_k, idx_kj, idx_ji = triplets(data.edge_index, z.size(0))
        dist = (pos[i] - pos[j]).pow(2).sum(dim=-1).sqrt()
        pos_jk, pos_ij = pos[idx_j] - pos[idx_k], pos[idx_i] - pos[idx_j]
        angle = torch.atan2(torch.cross(pos_ij, pos_jk, dim=1).norm(dim=-1), (pos_ij * pos_jk).sum(dim=-1))
        rbf = self.rbf(dist)
        sbf = self.sbf(dist, angle, idx_kj)
        x = self.emb(z, rbf, i, j)
        atoms = self.output_blocks[0](x, rbf, i, num_nodes=pos.size(0))
        for interaction_block, output_block in zip(self.interaction_blocks, self.output_blocks[1:]):
            x = interaction_block(x, rbf, sbf, idx_kj, idx_ji)
            atoms = atoms + output_block(x, rbf, i, num_nodes=pos.size(0))
        return atoms


def make_model() -> torch.nn.Module:
    torch.manual_seed(0)
    network = DimeNetPlusPlusAtoms(
        hidden_channels=32,
        out_channels=8,
        num_blocks=2,
        int_emb_size=16,
        basis_emb_size=8,
        out_emb_channels=32,
        num_spherical=7,
        num_radial=6,
        cutoff=CUTOFF,
        output_initializer="glorot_orthogonal",  # PyG's default, zeros, makes an untrained network output 0 everywhere
    )
    return from_pyg(network.eval(), cutoff=CUTOFF)
