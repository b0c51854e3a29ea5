"""`core` must work without Qt or VTK: import every core module with those packages made unimportable."""

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


def test_core_imports_without_qt_or_vtk():
    modules = core_modules()
    assert "core.models" in modules and "core.data" in modules
    script = textwrap.dedent(
        f"""
        import importlib, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {BLOCKED!r}:
                    raise ImportError(f"blocked in core: {{name}}")
                return None
        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r})
        assert not leaked, leaked
        print("imported", len({modules!r}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"imported {len(modules)}" in done.stdout
