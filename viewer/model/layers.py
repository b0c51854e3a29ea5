"""A model row seen at one of its layers: the per-atom output of one submodule, recorded by a forward hook.

A built-in model's layers are its children in forward order (:func:`equiview.core.audit.builtin_layers`:
``f_initial_embed``, ``f_pos_embed``, ``gnn.convs.0``...); a user's model names its own with ``layers = [...]``.
:class:`LayerModel` stands where the row's model stood (the pipeline, the sweep): its features are that layer's
output, so the row is coloured by it and its badge judges it (max |Δ| of the layer between x and g·x, by the
engine). Finding the first layer whose output changes is how a broken symmetry is found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from equiview.core.errors import CommandError

LAYER_OPTION_HELP = (
    "colour and judge every row that has layer NAME by that layer's per-atom output (e.g. f_pos_embed; a user "
    "model's layers = [...]); an unknown name lists the rows' layers"
)


def layer_names(model) -> tuple[str, ...]:
    """The layers a row's model offers: a built-in checkpoint's (or ``torch.nn.Module``'s) children, a user's
    model's declared ``layers``."""
    from equiview.core.audit import builtin_layers, declared_layers
    from equiview.viewer.model.library import UserRowModel

    if isinstance(model, UserRowModel):
        return declared_layers(model.user_model.module)
    return builtin_layers(getattr(model, "model", model))


def check_layer(layer: str, layers: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The rows (of ``layers``: row -> its layer names) that have ``layer``; none is a one-line error listing them."""
    from equiview.core.audit import unknown_layer_error

    rows = tuple(row for row, names in layers.items() if layer in names)
    if not rows:
        raise unknown_layer_error(layer, layers)
    return rows


class LayerModel:
    """``model`` (a built-in :class:`~equiview.core.checkpoints.Checkpoint`, its ``torch.nn.Module``, or a
    :class:`~equiview.viewer.model.library.UserRowModel`) whose features are ``layer``'s per-atom output.

    It has no prediction head and no vectors: the row judges the layer's output for invariance."""

    target_idx = None

    def __init__(self, model, layer: str) -> None:
        from equiview.viewer.model.library import UserRowModel

        self.inner, self.layer = model, layer
        self.user = isinstance(model, UserRowModel)
        self.kind = model.kind if hasattr(model, "kind") else type(model).__name__
        self.trained = getattr(model, "trained", False)
        self.module = model.user_model.module if self.user else getattr(model, "model", model)
        if layer not in layer_names(model):
            raise CommandError(f"layer {layer!r}: not one of {', '.join(layer_names(model)) or 'no layers'}")

    @property
    def known_elements(self):
        from equiview.viewer.model.library import known_elements

        return known_elements(self.inner)

    def run(self, graph):
        """:class:`~equiview.core.user_models.ModelOutput` with the layer's output ``[n, d]`` as features."""
        import torch

        from equiview.core.audit import record_layers
        from equiview.core.embeddings import encode
        from equiview.core.user_input_errors import UserModelError
        from equiview.core.user_models import ModelOutput

        recorded, handles = record_layers(self.module, (self.layer,), self.kind)
        try:
            if self.user:
                self.inner.run(graph)
            elif hasattr(self.inner, "encode"):
                self.inner.encode(graph)
            else:
                encode(self.inner, graph)
        finally:
            for handle in handles:
                handle.remove()
        pieces = recorded.get(self.layer, [])
        n = int(graph.z.shape[0])
        value = torch.cat(pieces) if pieces and len({p.shape[1] for p in pieces}) == 1 else None
        if value is None or value.shape[0] != n:
            raise UserModelError(f"layer {self.layer!r} gives no per-atom output (one row per atom) to show")
        return ModelOutput(value.to(torch.float64))

    def encode(self, graph):
        return self.run(graph).features

    def predict_from_embedding(self, node_embed, batch=None) -> None:
        return None
