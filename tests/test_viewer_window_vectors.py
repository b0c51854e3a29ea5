"""Issue 11 in the real window: the "Vectors: dipole models" preset, arrows that turn with the molecule in the
equivariant row (one glyph actor per view, the same across steps), the vector readouts and the arrow controls."""

from __future__ import annotations

import numpy as np
import pytest
from viewer_fixtures import requires_display, wait_for_frame

pytestmark = [pytest.mark.gui, requires_display]


def test_dipole_preset_draws_arrows_that_turn_with_the_molecule(qtbot, window):
    from equiview.core.transforms import E3Transform
    from equiview.viewer.arrows import dipole_angstrom_per_debye

    window.models_panel.dipole_preset_button.click()
    wait_for_frame(qtbot, window)
    assert window.state.source("naive").kind == "naive-dipole" and window.state.source("egnn").kind == "dipole"
    scene = window.controller.scene
    view = scene.view("egnn", "transformed")
    arrows, actor = view.arrows, view.arrows.actor
    assert actor.GetVisibility() and scene.view("naive", "original").arrows.actor.GetVisibility()
    props = view.renderer.GetViewProps().GetNumberOfItems()
    original = scene.view("egnn", "original").arrows.read()["direction"][0]

    window.transform_panel.rotation_sliders[2].setValue(45)
    wait_for_frame(qtbot, window)
    assert view.arrows is arrows and arrows.actor is actor
    assert view.renderer.GetViewProps().GetNumberOfItems() == props
    stored = arrows.read()
    turned = E3Transform.from_view(0, 0, 45).rotation.numpy() @ original
    np.testing.assert_allclose(stored["direction"][0], turned, atol=1e-3)  # v(g·x) = R v(x)
    np.testing.assert_allclose(stored["direction"][1], turned, atol=1e-6)  # the ghost is R v(x) exactly
    frame = window.controller.frame
    assert frame.rows["egnn"].vectors.max_error < 1e-4
    # the readouts follow a moving slider at most every 150 ms: wait for the rotated pose's numbers
    naive_readout = window.readouts.models["naive"].vectors
    qtbot.waitUntil(lambda: "does not turn" in naive_readout.text(), timeout=10000)
    readout = window.readouts.models["egnn"].vectors
    assert readout.isVisible() and "turns with the molecule" in readout.text()

    window.models_panel.arrow_scale_spin.setValue(2.0)
    wait_for_frame(qtbot, window)
    assert arrows.read()["scale"][0, 0] == pytest.approx(2 * np.linalg.norm(turned), rel=1e-4)
    radii = frame.molecule.atom_radii * scene.style.atom_scale
    per_debye = dipole_angstrom_per_debye(frame.rows["egnn"].vectors, frame.molecule.positions, radii)
    assert np.linalg.norm(turned) == pytest.approx(per_debye * frame.rows["egnn"].vectors.norm_original)
    window.models_panel.atom_vectors_check.setChecked(True)
    wait_for_frame(qtbot, window)
    assert arrows.read()["feet"].shape[0] == 2 + scene.frame.molecule.num_atoms and arrows.actor is actor
