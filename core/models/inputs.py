"""Checks on the graphs handed to the models, so bad input fails with a one-line message."""

from __future__ import annotations

from torch import Tensor


def require_attributes(data: object, model_name: str, *names: str) -> None:
    """Raise ``ValueError`` naming every attribute in ``names`` that ``data`` lacks (or holds as None)."""
    missing = [name for name in names if getattr(data, name, None) is None]
    if missing:
        raise ValueError(f"{model_name} needs graph attribute(s) {', '.join(missing)}, which the input lacks")


def check_positions(pos: Tensor, num_atoms: int, num_spatial_dims: int = 3) -> None:
    """Positions must be a float tensor ``[num_atoms, num_spatial_dims]``."""
    if pos.dim() != 2 or pos.size(0) != num_atoms or pos.size(1) != num_spatial_dims:
        raise ValueError(
            f"positions must have shape [{num_atoms}, {num_spatial_dims}] (one row per atom), got {list(pos.shape)}"
        )
    if not pos.dtype.is_floating_point:
        raise ValueError(f"positions must be a floating-point tensor, got dtype {pos.dtype}")
