"""Import a user's model file and call its factory on a background thread (Models ▸ Add model from Python file…).

That file is the user's code: importing it may take seconds (a file that imports torch_geometric takes ~2 s) or
raise anything. Run on the interface thread it would freeze the window meanwhile; here the window keeps drawing,
the row says "loading NAME…", and :attr:`UserModelLoader.finished` brings the result back to the interface thread.
The loader holds only the model's spec (no window, no library): a window closed meanwhile is not kept alive.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from equiview.viewer.model.snapshot import ModelSource


class UserModelLoader(QObject):
    """Loads one user source on a thread; :attr:`finished` is delivered (queued) on the interface thread with
    ``(source, UserModel or the exception loading raised)``."""

    finished = Signal(object, object)

    def __init__(self, source: ModelSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"equiview-user-model-{self.source.row}", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        from equiview.core.user_models import load_user_model

        try:
            result = load_user_model(self.source.user_spec)
        except BaseException as error:  # noqa: BLE001 - the user's code may raise anything; the window reports it
            result = error
        try:
            self.finished.emit(self.source, result)
        except RuntimeError:  # the window closed while the model was loading
            pass
