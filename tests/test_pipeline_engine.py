"""The viewer's pipeline reports the engine's numbers and draws g·x on the original pose's frozen colour scale."""

from __future__ import annotations

import numpy as np
import pytest

from equiview.core.embeddings import compare_poses
from equiview.viewer.model.colouring import ColourScale
from equiview.viewer.model.pipeline import view_transform
from equiview.viewer.model.snapshot import Snapshot, TransformParams

MOVED = TransformParams(rx=70.0, ry=-20.0, rz=120.0, tx=1.5, reflect=True)


def test_a_rows_error_is_the_engines_max_abs_difference(pipeline):
    frame = pipeline.frame(Snapshot(transform=MOVED))
    molecule = frame.molecule
    g = view_transform(MOVED, molecule.centre)
    for kind, row in frame.rows.items():
        model = pipeline.library.load(Snapshot().sources[kind]).model
        reference = compare_poses(model, molecule.graph(), g)
        assert row.max_error == pytest.approx(reference.max_error, rel=1e-6, abs=1e-9)
        # max |Δh| is absolute: at least the largest per-atom change, never a signed maximum
        assert row.max_error == pytest.approx(float(row.delta.max()), rel=1e-12)
    assert frame.rows["naive"].verdict.kind == "changed" and frame.rows["egnn"].verdict.kind == "invariant"


def test_moved_colours_use_the_frozen_scale_of_the_original_pose(pipeline):
    still = pipeline.frame(Snapshot(transform=TransformParams()))
    moved = pipeline.frame(Snapshot(transform=MOVED))
    for kind in ("naive", "egnn"):
        row = moved.rows[kind]
        assert (row.vmin, row.vmax) == (still.rows[kind].vmin, still.rows[kind].vmax)
        frozen = ColourScale(row.vmin, row.vmax, moved.colormap)
        np.testing.assert_array_equal(row.rgba_transformed, frozen.rgba(row.values_transformed))
    naive = moved.rows["naive"]
    refitted = ColourScale.fit(naive.values_transformed, moved.colormap)
    assert not np.array_equal(naive.rgba_transformed, refitted.rgba(naive.values_transformed))  # the test can tell


def test_the_drawn_atoms_are_the_atoms_the_models_saw(pipeline):
    frame = pipeline.frame(Snapshot(transform=MOVED))
    seen = frame.molecule.moved_graph(MOVED).pos.double().numpy()
    np.testing.assert_allclose(frame.positions_transformed, seen, atol=1e-5)
