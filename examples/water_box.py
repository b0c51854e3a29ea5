"""A box of water molecules with exactly N atoms, written as an XYZ file: a large molecule to try equiview on.

    python examples/water_box.py 5000 water5000.xyz
    equiview gui --molecule-file water5000.xyz --model cutoff=examples/cutoff_model.py:build

Waters sit on a cubic grid 3.1 Å apart (liquid water's O–O distance), each turned by its own seeded random rotation,
so the same N always gives the same file. N = 3k + 2 ends with one hydroxide (O–H), N = 3k + 1 with one oxide ion
(a lone O), so every N has a box. Only H and O: the tutorial's models know both elements, and a model that cannot
take the size says so ("not available: more than N atoms") instead of failing on an element.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SPACING = 3.1  # Å between neighbouring oxygens
WATER = np.array([[0.0, 0.0, 0.0], [0.9572, 0.0, 0.0], [-0.2400, 0.9266, 0.0]])  # O, H, H; 0.9572 Å, 104.5°


def water_box(atoms: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Element symbols and positions (Å, float64 [atoms, 3]) of ``atoms`` atoms of water."""
    if atoms < 1:
        raise ValueError("a box needs at least one atom")
    waters = -(-atoms // 3)
    side = int(np.ceil(waters ** (1 / 3)))
    grid = np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)[:waters] * SPACING
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((waters, 3, 3)))
    rotations = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]  # Haar-random orthogonal matrices
    positions = grid[:, None, :] + np.einsum("wij,aj->wai", rotations, WATER)
    symbols = ["O", "H", "H"] * waters
    return symbols[:atoms], positions.reshape(-1, 3)[:atoms]


def write_xyz(path: str | Path, atoms: int, seed: int = 0) -> Path:
    """The box of :func:`water_box` as an XYZ file at ``path``."""
    symbols, positions = water_box(atoms, seed)
    lines = [str(atoms), f"water box, {atoms} atoms (seed {seed})"]
    lines += [f"{s} {x:.5f} {y:.5f} {z:.5f}" for s, (x, y, z) in zip(symbols, positions)]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python examples/water_box.py ATOMS OUT.xyz")
    print(write_xyz(sys.argv[2], int(sys.argv[1])))
