"""The window with the user's molecules and models (issue 12): real files, a real window under Xvfb."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from molecule_files_fixtures import ETHANOL, write_multi_xyz, write_xyz
from viewer_fixtures import drop_file, requires_display, wait_for_frame

pytestmark = [pytest.mark.gui, requires_display]

INVARIANT = """
import torch
from torch import nn

class Distances(nn.Module):
    def forward(self, z, pos, batch):
        d = torch.cdist(pos, pos)
        return torch.stack([torch.exp(-d).sum(1), (d * d).sum(1)], dim=1)

def make():
    return Distances()
"""

RAW = """
import torch
from torch import nn

class Raw(nn.Module):
    def forward(self, z, pos, batch):
        return pos + 0.0

def make():
    return Raw()
"""

BROKEN_FORWARD = """
import torch
from torch import nn

class Broken(nn.Module):
    def forward(self, z, pos, batch):
        if pos[:, 2].abs().max() > 0.9:  # fine at first, fails once the molecule is turned far enough
            raise RuntimeError("my layer broke")
        return pos[:, :1] * 0 + z[:, None].float()

def make():
    return Broken()
"""


def model_file(tmp_path, name: str, source: str):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return f"{name}={path}:make"


def add_model(qtbot, window, spec: str, loads: bool = True) -> None:
    """Add a user's model row and wait until its file has loaded on its thread (or failed to)."""
    with qtbot.waitSignal(window.userModelLoaded, timeout=30000) as blocker:
        assert window.add_user_model(spec)
    assert blocker.args == [spec.partition("=")[0], loads]
    wait_for_frame(qtbot, window)


def turn(qtbot, window, degrees: float) -> None:
    window.transform_panel.rotation_spins[0].setValue(degrees)
    wait_for_frame(qtbot, window)
    readouts_follow(qtbot, window)


def readouts_follow(qtbot, window) -> None:
    """While something moves the readouts lag up to 150 ms behind the frame: wait until they show it."""
    qtbot.waitUntil(lambda: window.readouts._frame is window.controller.frame, timeout=10000)


def test_open_a_multi_molecule_file_browse_it_and_see_unsupported_rows(qtbot, window, tmp_path):
    path = write_multi_xyz(tmp_path / "three.xyz")
    assert window.open_molecule_file(path)
    wait_for_frame(qtbot, window)
    scene = window.controller.scene
    assert scene.view("input", "original").atom_positions().shape == (3, 3)  # water first
    panel = window.molecule_panel
    assert panel.structure_list.count() == 3 and not panel.structure_list.isHidden()
    assert "water" in panel.summary.text() and "3 atoms" in panel.summary.text()
    assert panel.table.isHidden()  # QM9 properties only for QM9 molecules
    assert window.recent_molecule_files()[0] == str(path.resolve())

    panel.structure_list.setCurrentRow(2)  # methanethiol: sulfur
    wait_for_frame(qtbot, window)
    readouts_follow(qtbot, window)
    assert scene.view("input", "original").atom_positions().shape == (6, 3)
    for row in ("naive", "egnn"):
        assert window.controller.frame.rows[row].status == "unsupported"
        assert "the molecule has S" in window.readouts.models[row].error.text()
        assert "the molecule has S" in scene.view(row, "transformed").title.GetInput()
    # the input row draws sulfur in its CPK yellow
    rgba = scene.view("input", "original").point_array("rgba")
    assert tuple(rgba[1][:3]) == (255, 255, 48)

    panel.next()  # past the last molecule: stays
    panel.previous()
    wait_for_frame(qtbot, window)
    assert window.state.structure.index == 1
    panel.index_spin.setValue(801)  # back to QM9
    wait_for_frame(qtbot, window)
    assert window.state.structure is None and window.controller.frame.molecule.is_qm9
    assert not panel.table.isHidden()


def test_a_malformed_molecule_file_keeps_the_previous_molecule(qtbot, window, tmp_path):
    before = window.state.snapshot
    broken = tmp_path / "broken.xyz"
    broken.write_text("7\nnot enough atoms\nC 0 0 0\n")
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as blocker:
        assert window.open_molecule_file(broken) is False
    assert "broken.xyz" in blocker.args[0] and "\n" not in blocker.args[0]
    assert window.state.snapshot == before and window.isVisible()


def test_smiles_box_builds_a_molecule_and_a_bad_one_changes_nothing(qtbot, window):
    panel = window.molecule_panel
    panel.smiles_edit.setText("CCO")
    panel.show_smiles()
    wait_for_frame(qtbot, window)
    assert window.controller.frame.molecule.formula == "C2H6O"
    assert window.controller.frame.rows["egnn"].available
    before = window.state.snapshot
    panel.smiles_edit.setText("C1CC")
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as blocker:
        panel.show_smiles()
    assert "C1CC" in blocker.args[0]
    assert window.state.snapshot == before


def test_user_model_rows_are_added_checked_and_removed(qtbot, window, tmp_path):
    add_model(qtbot, window, model_file(tmp_path, "dist", INVARIANT))
    add_model(qtbot, window, model_file(tmp_path, "raw", RAW))
    assert window.state.snapshot.rows == ("naive", "egnn", "dist", "raw")
    assert set(window.models_panel.boxes) == {"naive", "egnn", "dist", "raw"}
    assert not window.models_panel.add_button.isEnabled()  # four model rows: the grid is full
    turn(qtbot, window, 60.0)
    rows = window.controller.frame.rows
    assert rows["dist"].max_error < 1e-4 and rows["raw"].max_error > 0.1
    assert "invariant" in window.readouts.models["dist"].error.text()
    assert "changed" in window.readouts.models["raw"].error.text()
    scene = window.controller.scene
    assert scene.visible_rows() == ("input", "naive", "egnn", "dist", "raw")

    before = window.state.snapshot
    with qtbot.waitSignal(window.errorOccurred, timeout=5000):
        assert window.add_user_model(model_file(tmp_path, "more", INVARIANT)) is False  # a fifth row
    assert window.state.snapshot == before

    window.models_panel.boxes["raw"].remove_button.click()
    wait_for_frame(qtbot, window)
    assert window.state.snapshot.rows == ("naive", "egnn", "dist")
    assert "raw" not in window.models_panel.boxes and scene.visible_rows()[-1] == "dist"
    window.models_panel.boxes["naive"].remove_button.click()
    wait_for_frame(qtbot, window)
    assert window.state.snapshot.rows == ("egnn", "dist")
    window.models_panel.add_builtin("naive")
    wait_for_frame(qtbot, window)
    assert window.state.snapshot.rows == ("egnn", "dist", "naive")


def test_a_failing_user_model_shows_its_message_in_its_row_and_the_app_lives_on(qtbot, window, tmp_path):
    add_model(qtbot, window, model_file(tmp_path, "broken", BROKEN_FORWARD))
    assert window.controller.frame.rows["broken"].available
    turn(qtbot, window, 90.0)
    row = window.controller.frame.rows["broken"]
    assert row.status == "failed" and "my layer broke" in row.message and "'broken'" in row.message
    assert "my layer broke" in window.readouts.models["broken"].error.text()
    assert window.controller.frame.rows["egnn"].max_error < 1e-4  # the other rows stay live
    turn(qtbot, window, 0.0)
    assert window.controller.frame.rows["broken"].available


def test_bad_user_model_files_are_one_line_and_change_nothing(qtbot, window, tmp_path):
    before = window.state.snapshot
    not_a_module = tmp_path / "nothing.py"
    not_a_module.write_text("def make():\n    return 42\n")
    with qtbot.waitSignal(window.errorOccurred, timeout=30000) as blocker:
        add_model(qtbot, window, f"nothing={not_a_module}:make", loads=False)
    assert "not a torch.nn.Module" in blocker.args[0] and "'nothing'" in blocker.args[0]
    assert window.state.snapshot == before


def test_adding_a_model_from_a_file_warns_that_it_runs_code(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    shown = []

    def warning(parent, title, text, *args):
        shown.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: pytest.fail("no file dialog after Cancel"))
    window.add_user_model_action.trigger()
    assert shown and "runs that file's code" in shown[0]
    assert window.state.snapshot.rows == ("naive", "egnn")


def test_dropping_a_molecule_file_opens_it(qtbot, window, tmp_path):
    path = write_xyz(tmp_path / "ethanol.xyz", ETHANOL, "ethanol")
    drop_file(qtbot, window, path)
    assert window.controller.frame.molecule.formula == "C2H6O"
    np.testing.assert_allclose(window.controller.frame.molecule.positions, [atom[1:] for atom in ETHANOL], atol=1e-4)


CHOLESTERYL_OCTANOATE = (
    "CCCCCCCC(=O)O[C@H]1CC[C@@]2(C)C(=CC[C@H]3[C@@H]4CC[C@H]([C@H](C)CCCC(C)C)[C@@]4(C)CC[C@@H]32)C1"
)


def test_a_large_molecule_is_drawn_whole_without_labels_and_the_egnn_stays_invariant(qtbot, window):
    window.molecule_panel.smiles_edit.setText(CHOLESTERYL_OCTANOATE)
    window.molecule_panel.show_smiles()
    turn(qtbot, window, 45.0)
    frame = window.controller.frame
    assert frame.molecule.num_atoms == 97
    scene = window.controller.scene
    # one camera for every view: its depth range holds every atom of both poses (no atom clipped away)
    camera = scene.camera
    near, far = camera.GetClippingRange()
    eye, ahead = np.array(camera.GetPosition()), np.array(camera.GetDirectionOfProjection())
    for positions in (frame.positions_original, frame.positions_transformed):
        depths = (positions - eye) @ ahead
        assert near < depths.min() and depths.max() < far
    assert not any(view.label_actor.GetVisibility() for view in scene.views.values())  # 97 atoms: no indices
    # features of size ~1e4: float32 rounding is no broken symmetry
    assert frame.rows["egnn"].invariant and not frame.rows["naive"].invariant
    assert "invariant" in window.readouts.models["egnn"].error.text()
