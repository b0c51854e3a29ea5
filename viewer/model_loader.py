"""Load PyTorch and the models on a background thread while the window is already drawn.

PyTorch's import holds Python's global interpreter lock for long stretches; the longest one is the
dynamic loading of ``libtorch_cpu.so`` (~0.5 s), during which the interface thread could not run
at all. :func:`~equiview.viewer.model.torch_preload.preload_torch_libraries` maps those libraries first
without holding the lock, so the import that follows finds them loaded. The collector is
paused while the import allocates its hundreds of thousands of objects (a full collection would
hold the lock for 100 ms and more) and those objects are then moved out of its way (``gc.freeze``),
which also keeps later collections short while sliders are dragged.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, Signal

from equiview.viewer.model.library import ModelLibrary, with_loaded_models
from equiview.viewer.model.pipeline import Pipeline
from equiview.viewer.model.snapshot import Snapshot
from equiview.viewer.model.torch_preload import preload_torch_libraries


class ModelLoader(QObject):
    """Loads the rows' sources of ``snapshot`` into the pipeline's library on a thread.

    Then it computes the snapshot's frame once on that thread (the first run of a model pays for
    lazy initialisation inside PyTorch, and the original pose's embeddings are cached), so the
    interface thread only draws. :attr:`finished` is emitted from the loading thread and delivered
    (queued) on the interface thread with ``{kind: (source, Checkpoint or the exception raised)}``.
    """

    finished = Signal(object)

    def __init__(self, pipeline: Pipeline, snapshot: Snapshot, parent: QObject | None = None):
        super().__init__(parent)
        self.pipeline = pipeline
        self.library: ModelLibrary = pipeline.library
        self.snapshot = snapshot
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="equiview-model-loader", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        results: dict[str, tuple] = {}
        collecting = gc.isenabled()
        gc.disable()
        try:
            preload_torch_libraries()
            for kind, source in self.snapshot.sources.items():
                try:
                    results[kind] = (source, self.library.load(source))
                except Exception as error:  # noqa: BLE001 - handed to the interface thread, which reports it
                    results[kind] = (source, error)
            try:
                warm, _ = with_loaded_models(self.snapshot, results, self.library)
                self.pipeline.frame(warm, models=True)
            except Exception:  # noqa: BLE001 - only a warm-up: the interface thread computes and reports for real
                pass
        finally:
            gc.freeze()  # the import's objects stay alive for good: keep them out of every later collection
            if collecting:
                gc.enable()
        try:
            self.finished.emit(results)
        except RuntimeError:  # the window closed while the models were loading
            pass
