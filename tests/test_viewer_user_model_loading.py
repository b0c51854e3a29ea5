"""The window and a user's model file: it loads on a background thread (the window keeps drawing, the row says
"loading NAME…"), a failing file is a message and changes no row, its vectors are drawn as arrows; and the dialogs
of Models ▸ Add model from Python file… and File ▸ Open Recent, driven in the real window with the file dialogs'
answers injected (QMessageBox/QFileDialog/QInputDialog are Qt's modal prompts; everything behind them is real)."""

from __future__ import annotations

import textwrap
import time

import numpy as np
import pytest
from molecule_files_fixtures import ETHANOL, WATER, write_xyz
from viewer_fixtures import *  # noqa: F403 - fixtures: settings, window
from viewer_fixtures import requires_display, wait_for_frame

pytestmark = [pytest.mark.gui, requires_display]

MODELS = '''
import threading
import time
from pathlib import Path

import torch
from torch import nn


class PairVectors(nn.Module):
    """v_i = sum_j (x_i - x_j) w(|x_i - x_j|): features and equivariant vectors."""

    def forward(self, z, pos, batch):
        diff = pos[:, None, :] - pos[None, :, :]
        w = torch.exp(-diff.norm(dim=-1, keepdim=True))
        return torch.cat([w[..., 0].sum(1, keepdim=True), z[:, None].float()], dim=1), (diff * w).sum(1)


def equivariant():
    return PairVectors()


def slow():
    """Runs until the test creates mine.release (a factory that takes as long as the test wants)."""
    here = Path(__file__)
    here.with_suffix(".thread").write_text(threading.current_thread().name)  # where it ran, for the test
    deadline = time.monotonic() + 60
    while not here.with_suffix(".release").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("nobody released this factory")
        time.sleep(0.01)
    return PairVectors()


def failing():
    raise RuntimeError("no weights in this folder")
'''


@pytest.fixture
def model_path(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(MODELS))
    return path


class Recorder:
    """Collects a signal's emissions with their times (a bound method: PySide holds it weakly)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, tuple]] = []

    def __call__(self, *args) -> None:
        self.calls.append((time.perf_counter(), args))


def test_a_slow_model_file_loads_on_a_thread_while_the_window_keeps_working(qtbot, window, model_path):
    """The factory runs until the test releases it: on the interface thread the window could do nothing meanwhile
    (and ``add_user_model`` would not return before the factory gives up after 60 s)."""
    from PySide6.QtCore import QTimer

    from equiview.viewer.arrows import ATOM_RGBA

    loaded, ticks = Recorder(), Recorder()
    window.userModelLoaded.connect(loaded)
    assert window.add_user_model(f"slow={model_path}:slow")
    qtbot.waitUntil(model_path.with_suffix(".thread").exists, timeout=30000)  # the factory is running
    assert model_path.with_suffix(".thread").read_text() == "equiview-user-model-slow"  # not the interface thread
    wait_for_frame(qtbot, window)
    # meanwhile: the row is in the grid, saying so, and the window draws new states and runs its timers
    assert window.state.snapshot.rows == ("naive", "egnn", "slow") and not loaded.calls
    frame = window.controller.frame
    assert "slow" not in frame.rows and frame.titles[("slow", "original")].endswith("loading slow…")
    assert "loading slow…" in window.readouts.models["slow"].error.text()
    box = window.models_panel.boxes["slow"]
    assert not box.isEnabled() and "loading slow…" in box.info.text()
    window.transform_panel.rotation_spins[2].setValue(40.0)
    wait_for_frame(qtbot, window)
    assert window.controller.frame.transform.rz == 40.0
    timer = QTimer(window)
    timer.setInterval(20)
    timer.timeout.connect(ticks)
    timer.start()
    qtbot.waitUntil(lambda: len(ticks.calls) >= 5, timeout=10000)
    timer.stop()
    assert not loaded.calls  # all of that while the factory was still running

    model_path.with_suffix(".release").touch()
    qtbot.waitUntil(lambda: bool(loaded.calls), timeout=30000)
    assert loaded.calls[0][1] == ("slow", True)
    wait_for_frame(qtbot, window)
    row = window.controller.frame.rows["slow"]
    assert row.available and row.vectors is not None and row.vectors.max_error < 1e-4
    assert box.isEnabled() and "features from your Python code" in box.info.text()
    # its vectors are arrows in its views, turned with g (R v(x)), in the window's scene
    scene = window.controller.scene
    n = window.controller.frame.molecule.num_atoms
    first = scene.view("slow", "original").arrows.read()["direction"]
    stored = scene.view("slow", "transformed").arrows.read()
    rotation = window.controller.frame.rows["slow"].vectors
    assert stored["feet"].shape == (2 * n, 3) and (stored["rgba"][:n] == ATOM_RGBA).all()
    from equiview.core.transforms import E3Transform

    turn = E3Transform.from_view(0, 0, 40).rotation.numpy()
    np.testing.assert_allclose(stored["direction"][:n], first @ turn.T, atol=1e-3)
    assert rotation.unit == ""
    readout = window.readouts.models["slow"].vectors
    qtbot.waitUntil(lambda: "turns with the molecule" in readout.text(), timeout=10000)
    assert "your model's units" in readout.text() and " D " not in readout.text()


def test_a_factory_that_raises_is_a_message_and_the_rows_stay(qtbot, window, model_path):
    before = window.state.snapshot
    loaded = Recorder()
    window.userModelLoaded.connect(loaded)
    with qtbot.waitSignal(window.errorOccurred, timeout=30000) as error:
        assert window.add_user_model(f"bad={model_path}:failing")
    assert "no weights in this folder" in error.args[0] and "'bad'" in error.args[0]
    assert "Cannot add the model" in error.args[0]
    assert window.error_box is not None and window.error_box.objectName() == "errorBox"  # a user error, not a bug
    qtbot.waitUntil(lambda: bool(loaded.calls), timeout=10000)
    assert loaded.calls[0][1] == ("bad", False)
    wait_for_frame(qtbot, window)
    assert window.state.snapshot == before and "bad" not in window.models_panel.boxes
    assert window.controller.scene.visible_rows() == ("input", "naive", "egnn")
    # a file that fails while it is imported: the same
    broken = model_path.with_name("broken.py")
    broken.write_text("import torch\nraise ImportError('torch_geometric is not installed here')\n")
    with qtbot.waitSignal(window.errorOccurred, timeout=30000) as error:
        assert window.add_user_model(f"broken={broken}:make")
    assert "torch_geometric is not installed here" in error.args[0]
    qtbot.waitUntil(lambda: len(loaded.calls) == 2, timeout=10000)
    wait_for_frame(qtbot, window)
    assert window.state.snapshot == before


def patch_dialogs(monkeypatch, *, warning="Ok", path="", factory=("make", True)):
    """The answers of the three prompts of Models ▸ Add model from Python file…, and what each was asked."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

    asked: dict[str, tuple] = {}

    def warn(parent, title, text, *args):
        asked["warning"] = (title, text)
        return getattr(QMessageBox.StandardButton, warning)

    def open_file(parent, caption, folder, filters, *args):
        asked["file"] = (caption, folder, filters)
        return path, filters

    def get_text(parent, title, label, *args, **kwargs):
        asked["factory"] = (title, label, kwargs.get("text", args[1] if len(args) > 1 else ""))
        return factory

    monkeypatch.setattr(QMessageBox, "warning", warn)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_file)
    monkeypatch.setattr(QInputDialog, "getText", get_text)
    return asked


def test_add_model_from_a_python_file_asks_warns_and_adds_the_row(qtbot, window, model_path, monkeypatch):
    asked = patch_dialogs(monkeypatch, path=str(model_path), factory=("equivariant", True))
    with qtbot.waitSignal(window.userModelLoaded, timeout=30000) as loaded:
        window.add_user_model_action.trigger()  # Models ▸ Add model from Python file…
    assert loaded.args == ["mine", True]  # the row is named after the file
    assert "runs that file's code" in asked["warning"][1]
    assert asked["file"][2] == "Python files (*.py)"
    assert "mine.py" in asked["factory"][1] and asked["factory"][2] == "make_model"  # the prompt's default
    wait_for_frame(qtbot, window)
    snapshot = window.state.snapshot
    assert snapshot.rows == ("naive", "egnn", "mine")
    assert snapshot.sources["mine"].user_spec == f"mine={model_path}:equivariant"
    assert window.controller.frame.rows["mine"].vectors is not None
    assert window.settings.value("paths/models") == str(model_path.parent)  # the next dialog opens there

    # the Models tab's "+" menu reaches the same prompts; the factory prompt cancelled: nothing is added
    asked = patch_dialogs(monkeypatch, path=str(model_path), factory=("", False))
    window.models_panel.addUserModelRequested.emit()
    assert asked["file"][1] == str(model_path.parent) and "factory" in asked
    assert window.state.snapshot == snapshot
    # no file chosen: no factory prompt
    asked = patch_dialogs(monkeypatch, path="")
    window.add_user_model_action.trigger()
    assert "file" in asked and "factory" not in asked and window.state.snapshot == snapshot
    # a factory name that is not a Python name: one line, nothing runs
    patch_dialogs(monkeypatch, path=str(model_path), factory=("not a name", True))
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as error:
        window.add_user_model_action.trigger()
    assert "is not a Python function name" in error.args[0] and window.state.snapshot == snapshot


def test_open_recent_lists_the_files_opened_and_reopens_them(qtbot, window, tmp_path):
    menu = window.recent_menu
    menu.aboutToShow.emit()  # what Qt does before showing File ▸ Open Recent
    assert [a.text() for a in menu.actions()] == ["(no molecule files yet)"] and not menu.actions()[0].isEnabled()

    ethanol = write_xyz(tmp_path / "ethanol.xyz", ETHANOL, "ethanol")
    water = write_xyz(tmp_path / "water.xyz", WATER, "water")
    for path in (ethanol, water):
        assert window.open_molecule_file(path)
        wait_for_frame(qtbot, window)
    assert window.controller.frame.molecule.formula == "H2O"
    menu.aboutToShow.emit()
    actions = menu.actions()
    assert [a.text() for a in actions] == ["water.xyz", "ethanol.xyz"]  # the latest first
    assert actions[1].toolTip() == str(ethanol)
    actions[1].trigger()
    wait_for_frame(qtbot, window)
    assert window.controller.frame.molecule.formula == "C2H6O"
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions()] == ["ethanol.xyz", "water.xyz"]

    # a recent file that has gone: one line naming it, the molecule stays
    water.unlink()
    before = window.state.snapshot
    with qtbot.waitSignal(window.errorOccurred, timeout=5000) as error:
        menu.actions()[1].trigger()
    assert "water.xyz" in error.args[0]
    assert window.state.snapshot == before


def test_file_open_molecule_uses_the_chosen_file(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    ethanol = write_xyz(tmp_path / "ethanol.xyz", ETHANOL, "ethanol")
    asked = []

    def open_file(parent, caption, folder, filters, *args):
        asked.append((caption, filters))
        return str(ethanol), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_file)
    window.open_molecule_action.trigger()
    wait_for_frame(qtbot, window)
    assert asked and "*.xyz" in asked[0][1]
    assert window.controller.frame.molecule.formula == "C2H6O"
    assert window.recent_molecule_files() == [str(ethanol)]


def test_closing_the_window_while_a_model_loads_leaves_nothing_behind(qtbot, dataset, settings, model_path):
    from viewer_fixtures import close_window, make_window

    from equiview.viewer.app import drain_events

    window = make_window(qtbot, dataset, settings)
    assert window.add_user_model(f"slow={model_path}:slow")
    loader = window._user_loaders[0]
    close_window(window)
    model_path.with_suffix(".release").touch()
    loader.wait(30)  # the factory returns to a closed window: nothing is shown, nothing raised
    drain_events()
    del window, loader  # the autouse lifetime check then finds no window, scene or VTK object alive
