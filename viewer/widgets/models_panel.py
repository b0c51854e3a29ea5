"""Per model row: where the network comes from and how its embeddings become colours."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.colouring import available_colormaps
from viewer.library import LOAD_ERRORS, LoadedModel, ModelLibrary, default_projection, error_text, shipped_checkpoint
from viewer.snapshot import MODEL_ROWS, MODEL_TITLES, ModelSource, ProjectionSpec
from viewer.state import ViewState

PROJECTIONS = (
    ("channel", "Channel k"),
    ("pca", "First principal component"),
    ("norm", "Norm ‖h‖"),
)
MAX_SEED = 2**31 - 1


class ModelBox(QGroupBox):
    """Source, seed, projection and channel of one model row."""

    errorOccurred = Signal(str)
    loadRequested = Signal(str)  # model kind: the window opens a file dialog

    def __init__(self, kind: str, state: ViewState, library: ModelLibrary, parent: QWidget | None = None) -> None:
        super().__init__(MODEL_TITLES[kind], parent)
        self.kind = kind
        self.state = state
        self.library = library
        self._extra: list[ModelSource] = []  # checkpoints loaded from files in this session

        self.source_combo = QComboBox()
        self.source_combo.setObjectName(f"{kind}SourceCombo")
        self.source_combo.setAccessibleName(f"{MODEL_TITLES[kind]} source")
        self.source_combo.activated.connect(self._source_chosen)
        self.load_button = QPushButton("Load…")
        self.load_button.setObjectName(f"{kind}LoadButton")
        self.load_button.setToolTip(f"Load a {kind} checkpoint file")
        self.load_button.clicked.connect(lambda: self.loadRequested.emit(self.kind))
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_combo, 1)
        source_row.addWidget(self.load_button)

        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName(f"{kind}SeedSpin")
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("torch.manual_seed(N) before building the untrained demo model")
        self.seed_spin.valueChanged.connect(self._seed_changed)

        self.projection_combo = QComboBox()
        self.projection_combo.setObjectName(f"{kind}ProjectionCombo")
        for key, text in PROJECTIONS:
            self.projection_combo.addItem(text, key)
        self.projection_combo.setToolTip(
            "How d-dimensional atom embeddings become one colour value; PCA is fitted on the original pose"
        )
        self.projection_combo.activated.connect(self._projection_changed)
        self.channel_spin = QSpinBox()
        self.channel_spin.setObjectName(f"{kind}ChannelSpin")
        self.channel_spin.setRange(0, 0)
        self.channel_spin.setKeyboardTracking(False)
        self.channel_spin.valueChanged.connect(self._projection_changed)
        projection_row = QHBoxLayout()
        projection_row.addWidget(self.projection_combo, 1)
        projection_row.addWidget(QLabel("k"))
        projection_row.addWidget(self.channel_spin)

        self.info = QLabel()
        self.info.setObjectName(f"{kind}InfoLabel")
        self.info.setWordWrap(True)
        self.info.setProperty("muted", True)

        form = QFormLayout(self)
        form.addRow("Source", source_row)
        form.addRow("Seed N", self.seed_spin)
        form.addRow("Colour by", projection_row)
        form.addRow(self.info)

        state.sourceChanged.connect(self._follow_source)
        state.projectionChanged.connect(self._follow_projection)
        self._rebuild_sources()
        self._follow_source(kind)
        self._follow_projection(kind)

    # ------------------------------------------------------------------ sources
    def _known_sources(self) -> list[tuple[str, ModelSource]]:
        current = self.state.source(self.kind)
        seed = current.seed if current.is_untrained else self.seed_spin.value()
        items = [("Untrained demo (seed N)", ModelSource.untrained(self.kind, seed))]
        seen = set()
        shipped = shipped_checkpoint(self.kind)
        if shipped is not None:
            source = ModelSource.from_checkpoint(self.kind, shipped)
            items.append((f"Shipped: {shipped.name}", source))
            seen.add(source.checkpoint)
        for source in self._extra:
            if source.checkpoint not in seen:
                items.append((f"File: {source.checkpoint.name}", source))
                seen.add(source.checkpoint)
        return items

    def _rebuild_sources(self) -> None:
        current = self.state.source(self.kind)
        if not current.is_untrained and current.checkpoint not in [s.checkpoint for s in self._extra]:
            if current.checkpoint != shipped_checkpoint(self.kind):
                self._extra.append(current)
        with QSignalBlocker(self.source_combo):
            self.source_combo.clear()
            for text, source in self._known_sources():
                self.source_combo.addItem(text, source)
                if source.checkpoint is not None:
                    self.source_combo.setItemData(self.source_combo.count() - 1, str(source.checkpoint), 3)  # tooltip
            self.source_combo.setCurrentIndex(self._index_of(current))

    def _index_of(self, source: ModelSource) -> int:
        for i in range(self.source_combo.count()):
            item: ModelSource = self.source_combo.itemData(i)
            if source.is_untrained and item.is_untrained:
                return i
            if item.checkpoint is not None and item.checkpoint == source.checkpoint:
                return i
        return 0

    def _apply_source(self, source: ModelSource) -> bool:
        """Load first, then write to the state: a bad file never reaches the state."""
        try:
            loaded = self.library.load(source)
            self._adapt_projection(loaded)
            self.state.set_source(source)
            return True
        except LOAD_ERRORS as error:
            self.errorOccurred.emit(error_text(error))
        except Exception as error:  # noqa: BLE001 - never raise into Qt
            self.errorOccurred.emit(error_text(error))
        self._follow_source(self.kind)
        return False

    def _adapt_projection(self, loaded: LoadedModel) -> None:
        """A multi-dimensional model starts on PCA; a channel stays within range."""
        spec = self.state.projection(self.kind)
        if spec.kind == "channel" and (spec.channel >= loaded.embedding_dim or loaded.embedding_dim > 1):
            self.state.set_projection(self.kind, default_projection(loaded))

    @Slot(int)
    def _source_chosen(self, index: int) -> None:
        source = self.source_combo.itemData(index)
        if isinstance(source, ModelSource):
            if source.is_untrained:
                source = ModelSource.untrained(self.kind, self.seed_spin.value())
            self._apply_source(source)

    @Slot(int)
    def _seed_changed(self, seed: int) -> None:
        self._apply_source(ModelSource.untrained(self.kind, seed))

    def use_checkpoint(self, path: str | Path) -> bool:
        """Load ``path`` into this row (File ▸ Load, drag and drop, the Load… button)."""
        try:
            source = ModelSource.from_checkpoint(self.kind, path)
        except Exception as error:  # noqa: BLE001
            self.errorOccurred.emit(error_text(error))
            return False
        return self._apply_source(source)

    # ------------------------------------------------------------------ projection
    @Slot()
    def _projection_changed(self, *_args) -> None:
        kind = self.projection_combo.currentData()
        spec = ProjectionSpec(kind, self.channel_spin.value() if kind == "channel" else 0)
        try:
            self.state.set_projection(self.kind, spec)
        except Exception as error:  # noqa: BLE001
            self.errorOccurred.emit(error_text(error))
            self._follow_projection(self.kind)

    # ------------------------------------------------------------------ state -> widgets
    @Slot(str)
    def _follow_source(self, kind: str) -> None:
        if kind != self.kind:
            return
        source = self.state.source(kind)
        self._rebuild_sources()
        with QSignalBlocker(self.seed_spin):
            if source.is_untrained:
                self.seed_spin.setValue(source.seed)
        self.seed_spin.setEnabled(source.is_untrained)
        try:
            loaded = self.library.load(source)
        except Exception as error:  # noqa: BLE001
            self.info.setText(error_text(error))
            return
        dim = loaded.embedding_dim
        with QSignalBlocker(self.channel_spin):
            self.channel_spin.setRange(0, max(0, dim - 1))
        trained = "trained" if loaded.trained else "untrained: predictions are meaningless"
        self.info.setText(f"{dim}-D atom embeddings · {trained}")
        self.info.setToolTip(loaded.description())
        self._follow_projection(kind)

    @Slot(str)
    def _follow_projection(self, kind: str) -> None:
        if kind != self.kind:
            return
        spec = self.state.projection(kind)
        with QSignalBlocker(self.projection_combo):
            self.projection_combo.setCurrentIndex(max(0, self.projection_combo.findData(spec.kind)))
        with QSignalBlocker(self.channel_spin):
            self.channel_spin.setValue(spec.channel)
        self.channel_spin.setEnabled(spec.kind == "channel" and self.channel_spin.maximum() > 0)


class ModelsPanel(QWidget):
    """Both model rows plus the colormap and display toggles."""

    errorOccurred = Signal(str)
    loadRequested = Signal(str)

    def __init__(self, state: ViewState, library: ModelLibrary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.boxes: dict[str, ModelBox] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for kind in MODEL_ROWS:
            box = ModelBox(kind, state, library)
            box.errorOccurred.connect(self.errorOccurred)
            box.loadRequested.connect(self.loadRequested)
            self.boxes[kind] = box
            layout.addWidget(box)

        display = QGroupBox("Display")
        form = QFormLayout(display)
        self.colormap_combo = QComboBox()
        self.colormap_combo.setObjectName("colormapCombo")
        self.colormap_combo.addItems(list(available_colormaps()))
        self.colormap_combo.activated.connect(self._colormap_chosen)
        form.addRow("&Colormap", self.colormap_combo)
        self.input_row_check = QCheckBox("Show the &input row")
        self.input_row_check.setObjectName("inputRowCheck")
        self.input_row_check.toggled.connect(lambda on: self._guard(state.set_show_input_row, on))
        self.labels_check = QCheckBox("Show atom &indices")
        self.labels_check.setObjectName("labelsCheck")
        self.labels_check.toggled.connect(lambda on: self._guard(state.set_show_labels, on))
        form.addRow(self.input_row_check)
        form.addRow(self.labels_check)
        layout.addWidget(display)
        layout.addStretch(1)

        state.colormapChanged.connect(self._follow)
        state.inputRowChanged.connect(self._follow)
        state.labelsChanged.connect(self._follow)
        self._follow()

    def _guard(self, action, *args) -> None:
        try:
            action(*args)
        except Exception as error:  # noqa: BLE001
            self.errorOccurred.emit(error_text(error))
            self._follow()

    @Slot(int)
    def _colormap_chosen(self, index: int) -> None:
        self._guard(self.state.set_colormap, self.colormap_combo.itemText(index))

    @Slot()
    def _follow(self, *_args) -> None:
        with QSignalBlocker(self.colormap_combo):
            self.colormap_combo.setCurrentText(self.state.colormap)
        with QSignalBlocker(self.input_row_check):
            self.input_row_check.setChecked(self.state.show_input_row)
        with QSignalBlocker(self.labels_check):
            self.labels_check.setChecked(self.state.show_labels)
