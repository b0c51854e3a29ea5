"""The wheel carries the bundled data, the shipped checkpoints and the resources.

A copy of the checkout (without its virtual environment and build metadata: a stale ``*.egg-info`` would smuggle
files into the sdist) is built into an sdist and a wheel (``python -m build``, the way a release is made), the wheel is
installed with ``pip --target`` into a temporary folder, and ``equiview`` runs from yet another folder with only
that folder and the virtual environment's third-party packages on the path (``python -S`` skips the ``.pth``
files, among them the editable install's hook back into this checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from viewer_fixtures import ROOT, read_png, requires_display

BUILD_LEFTOVERS = (".git", ".venv", "*.egg-info", "build", "dist", "__pycache__", ".*_cache", "out")

# Prints where everything was imported from and what the asset module found, as one JSON object.
PROBE = """
import json, sys
import importlib.util
import equiview, equiview.core, equiview.core.assets, equiview.viewer, equiview.viewer.resources
from equiview.core.checkpoints import load_checkpoint
from equiview.core.data import load_dataset
report = {
    "modules": [equiview.core.__file__, equiview.core.assets.__file__, equiview.viewer.__file__, equiview.viewer.resources.__file__],
    "bundle": str(equiview.core.assets.bundle_path()),
    "molecules": len(load_dataset("bundled")),
    "checkpoints": {kind: str(equiview.core.assets.checkpoint_path(kind)) for kind in ("naive", "egnn")},
    "kinds": {kind: load_checkpoint(equiview.core.assets.checkpoint_path(kind)).kind for kind in ("naive", "egnn")},
    "style": str(equiview.viewer.resources.resource_path("style.qss")),
    "style_chars": len(equiview.viewer.resources.stylesheet()),
    "bare_names": [name for name in ("core", "viewer", "assets", "resources") if importlib.util.find_spec(name)],
}
from equiview.viewer.model import lesson  # the HTML lesson's vendored 3Dmol.js, its licence and the page's own files
report["lesson_files"] = [len(lesson.library_source()), len(lesson.library_licence()), *map(len, lesson.page_source())]
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory) -> Path:
    """The wheel built from this checkout, installed (without dependencies) into a fresh folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (wheel,) = (work / "dist").glob("equiview-*.whl")
    target = work / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return target


def run_outside(target: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    """``python -S ARGV`` in ``cwd`` with only ``target`` and the venv's site-packages on the path."""
    path = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {key: value for key, value in os.environ.items() if not key.startswith("EQUIVIEW")}
    env.update(PYTHONPATH=path, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-S", *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_wheel_finds_its_data_checkpoints_and_resources(installed_wheel, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = run_outside(installed_wheel, elsewhere, "-c", PROBE)
    assert probe.returncode == 0, probe.stderr[-3000:]
    report = json.loads(probe.stdout)
    paths = [*report["modules"], report["bundle"], *report["checkpoints"].values(), report["style"]]
    for path in paths:
        assert Path(path).is_relative_to(installed_wheel), f"{path} does not come from the installed wheel"
        assert not Path(path).is_relative_to(ROOT), path
        assert Path(path).is_file(), path
    assert report["molecules"] == 21_800
    assert report["kinds"] == {"naive": "naive", "egnn": "egnn"}
    assert report["style_chars"] > 0
    assert all(size > 1000 for size in report["lesson_files"]), report["lesson_files"]
    assert report["bare_names"] == []  # `import core` must not find equiview's core: one package, `equiview`

    script = installed_wheel / "bin" / "equiview"  # the console script pip wrote for the wheel
    info = run_outside(installed_wheel, elsewhere, str(script), "data", "info", "--json")
    assert info.returncode == 0, info.stderr[-3000:]
    assert json.loads(info.stdout)["filtered"] == 21_800


@pytest.mark.gui
@requires_display
def test_the_installed_wheel_renders(installed_wheel, tmp_path):
    out = tmp_path / "wheel.png"
    script = installed_wheel / "bin" / "equiview"
    done = run_outside(
        installed_wheel, tmp_path, str(script), "render", "--out", str(out), "--size", "320x240", "--json"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["out"] == str(out)
    assert read_png(out).shape[:2] == (240, 320)


def test_the_wheel_installs_one_top_level_package(installed_wheel):
    top = sorted(path.name for path in installed_wheel.iterdir() if path.name != "bin")
    assert top == ["equiview", "equiview-0.1.0.dist-info"], top
    (dist_info,) = installed_wheel.glob("equiview-*.dist-info")
    record = [line.split(",")[0] for line in (dist_info / "RECORD").read_text().splitlines()]
    # pip --target records the console script as ../../bin/equiview
    outside = [n for n in record if not n.startswith(("equiview/", "equiview-0.1.0.dist-info/", "../../bin/"))]
    assert outside == []
    # Only the package's own folders: no tests, benches or examples from the repository's root.
    packages = {
        n.split("/")[1] for n in record if n.startswith("equiview/") and n.count("/") > 1 and "__pycache__" not in n
    }
    assert packages == {"core", "viewer", "assets", "resources"}, packages
    roots = {name.split("/")[1] for name in record if name.startswith("equiview/") and name.count("/") == 1}
    # equiview.testing (for test suites) and equiview.notebook
    assert roots == {"__init__.py", "__main__.py", "testing.py", "notebook.py"}, roots


def test_python_dash_m_equiview_runs_from_the_wheel(installed_wheel, tmp_path):
    done = run_outside(installed_wheel, tmp_path, "-m", "equiview", "data", "info", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["filtered"] == 21_800


USER_CORE_LAYERS = """
import torch
class Lin(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)
    def forward(self, z, pos, batch):
        return self.lin(pos)
"""

USER_MODEL = """
from core.layers import Lin  # the user's own package named `core`
def make():
    return Lin()
"""


def test_a_user_project_with_its_own_core_package_loads_its_model(installed_wheel, tmp_path):
    project = tmp_path / "project"
    (project / "core").mkdir(parents=True)
    (project / "core" / "__init__.py").write_text("")
    (project / "core" / "layers.py").write_text(USER_CORE_LAYERS)
    (project / "model.py").write_text(USER_MODEL)
    script = installed_wheel / "bin" / "equiview"
    path = os.pathsep.join([str(project), str(installed_wheel), *sysconfig.get_paths().values()])
    env = {key: value for key, value in os.environ.items() if not key.startswith("EQUIVIEW")}
    env.update(PYTHONPATH=path, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [
            sys.executable,
            "-S",
            str(script),
            "check-invariance",
            "--model",
            "mine=model.py:make",
            "--molecules",
            "1",
            "--trials",
            "1",
            "--json",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "mine" in json.loads(done.stdout)
