"""The models run without importing PyG, and compute exactly what PyG's modules computed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize(("hidden", "layers", "out"), [(32, 2, 1), (64, 4, 64), (16, 3, 5)])
def test_gin_is_pyg_gin_bit_for_bit(dataset, seed, hidden, layers, out):
    import torch_geometric.nn as geom_nn

    from equiview.core.models.naive import GIN

    act = torch.nn.ReLU()
    torch.manual_seed(seed)
    reference = geom_nn.models.GIN(
        in_channels=hidden, hidden_channels=hidden, out_channels=out, num_layers=layers, act=act
    ).eval()
    after_reference = torch.rand(4)
    torch.manual_seed(seed)
    ours = GIN(hidden, hidden, layers, out, act).eval()
    assert torch.equal(torch.rand(4), after_reference)  # the same random numbers were drawn
    theirs, mine = reference.state_dict(), ours.state_dict()
    assert list(theirs) == list(mine)
    assert all(torch.equal(theirs[key], mine[key]) for key in theirs)
    batch = dataset.collate([0, 800, 5634])
    x = torch.randn(batch.z.numel(), hidden, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        assert torch.equal(reference(x, batch.edge_index), ours(x, batch.edge_index))


def test_sum_pool_and_scatter_are_pygs():
    from torch_geometric.nn.aggr import SumAggregation
    from torch_geometric.utils import scatter

    from equiview.core.models.aggregation import _scatter_sum_pyg
    from equiview.core.models.blocks import sum_pool

    x = torch.randn(11, 6, generator=torch.Generator().manual_seed(1))
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3])
    assert torch.equal(sum_pool(x, batch), SumAggregation()(x, batch))
    assert torch.equal(sum_pool(x), SumAggregation()(x))
    index = torch.randint(0, 5, (11,), generator=torch.Generator().manual_seed(2))
    assert torch.equal(_scatter_sum_pyg(x, index, 7), scatter(x, index, dim=0, dim_size=7, reduce="sum"))


def test_loading_and_running_a_model_does_not_import_pyg():
    script = textwrap.dedent(
        """
        import sys
        import torch
        from equiview.core.checkpoints import Checkpoint, load_checkpoint
        from equiview.core.models.registry import MODEL_KINDS, VECTOR_KINDS
        from equiview.core.vector_equivariance import model_vectors

        class Graph:
            z = torch.tensor([6, 1, 1, 1, 1])
            pos = torch.randn(5, 3)
            edge_index = torch.tensor([[0, 1, 0, 2, 0, 3, 0, 4], [1, 0, 2, 0, 3, 0, 4, 0]])

        for kind in MODEL_KINDS:
            model = Checkpoint.untrained(kind, 0)
            if kind in VECTOR_KINDS:  # a dipole is read off the positions, not the embeddings alone
                model.predict(Graph())
                model_vectors(model.model, Graph())
            else:
                model.predict_from_embedding(model.encode(Graph()))
        assert "torch_geometric" not in sys.modules, "PyG was imported"
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]
