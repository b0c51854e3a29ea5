"""The window's fast start: what is (not yet) imported when the first frame is on screen.

Each check runs `equiview gui`'s own start-up path in a fresh process, so the imports are the
command's, not those of earlier tests in this one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap


def run_script(script: str, tmp_path) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", EQUIVIEW_SETTINGS=str(tmp_path / "settings.ini"))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(lines[-1])


def test_first_frame_comes_before_torch_pyqtgraph_and_pyplot(tmp_path):
    """The model loader starts once the first frame is on screen; the Sweep panel when its dock opens."""
    result = run_script(
        """
        import json, sys
        from equiview.viewer.cli import _load, build_full_parser
        from equiview.viewer.pyvista_import import import_pyvista

        table, library, snapshot = _load(build_full_parser().parse_args(["gui"]), background=True)
        import_pyvista()
        from equiview.viewer.app import create_application
        app = create_application()
        from PySide6.QtCore import Qt
        from equiview.viewer.main_window import MainWindow

        window = MainWindow(table, library=library, initial=snapshot, restore_geometry=False, persist=False,
                            load_models_in_background=True)
        seen = {}

        def rendered(*_args):
            if "render" not in seen:
                seen["render"] = {
                    "loader_started": window.loader.started,
                    "torch": "torch._C" in sys.modules,
                    "pyqtgraph": "pyqtgraph" in sys.modules,
                    "figure": "matplotlib.figure" in sys.modules,
                    "pyplot": type(sys.modules.get("matplotlib.pyplot")).__name__,
                    "sweep_panel_built": window._sweep_panel is not None,
                }

        def swapped():
            seen.setdefault("swap_loader_started", window.loader.started)

        window.controller.scene.render_window.AddObserver("EndEvent", rendered)
        window.show()
        # queued after the window's own slot (connected first): the loader is asked first
        window.controller.framePainted.connect(swapped, Qt.ConnectionType.QueuedConnection)
        window.modelsReady.connect(lambda: app.exit(0))  # quit() would close the window first
        app.exec()
        seen["rows"] = sorted(window.controller.frame.rows)
        window.sweep_dock_action.trigger()  # View > Sweep builds the panel, which sweeps when shown
        import time
        deadline = time.monotonic() + 60
        while (window._sweep_panel is None or window._sweep_panel.result is None) and time.monotonic() < deadline:
            app.processEvents()
        seen["sweep_panel_built"] = window._sweep_panel is not None
        seen["swept"] = window.sweep_panel.result is not None
        seen["pyqtgraph_after"] = "pyqtgraph" in sys.modules
        window.close()
        print(json.dumps(seen), flush=True)
        """,
        tmp_path,
    )
    first = result["render"]
    assert first == {
        "loader_started": False,
        "torch": False,
        "pyqtgraph": False,
        "figure": False,
        "pyplot": "DeferredModule",
        "sweep_panel_built": False,
    }
    assert result["swap_loader_started"] is True
    assert result["rows"] == ["egnn", "naive"]
    assert (result["sweep_panel_built"], result["swept"], result["pyqtgraph_after"]) == (True, True, True)


def test_a_deferred_module_loads_on_first_use_only(tmp_path):
    result = run_script(
        """
        import json, sys
        from equiview.viewer.pyvista_import import DeferredModule, defer_import

        defer_import("colorsys")
        import colorsys  # the import statement gets the placeholder and loads nothing
        placeholder = sys.modules["colorsys"]
        seen = {"type": type(colorsys).__name__, "has_file": colorsys.__file__.endswith("colorsys.py")}
        seen["probe"] = hasattr(colorsys, "__wrapped__")  # a dunder probe, as PySide6's signature module does
        seen["loaded_before_use"] = "_real_module" in placeholder.__dict__
        seen["value"] = colorsys.rgb_to_hsv(1.0, 0.0, 0.0)
        seen["now_real"] = type(sys.modules["colorsys"]).__name__
        seen["same_function"] = colorsys.rgb_to_hsv is sys.modules["colorsys"].rgb_to_hsv
        defer_import("json")  # already imported: left as it is
        seen["json_untouched"] = not isinstance(sys.modules["json"], DeferredModule)
        print(json.dumps(seen))
        """,
        tmp_path,
    )
    assert result == {
        "type": "DeferredModule",
        "has_file": True,
        "probe": False,
        "loaded_before_use": False,
        "value": [0.0, 1.0, 1.0],
        "now_real": "module",
        "same_function": True,
        "json_untouched": True,
    }
