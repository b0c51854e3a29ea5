"""The edge message m_ij = phi_e(h_i, h_j, ||x_i - x_j||^2): eq. (3) of Satorras et al. (2021) and of the tutorial."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MessageMLP(nn.Sequential):
    r"""Eq. (3) (the paper's and the tutorial's), one linear layer and an activation:

    .. math::

        m_{ij} = \phi_e(h_i, h_j, \|x_i - x_j\|^2) \qquad (3)

    Subclasses ``nn.Sequential`` so the tutorial's state_dict keys (``message_mlp.0.weight``,
    ``message_mlp.0.bias``) load unchanged. The input is concatenated in the tutorial's order
    (sender embedding, receiver embedding, squared distance); the weight matrix is therefore
    ``[out_channels, 2 * in_channels + 1]``.
    """

    def __init__(self, in_channels: int, out_channels: int, act: nn.Module) -> None:
        super().__init__(nn.Linear(2 * in_channels + 1, out_channels), act)

    def forward(self, h_source: Tensor, h_target: Tensor, squared_distance: Tensor) -> Tensor:  # type: ignore[override]
        """Eq. (3) as written: one row ``[h_source, h_target, d]`` per edge."""
        return super().forward(torch.cat((h_source, h_target, squared_distance), dim=-1))

    def forward_per_atom(self, node_embed: Tensor, edge_index: Tensor, squared_distance: Tensor) -> Tensor:
        """Eq. (3) for every edge of ``edge_index``, with the linear layer split by its inputs.

        W·[h_i ‖ h_j ‖ d] + b = (W_s·h)_i + (W_t·h)_j + w_d·d + b. The two matrix products then run once per
        atom (n rows) instead of once per edge (n(n−1) rows on the complete graph), and only the cheap sum is
        formed per edge. Same parameters, same result up to float rounding; it is what makes training on the
        complete graph twice as fast as concatenating the inputs edge by edge.
        """
        linear, activation = self[0], self[1]
        channels = node_embed.size(1)
        source_part = node_embed @ linear.weight[:, :channels].T
        target_part = torch.addmm(linear.bias, node_embed, linear.weight[:, channels : 2 * channels].T)
        row, col = edge_index
        # index_select has a much cheaper backward pass than advanced indexing (h[row])
        pre_activation = source_part.index_select(0, row) + target_part.index_select(0, col)
        pre_activation = torch.addcmul(pre_activation, squared_distance, linear.weight[:, 2 * channels])
        return activation(pre_activation)

    def aggregate_complete_graph(self, node_embed: Tensor, node_pos: Tensor, block_rows: int = 16) -> Tensor:
        """The sum over j != i of eq. (4), sum_j m_ji, for every atom of ONE molecule's complete graph, without
        an edge list: ``[num_atoms, out_channels]``.

        The same messages as :meth:`forward_per_atom` (eq. (2) inlined: m_ji = act((W_s·h)_j + (W_t·h)_i +
        w_d·||x_j − x_i||² + b)), laid out densely as [receivers, senders, channels] for a block of receivers at a
        time (16 receivers x 300 senders x 64 channels is 1.2 MB: it stays in the CPU's cache between the passes
        over it), activated in place when nothing needs the pre-activation (no gradient); the diagonal j = i is
        masked out. For a 300-atom molecule (89,700 edges) this is several times faster than gathering and
        scattering per edge, which is what keeps the viewer's slider interactive. Equal to the edge-list path up
        to float rounding.
        """
        linear, activation = self[0], self[1]
        channels = node_embed.size(1)
        source_part = node_embed @ linear.weight[:, :channels].T
        target_part = torch.addmm(linear.bias, node_embed, linear.weight[:, channels : 2 * channels].T)
        distance_weight = linear.weight[:, 2 * channels]
        num_atoms = node_embed.size(0)
        aggregated = node_embed.new_empty(num_atoms, linear.out_features)
        for start in range(0, num_atoms, block_rows):
            stop = min(start + block_rows, num_atoms)
            receivers = torch.arange(start, stop, device=node_embed.device)
            squared_distance = (node_pos[start:stop, None, :] - node_pos[None, :, :]).pow(2).sum(-1)  # eq. (2)
            messages = (source_part.unsqueeze(0) + target_part[start:stop].unsqueeze(1)).addcmul_(
                squared_distance.unsqueeze(-1), distance_weight
            )
            messages = _activate(activation, messages)  # [receivers, senders, channels]
            others = torch.ones(stop - start, num_atoms, dtype=messages.dtype, device=messages.device)
            others[receivers - start, receivers] = 0.0  # no message from an atom to itself
            aggregated[start:stop] = torch.bmm(others.unsqueeze(1), messages).squeeze(1)
        return aggregated


def _activate(activation: nn.Module, pre_activation: Tensor) -> Tensor:
    """``activation(pre_activation)``, in place for ReLU and SiLU when no gradient is recorded (one pass less
    over a block of messages, no new block allocated)."""
    if not torch.is_grad_enabled():
        if isinstance(activation, nn.ReLU):
            return pre_activation.relu_()
        if isinstance(activation, nn.SiLU):
            return nn.functional.silu(pre_activation, inplace=True)
    return activation(pre_activation)
