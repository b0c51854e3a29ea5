"""``equiview gui --screenshot`` and ``equiview render`` as a user runs them, in subprocesses."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from viewer_fixtures import ROOT, is_blank, read_png, requires_display, run_equiview, run_python


def _one_line_error(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("equiview: error:")
    return lines[0]


@pytest.mark.gui
@requires_display
def test_gui_screenshot_writes_the_grid(tmp_path):
    out = tmp_path / "gui.png"
    done = run_equiview(
        "gui",
        "--screenshot",
        str(out),
        "--size",
        "720x540",
        "--rotate",
        "0,0,45",
        "--molecule",
        "gdb_814",
        env={"EQUIVIEW_SETTINGS": str(tmp_path / "s.ini")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    image = read_png(out)
    assert image.shape[:2] == (540, 720)
    assert not is_blank(image)
    assert not (tmp_path / "s.ini").exists() or "geometry" not in (tmp_path / "s.ini").read_text()


@pytest.mark.gui
@requires_display
def test_full_window_screenshot_in_process(qtbot, dataset, tmp_path, monkeypatch):
    from equiview.viewer.app import run_gui
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.snapshot import Snapshot, TransformParams
    from equiview.viewer.scene import DEFAULT_STYLE

    monkeypatch.setenv("EQUIVIEW_SETTINGS", str(tmp_path / "s.ini"))
    out = tmp_path / "window.png"
    code = run_gui(
        dataset,
        ModelLibrary(),
        Snapshot(transform=TransformParams(rz=30.0)),
        size=(640, 480),
        screenshot=str(out),
        full_window=True,
    )
    assert code == 0
    image = read_png(out)
    assert image.shape[1] > 640 and image.shape[0] > 480  # the grid plus the panels, menu and status bar
    assert not is_blank(image)
    # the grid is a native OpenGL window that QWidget.grab leaves black: its place shows the scene's background
    grid = image[60:420, 20:600, :3].astype(int)
    background = np.round(np.array(DEFAULT_STYLE.background) * 255)
    assert (np.abs(grid - background).max(axis=-1) <= 2).mean() > 0.5


def test_render_without_display_writes_the_same_grid(tmp_path):
    out = tmp_path / "render.png"
    env = {"EQUIVIEW_SETTINGS": str(tmp_path / "s.ini"), "DISPLAY": None, "WAYLAND_DISPLAY": None}
    done = run_equiview(
        "render",
        "--out",
        str(out),
        "--size",
        "600x450",
        "--scale",
        "2",
        "--rotate",
        "-10,20,30",  # a negative first value is a value, not an option
        "--translate",
        "1,0,0",
        "--reflect",
        "--naive",
        "seed:2",
        "--json",
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result["width"], result["height"]) == (1200, 900)
    assert result["molecule"] == "gdb_814"
    assert result["transform"] == {"rotate": [-10.0, 20.0, 30.0], "translate": [1.0, 0.0, 0.0], "reflect": True}
    naive, egnn = result["models"]["naive"], result["models"]["egnn"]
    assert egnn["max_error"] <= 1e-5 < 1e-3 < naive["max_error"]
    assert (naive["verdict"], egnn["verdict"]) == ("changed", "invariant")
    assert naive["source"] == "seed:2"
    image = read_png(out)
    assert image.shape[:2] == (900, 1200)
    assert not is_blank(image)
    # every model view has content: the colour bar column and the molecule are drawn
    for top in (300, 600):
        assert not is_blank(image[top + 60 : top + 240, 100:500])


@pytest.mark.parametrize("models", [(), ("--naive", "untrained", "--egnn", "untrained")], ids=["shipped", "demo"])
def test_default_render_shows_the_contrast(tmp_path, capsys, models):
    """No state options: g is 45° about z, the naive GNN changes, the EGNN does not (shipped and demo models)."""
    import json

    from equiview.viewer.cli import main

    out = tmp_path / "default.png"
    assert main(["render", "--out", str(out), "--size", "480x360", "--json", *models]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) >= {"out", "molecule", "transform", "dft", "models"}
    assert result["out"] == str(out) and result["molecule"] == "gdb_814"
    assert result["transform"] == {"rotate": [0.0, 0.0, 45.0], "translate": [0.0, 0.0, 0.0], "reflect": False}
    assert result["dft"] == pytest.approx(750.34, abs=0.01)  # gdb_814's <R^2> in a0^2
    naive, egnn = result["models"]["naive"], result["models"]["egnn"]
    assert set(naive) >= {"source", "max_error", "verdict", "prediction_original", "prediction_transformed"}
    assert (naive["verdict"], egnn["verdict"]) == ("changed", "invariant")
    assert egnn["prediction_transformed"] == pytest.approx(egnn["prediction_original"], abs=1e-3)
    if models:
        assert naive["source"] == egnn["source"] == "seed:0"
    else:
        assert naive["source"].endswith("naive.pt") and egnn["source"].endswith("egnn.pt")
    assert not is_blank(read_png(out))


def test_identity_render_reads_identity(tmp_path, capsys):
    import json

    from equiview.viewer.cli import main

    assert main(["render", "--out", str(tmp_path / "i.png"), "--size", "320x240", "--identity", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {row["verdict"] for row in result["models"].values()} == {"identity"}


def test_make_run_needs_no_xvfb_and_says_how_to_get_images(capsys, monkeypatch):
    done = subprocess.run(["make", "-n", "run"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "equiview gui" in done.stdout and "xvfb-run" not in done.stdout
    from equiview.viewer.cli import main

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 2
    line = capsys.readouterr().err.strip()
    assert "equiview render" in line and "--screenshot" in line


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("render", "--out", "x.png", "--rotate", "1,2"), "--rotate expects three"),
        (("render", "--out", "x.png", "--rotate", "0,0,270"), "-180..180"),
        (("render", "--out", "x.png", "--translate", "0,nan,0"), "--translate expects three"),
        (("render", "--out", "x.png", "--size", "big"), "--size expects"),
        (("render", "--out", "/nonexistent-folder/x.png"), "does not exist"),
        (("gui", "--screenshot", "x.png", "--scale", "9"), "--scale must be"),
        (("gui", "--transparent"), "only apply together with --screenshot"),
        (("gui", "--screenshot", "x.png", "--full-window", "--scale", "2"), "--full-window captures"),
        (("gui", "--naive", "/nonexistent/model.pt"), "no such checkpoint"),
        (("gui", "--molecule", "5"), "no display"),
        (("render", "--out", "x.png", "--egnn", "seed:x"), "seed:N"),
        (("render", "--out", "x.png", "--molecule", "gdb_99999999"), "gdb_99999999"),
        (("render", "--out", "x.png", "--colormap", "rainbowz"), "--colormap"),
        (("render", "--out", "x.png", "--rotate", "-190,0,0"), "-180..180"),
        (("render", "--out", "x.png", "--identity", "--rotate", "-30,0,0"), "--identity cannot"),
    ],
)
def test_bad_values_exit_2_with_one_line(tmp_path, capsys, monkeypatch, args, fragment):
    from equiview.viewer.cli import main

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    args = tuple(str(tmp_path / a) if a == "x.png" else a for a in args)
    assert main(list(args)) == 2
    lines = [line for line in capsys.readouterr().err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("equiview: error:")
    assert fragment in lines[0]
    assert not (tmp_path / "x.png").exists()


def test_bad_checkpoint_file_exits_2(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    done = run_equiview("render", "--out", str(tmp_path / "x.png"), "--egnn", str(bad), env={"DISPLAY": None})
    line = _one_line_error(done)
    assert "--egnn" in line and "bad.pt" in line
    assert not (tmp_path / "x.png").exists()


def test_help_lists_viewer_commands_without_importing_qt_vtk_or_torch():
    script = (
        "import sys, viewer.cli\n"
        "try:\n"
        "    viewer.cli.main(['--help'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "heavy = [m for m in ('PySide6', 'pyvista', 'vtk', 'pyvistaqt', 'torch_geometric', 'torch') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = run_python(script, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "gui" in done.stdout and "render" in done.stdout and "data" in done.stdout


def test_gui_is_the_default_command():
    from equiview.viewer.cli import _with_default_command

    assert _with_default_command([]) == ["gui"]
    assert _with_default_command(["--molecule", "5"]) == ["gui", "--molecule", "5"]
    assert _with_default_command(["--help"]) == ["--help"]
    assert _with_default_command(["render", "--out", "a.png"]) == ["render", "--out", "a.png"]
    assert _with_default_command(["--rotate", "-30,0,0", "--translate", "-1,-2,0"]) == [
        "gui",
        "--rotate=-30,0,0",
        "--translate=-1,-2,0",
    ]


@pytest.mark.parametrize(
    "platform, environ, expected",
    [
        ("linux", {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "xcb"),  # XWayland: embed through X11
        ("linux", {"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}, "xcb"),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"}, None),  # the user's
        ("linux", {"DISPLAY": ":0"}, None),  # an X11 session: Qt's own choice is xcb already
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, None),  # no X server: the CLI says so before any window
        ("darwin", {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, None),
        ("win32", {"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, None),
    ],
)
def test_on_wayland_the_window_goes_through_xwayland(platform, environ, expected):
    """The 3D grid is a native window VTK draws into through X11: Qt's wayland plugin would give it a window id X
    does not know (pyvistaqt issue 445, "BadWindow"), so a Wayland session with XWayland asks Qt for xcb."""
    from equiview.viewer.app import qt_platform_for_vtk

    assert qt_platform_for_vtk(platform, environ) == expected


def test_a_wayland_session_with_xwayland_opens_the_window_on_xcb(tmp_path):
    """Under Xvfb, posing as a Wayland session: the application asks for the xcb plugin and the grid renders."""
    script = (
        "import os, sys\n"
        "from equiview.viewer.app import create_application\n"
        "app = create_application()\n"
        "print(app.platformName(), os.environ.get('QT_QPA_PLATFORM'))\n"
    )
    env = {"WAYLAND_DISPLAY": "wayland-equiview-test", "XDG_SESSION_TYPE": "wayland", "QT_QPA_PLATFORM": None}
    done = run_python(script, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["xcb", "xcb"]


def test_a_wayland_session_without_x_says_so_in_one_line(capsys, monkeypatch):
    from equiview.viewer.cli import main

    for name in ("DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert main(["gui"]) == 2
    line = capsys.readouterr().err.strip()
    assert "Wayland session has no X server" in line and "equiview render" in line
