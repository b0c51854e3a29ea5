"""Shared fixtures: the bundled QM9 set, loaded once per test session."""

from __future__ import annotations

import os

import pytest

from equiview.core.data import QM9DataModule, QM9Molecules, load_dataset

# the viewer's fixtures (settings, window, pipeline, offscreen_scene) for every test module that names them
pytest_plugins = ["viewer_fixtures"]


@pytest.fixture(autouse=True)
def restored_environment():
    """Every test leaves ``os.environ`` as it found it. An in-process ``equiview render`` without a display calls
    ``prefer_offscreen_gl``, which (rightly, for its own process) sets VTK_DEFAULT_OPENGL_WINDOW; left behind, a
    later GUI test would mix OSMesa and GLX contexts in one process, which crashes Mesa."""
    before = dict(os.environ)
    yield
    for name in set(os.environ) - set(before):
        del os.environ[name]
    for name, value in before.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


@pytest.fixture(scope="session")
def dataset() -> QM9Molecules:
    """The bundled 21,800 filtered QM9 molecules (read once, ~0.1 s). Do not mutate it."""
    return load_dataset("bundled")


@pytest.fixture(scope="session")
def datamodule(dataset: QM9Molecules) -> QM9DataModule:
    """The tutorial's split of the bundled set (seed 420, 80/10/10, target 5)."""
    return QM9DataModule(dataset)


@pytest.fixture(scope="session")
def sample_molecule(dataset: QM9Molecules):
    """gdb_814 (dataset index 800, 14 atoms): the seed's demo molecule, as a PyG Data."""
    return dataset[800]


def _is_gui_test(request) -> bool:
    return request.node.get_closest_marker("gui") is not None or request.module.__name__.startswith("test_viewer")


@pytest.fixture(autouse=True)
def check_gc(request):
    """Every GUI test: a main window, scene, controller or VTK object it created must not survive it.

    Autouse fixtures are set up first and torn down last, so the window fixtures have closed their
    windows by the time this looks (see ``tests/lifetime.py``).
    """
    if not _is_gui_test(request):
        yield
        return
    from lifetime import describe_survivors, start, survivors

    start()
    yield
    # the test's fixtures are torn down by now; pytest still keeps their values until after this teardown
    request.node.funcargs.clear()
    alive = survivors()
    assert not alive, describe_survivors(alive)


@pytest.fixture
def small_disk(tmp_path):
    """A factory of real tmpfs mounts: ``small_disk("64k")`` is a directory on a disk of that size, so a full disk
    is the kernel's ENOSPC, not a simulated one. Skips where mounting is not allowed; unmounts after the test."""
    import subprocess

    mounted_disks = []

    def mount(size: str):
        disk = tmp_path / f"disk-{len(mounted_disks)}"
        disk.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted_disks.append(disk)
        return disk

    yield mount
    for disk in mounted_disks:
        subprocess.run(["umount", str(disk)], check=True)
