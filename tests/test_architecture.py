"""`equiview.core` and `equiview.viewer.model` must work without Qt or VTK: import their modules with those packages made unimportable."""

import pkgutil
import subprocess
import sys
import textwrap

import equiview.core

BLOCKED = ("PySide6", "pyvista", "pyvistaqt", "vtk", "vtkmodules", "qtpy", "equiview.viewer")


def core_modules() -> list[str]:
    names = ["equiview.core"]
    for info in pkgutil.walk_packages(equiview.core.__path__, prefix="equiview.core."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def _import_blocked(modules: list[str], blocked: tuple[str, ...]) -> None:
    script = textwrap.dedent(
        f"""
        import importlib, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if any(name == b or name.startswith(b + ".") for b in {blocked!r}):
                    raise ImportError(f"blocked: {{name}}")
                return None
        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        leaked = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in {blocked!r}))
        assert not leaked, leaked
        print("imported", len({modules!r}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"imported {len(modules)}" in done.stdout


def test_core_imports_without_qt_or_vtk():
    modules = core_modules()
    assert "equiview.core.models" in modules and "equiview.core.data" in modules
    _import_blocked(modules, BLOCKED)


def test_viewer_model_imports_without_qt_or_vtk():
    import equiview.viewer.model

    modules = ["equiview.viewer.model"] + [
        info.name for info in pkgutil.walk_packages(equiview.viewer.model.__path__, "equiview.viewer.model.")
    ]
    assert {"equiview.viewer.model.snapshot", "equiview.viewer.model.pipeline", "equiview.viewer.model.library"} <= set(
        modules
    )
    qt_and_vtk = tuple(name for name in BLOCKED if name != "equiview.viewer")
    windows = (
        "equiview.viewer.scene",
        "equiview.viewer.state",
        "equiview.viewer.controller",
        "equiview.viewer.main_window",
        "equiview.viewer.app",
    )
    _import_blocked(modules, qt_and_vtk + windows)
