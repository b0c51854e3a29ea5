"""`core` and `viewer.model` must work without Qt or VTK: import their modules with those packages made unimportable."""

import pkgutil
import subprocess
import sys
import textwrap

import core

BLOCKED = ("PySide6", "pyvista", "pyvistaqt", "vtk", "vtkmodules", "qtpy", "viewer")


def core_modules() -> list[str]:
    names = ["core"]
    for info in pkgutil.walk_packages(core.__path__, prefix="core."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def _import_blocked(modules: list[str], blocked: tuple[str, ...]) -> None:
    script = textwrap.dedent(
        f"""
        import importlib, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r} or name in {blocked!r}:
                    raise ImportError(f"blocked: {{name}}")
                return None
        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in {blocked!r} or m in {blocked!r})
        assert not leaked, leaked
        print("imported", len({modules!r}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"imported {len(modules)}" in done.stdout


def test_core_imports_without_qt_or_vtk():
    modules = core_modules()
    assert "core.models" in modules and "core.data" in modules
    _import_blocked(modules, BLOCKED)


def test_viewer_model_imports_without_qt_or_vtk():
    import viewer.model

    modules = ["viewer.model"] + [info.name for info in pkgutil.walk_packages(viewer.model.__path__, "viewer.model.")]
    assert {"viewer.model.snapshot", "viewer.model.pipeline", "viewer.model.library"} <= set(modules)
    qt_and_vtk = tuple(name for name in BLOCKED if name != "viewer")
    windows = ("viewer.scene", "viewer.state", "viewer.controller", "viewer.main_window", "viewer.app")
    _import_blocked(modules, qt_and_vtk + windows)
