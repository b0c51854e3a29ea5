"""Per model row: where the network comes from and how its embeddings become colours."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from equiview.viewer.guard import guarded
from equiview.viewer.model.arrow_length import DIPOLE_REACH
from equiview.viewer.model.colouring import PROJECTION_HELP, available_colormaps, projection_help
from equiview.viewer.model.errors import error_text
from equiview.viewer.model.library import (
    VECTOR_KIND_OF_ROW,
    ModelLibrary,
    ModelLoadError,
    default_projection,
    describe,
    kind_mismatch,
    shipped_checkpoint,
)
from equiview.viewer.model.pipeline import LOADING_MODELS, USER_ARROW_LENGTH, loading_text
from equiview.viewer.model.snapshot import (
    ANGSTROM_PER_DEBYE,
    ARROW_SCALE_RANGE,
    MAX_MODEL_ROWS,
    MODEL_ROWS,
    MODEL_TITLES,
    USER_KIND,
    VECTOR_KINDS,
    ModelSource,
    ProjectionSpec,
    Snapshot,
)

if TYPE_CHECKING:
    from equiview.core.checkpoints import Checkpoint
from equiview.viewer.state import ViewState

PROJECTIONS = (
    ("channel", "Channel k"),
    ("pca", "First principal component"),
    ("norm", "Norm ‖h‖"),
)
MAX_SEED = 2**31 - 1


class ModelBox(QGroupBox):
    """Source, seed, projection and channel of one model row (``kind`` is the row's name; a built-in row also takes
    its family's dipole checkpoints)."""

    loadRequested = Signal(str)  # model row: the window opens a file dialog

    def __init__(self, kind: str, state: ViewState, library: ModelLibrary, parent: QWidget | None = None) -> None:
        source = state.source(kind)
        is_user = source.kind == USER_KIND
        super().__init__(source.title if is_user else MODEL_TITLES[kind], parent)  # a built-in row: its family
        self.kind = kind
        self.is_user = is_user
        self.state = state
        self.library = library
        self._extra: list[ModelSource] = []  # checkpoints loaded from files in this session
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName(f"{kind}RemoveButton")
        self.remove_button.setToolTip("Remove this row from the grid (at least one model row stays)")
        self.remove_button.clicked.connect(self._remove_clicked)

        self.source_combo = QComboBox()
        self.source_combo.setObjectName(f"{kind}SourceCombo")
        self.source_combo.setAccessibleName(f"{self.title()} source")
        self.source_combo.setToolTip(
            f"Which {self.title()} colours this row: the untrained demo, the shipped checkpoint or a file"
            if not is_user
            else f"{self.title()} comes from your Python file"
        )
        self.source_combo.activated.connect(self._source_chosen)
        self.load_button = QPushButton("Load…")
        self.load_button.setObjectName(f"{kind}LoadButton")
        if not is_user:
            self.load_button.setToolTip(f"Load a {kind} or {VECTOR_KIND_OF_ROW[kind]} checkpoint file")
        self.load_button.clicked.connect(self._load_clicked)
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
            self.projection_combo.setItemData(self.projection_combo.count() - 1, PROJECTION_HELP[key], 3)  # tooltip
        # what "h: PC 1" on the colour bar means, where the user picks it
        colour_help = "\n\n".join(projection_help())
        self.projection_combo.setToolTip(colour_help)
        self.projection_combo.activated.connect(self._projection_changed)
        self.channel_spin = QSpinBox()
        self.channel_spin.setObjectName(f"{kind}ChannelSpin")
        self.channel_spin.setRange(0, 0)
        self.channel_spin.setKeyboardTracking(False)
        self.channel_spin.setToolTip("The embedding channel k shown as colour (with 'Channel k')")
        self.channel_spin.valueChanged.connect(self._projection_changed)
        projection_row = QHBoxLayout()
        projection_row.addWidget(self.projection_combo, 1)
        projection_row.addWidget(QLabel("k"))
        projection_row.addWidget(self.channel_spin)

        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName(f"{kind}LayerCombo")
        self.layer_combo.setAccessibleName(f"{self.title()} layer")
        self.layer_combo.setToolTip(
            "Colour this row by one layer's per-atom output (a forward hook) and judge that layer in its badge: "
            "the first layer that changes under g is where the symmetry breaks"
        )
        self.layer_combo.activated.connect(self._layer_chosen)

        self.info = QLabel()
        self.info.setObjectName(f"{kind}InfoLabel")
        self.info.setWordWrap(True)
        self.info.setProperty("muted", True)

        form = QFormLayout(self)
        form.addRow("Source", source_row)
        form.addRow("Seed N", self.seed_spin)
        colour_label = QLabel("Colour by")
        colour_label.setToolTip(colour_help)
        form.addRow(colour_label, projection_row)
        form.addRow("Layer", self.layer_combo)
        form.addRow(self.info)
        form.addRow(self.remove_button)
        if self.is_user:  # a user's model comes from its Python file: no checkpoints, no seed
            self.load_button.hide()
            self.seed_spin.setEnabled(False)

        state.changed.connect(self._state_changed)
        self._rebuild_sources()
        self._follow_source()
        self._follow_projection()

    @Slot()
    def _load_clicked(self) -> None:
        self.loadRequested.emit(self.kind)

    @Slot()
    @guarded
    def _remove_clicked(self) -> None:
        self.state.remove_row(self.kind)

    # ------------------------------------------------------------------ sources
    def _known_sources(self) -> list[tuple[str, ModelSource]]:
        current = self.state.source(self.kind)
        if self.is_user:
            return [(f"Python: {current.label()}", current)]
        seed = current.seed if current.is_untrained else self.seed_spin.value()
        items = [("Untrained demo (seed N)", ModelSource.untrained(self.kind, seed))]
        seen = set()
        for kind in (self.kind, VECTOR_KIND_OF_ROW[self.kind]):
            shipped = shipped_checkpoint(kind)
            if shipped is not None:
                source = ModelSource.from_checkpoint(kind, shipped)
                items.append((f"Shipped: {shipped.name}", source))
                seen.add(source.checkpoint)
        for source in self._extra:
            if source.checkpoint not in seen:
                items.append((f"File: {source.checkpoint.name}", source))
                seen.add(source.checkpoint)
        return items

    def _rebuild_sources(self) -> None:
        current = self.state.source(self.kind)
        if (
            not self.is_user
            and not current.is_untrained
            and current.checkpoint not in [s.checkpoint for s in self._extra]
        ):
            shipped = {shipped_checkpoint(kind) for kind in (self.kind, VECTOR_KIND_OF_ROW[self.kind])}
            if current.checkpoint not in shipped:
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
            if item == source:
                return i
            if source.is_untrained and item.is_untrained:
                return i
            if item.checkpoint is not None and item.checkpoint == source.checkpoint:
                return i
        return 0

    @guarded(on_error="_follow_source")
    def _apply_source(self, source: ModelSource) -> bool:
        """Load first, then write to the state (source and projection in one change): a bad file never gets there."""
        model = self.library.load(source)
        self.state.set_model(source, self._projection_for(model))
        return True

    def _projection_for(self, model: Checkpoint) -> ProjectionSpec:
        """A multi-dimensional model starts on PCA; a channel stays within range."""
        spec = self.state.projection(self.kind)
        if model.embedding_dim is None:  # a user's model before its first forward pass
            return spec
        if spec.kind == "channel" and (spec.channel >= model.embedding_dim or model.embedding_dim > 1):
            return default_projection(model)
        return spec

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
        """Load ``path`` into this row (File ▸ Load, drag and drop, the Load… button); the file names its kind."""
        return bool(self._load_file(path))

    @guarded(on_error="_follow_source")
    def _load_file(self, path: str | Path) -> bool:
        source, _ = self.library.load_file(path)
        if source.row != self.kind:
            raise ModelLoadError(f"{path}: {kind_mismatch(source.kind, self.kind)}")
        return bool(self._apply_source(source))

    # ------------------------------------------------------------------ layer
    @Slot(int)
    @guarded(on_error="_follow_layer")
    def _layer_chosen(self, index: int) -> None:
        self.state.set_layer(self.kind, self.layer_combo.itemData(index))

    def _fill_layers(self, model) -> None:
        """The row model's layers (a built-in model's children, a user model's ``layers = [...]``)."""
        from equiview.viewer.model.layers import layer_names

        names = layer_names(model)
        with QSignalBlocker(self.layer_combo):
            self.layer_combo.clear()
            self.layer_combo.addItem("Model output", None)
            for name in names:
                self.layer_combo.addItem(name, name)
        self.layer_combo.setEnabled(bool(names))
        self._follow_layer()

    def _follow_layer(self) -> None:
        with QSignalBlocker(self.layer_combo):
            self.layer_combo.setCurrentIndex(max(0, self.layer_combo.findData(self.state.layer(self.kind))))

    # ------------------------------------------------------------------ projection
    @Slot()
    @guarded(on_error="_follow_projection")
    def _projection_changed(self, *_args) -> None:
        kind = self.projection_combo.currentData()
        spec = ProjectionSpec(kind, self.channel_spin.value() if kind == "channel" else 0)
        self.state.set_projection(self.kind, spec)

    # ------------------------------------------------------------------ state -> widgets
    @Slot(object, object)
    @guarded
    def _state_changed(self, old: Snapshot, new: Snapshot) -> None:
        if self.kind not in new.rows or self.kind not in old.rows:
            return  # the panel adds and removes boxes
        if old.sources[self.kind] != new.sources[self.kind]:
            self._follow_source()
        elif old.projections[self.kind] != new.projections[self.kind]:
            self._follow_projection()
        if old.layers.get(self.kind) != new.layers.get(self.kind):
            self._follow_layer()

    def _follow_source(self) -> None:
        kind = self.kind
        source = self.state.source(kind)
        self._rebuild_sources()
        with QSignalBlocker(self.seed_spin):
            if source.is_untrained:
                self.seed_spin.setValue(source.seed)
        self.seed_spin.setEnabled(source.is_untrained)
        if not self.library.ready:  # the models load in the background; the window calls us again
            self.setEnabled(False)
            self.info.setText(LOADING_MODELS)
            return
        if self.library.is_loading(source):  # the user's file imports on a thread; the window calls us again
            self.setEnabled(False)
            self.info.setText(f"{loading_text(kind)} (running your Python file)")
            return
        self.setEnabled(True)
        try:
            model = self.library.load(source)
        except Exception as error:  # noqa: BLE001 - the state holds only loadable sources; say what broke
            self.info.setText(error_text(error))
            return
        dim = model.embedding_dim or 1
        with QSignalBlocker(self.channel_spin):
            self.channel_spin.setRange(0, max(0, dim - 1))
        if self.is_user:
            width = f"{model.embedding_dim}-D" if model.embedding_dim else "per-atom"
            self.info.setText(f"{width} features from your Python code · no prediction head")
        else:
            trained = "trained" if model.trained else "untrained: predictions are meaningless"
            vectors = " · predicts a dipole vector (arrows)" if source.kind in VECTOR_KINDS else ""
            self.info.setText(f"{dim}-D atom embeddings · {trained}{vectors}")
        self.info.setToolTip(describe(model))
        self._fill_layers(model)
        self._follow_projection()

    def _follow_projection(self) -> None:
        spec = self.state.projection(self.kind)
        with QSignalBlocker(self.projection_combo):
            self.projection_combo.setCurrentIndex(max(0, self.projection_combo.findData(spec.kind)))
        with QSignalBlocker(self.channel_spin):
            self.channel_spin.setValue(spec.channel)
        self.channel_spin.setEnabled(spec.kind == "channel" and self.channel_spin.maximum() > 0)


class ModelsPanel(QWidget):
    """One box per model row (1 to 4, added and removed here) plus the colormap and display toggles."""

    loadRequested = Signal(str)
    rescaleRequested = Signal()  # the window knows the current frame's values
    addUserModelRequested = Signal()  # the window asks for a Python file (with its warning)

    def __init__(self, state: ViewState, library: ModelLibrary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.library = library
        self.boxes: dict[str, ModelBox] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.rows_layout)
        self.add_button = QPushButton("Add model row")
        self.add_button.setObjectName("addRowButton")
        self.add_button.setToolTip(f"Up to {MAX_MODEL_ROWS} model rows: the built-in models and your own")
        self.add_menu = QMenu(self.add_button)
        self.add_menu.aboutToShow.connect(self._fill_add_menu)
        self.add_button.setMenu(self.add_menu)
        layout.addWidget(self.add_button)
        self._sync_boxes()

        display = QGroupBox("Display")
        form = QFormLayout(display)
        self.colormap_combo = QComboBox()
        self.colormap_combo.setObjectName("colormapCombo")
        self.colormap_combo.addItems(list(available_colormaps()))
        self.colormap_combo.activated.connect(self._colormap_chosen)
        form.addRow("&Colormap", self.colormap_combo)
        self.input_row_check = QCheckBox("Show the &input row")
        self.input_row_check.setObjectName("inputRowCheck")
        self.input_row_check.toggled.connect(self._input_row_toggled)
        self.labels_check = QCheckBox("Show atom &indices")
        self.labels_check.setObjectName("labelsCheck")
        self.labels_check.toggled.connect(self._labels_toggled)
        self.labels_check.setToolTip("Atom index labels, sized with the atoms (Ctrl+L)")
        self.input_row_check.setToolTip("The top row: both poses coloured by element (Ctrl+I)")
        self.colormap_combo.setToolTip("Colormap of the model rows")
        self.difference_check = QCheckBox("Colour g·x by the &change |Δh|")
        self.difference_check.setObjectName("differenceCheck")
        self.difference_check.setToolTip(
            "Colour each atom of the g·x model views by |h(g·x) − h(x)| on one scale from 0 shared by both "
            "rows: a change of 0.03 is plain to see, an invariant model stays at 0 (Ctrl+D)"
        )
        self.difference_check.toggled.connect(self._difference_toggled)
        self.rescale_button = QPushButton("&Rescale to this pose")
        self.rescale_button.setObjectName("rescaleButton")
        self.rescale_button.setToolTip(
            "Fit each row's colour range to the values of both poses, so that no atom is outside it "
            "(the range is frozen on the original pose otherwise; a new molecule or model resets it)"
        )
        self.rescale_button.clicked.connect(self.rescaleRequested)
        self.frozen_button = QPushButton("&Original range")
        self.frozen_button.setObjectName("frozenRangeButton")
        self.frozen_button.setToolTip("Back to each row's colour range frozen on the original pose")
        self.frozen_button.clicked.connect(self._frozen_range)
        ranges = QHBoxLayout()
        ranges.addWidget(self.rescale_button)
        ranges.addWidget(self.frozen_button)
        form.addRow(self.input_row_check)
        form.addRow(self.labels_check)
        form.addRow(self.difference_check)
        form.addRow(ranges)
        layout.addWidget(display)

        vectors = QGroupBox("Vectors")
        vector_form = QFormLayout(vectors)
        self.dipole_preset_button = QPushButton("Vectors: dipole models")
        self.dipole_preset_button.setObjectName("dipolePresetButton")
        self.dipole_preset_button.setToolTip(
            "Load the shipped naive-dipole and dipole checkpoints: arrows for the molecule's dipole moment"
        )
        self.dipole_preset_button.clicked.connect(self._dipole_preset)
        vector_form.addRow(self.dipole_preset_button)
        self.atom_vectors_check = QCheckBox("Show per-&atom vectors")
        self.atom_vectors_check.setObjectName("atomVectorsCheck")
        self.atom_vectors_check.setToolTip(
            "A dipole model's per-atom vectors besides the molecule's dipole arrow "
            "(a model of yours that returns vectors always shows them)"
        )
        self.atom_vectors_check.toggled.connect(self._atom_vectors_toggled)
        vector_form.addRow(self.atom_vectors_check)
        self.arrow_scale_spin = QDoubleSpinBox()
        self.arrow_scale_spin.setObjectName("arrowScaleSpin")
        self.arrow_scale_spin.setRange(*ARROW_SCALE_RANGE)
        self.arrow_scale_spin.setSingleStep(0.25)
        self.arrow_scale_spin.setDecimals(2)
        self.arrow_scale_spin.setKeyboardTracking(False)
        self.arrow_scale_spin.setToolTip(
            f"Arrow length: at 1 the dipole of x reaches {DIPOLE_REACH:g}x the molecule's radius (out of the atoms), "
            f"per-atom arrows {ANGSTROM_PER_DEBYE:g} Å per Debye; your model's vectors have no unit: at 1 the "
            f"longest of the original pose is {USER_ARROW_LENGTH:g} Å"
        )
        self.arrow_scale_spin.valueChanged.connect(self._arrow_scale_changed)
        vector_form.addRow("Arrow &scale", self.arrow_scale_spin)
        layout.addWidget(vectors)
        layout.addStretch(1)

        state.changed.connect(self._state_changed)
        self._follow()

    # ------------------------------------------------------------------ rows
    def _sync_boxes(self) -> None:
        """One box per row of the snapshot, in its order (boxes of removed rows are deleted)."""
        rows = self.state.snapshot.rows
        for name in [name for name in self.boxes if name not in rows]:
            box = self.boxes.pop(name)
            self.rows_layout.removeWidget(box)
            box.setParent(None)
            box.deleteLater()
        for position, name in enumerate(rows):
            box = self.boxes.get(name)
            if box is None:
                box = ModelBox(name, self.state, self.library, self)
                box.loadRequested.connect(self.loadRequested)
                self.boxes[name] = box
            self.rows_layout.insertWidget(position, box)
        for box in self.boxes.values():
            box.remove_button.setEnabled(len(rows) > 1)
        self.add_button.setEnabled(len(rows) < MAX_MODEL_ROWS)

    @Slot()
    def _fill_add_menu(self) -> None:
        self.add_menu.clear()
        for kind in MODEL_ROWS:
            if kind not in self.state.snapshot.rows:
                action = self.add_menu.addAction(MODEL_TITLES[kind])
                action.setData(kind)
                action.triggered.connect(self._add_builtin)
        user = self.add_menu.addAction("Your model from a Python file…")
        user.triggered.connect(self.addUserModelRequested)

    @Slot()
    @guarded
    def _add_builtin(self) -> None:
        kind = self.sender().data()
        self.add_builtin(kind)

    def add_builtin(self, kind: str) -> None:
        """Show a built-in model row again (its shipped checkpoint when there is one)."""
        source = self.library.default_sources()[kind]
        self.state.add_row(source, default_projection(self.library.load(source)))

    @Slot(bool)
    @guarded(on_error="_follow")
    def _input_row_toggled(self, shown: bool) -> None:
        self.state.set_show_input_row(shown)

    @Slot(bool)
    @guarded(on_error="_follow")
    def _labels_toggled(self, shown: bool) -> None:
        self.state.set_show_labels(shown)

    @Slot(bool)
    @guarded(on_error="_follow")
    def _atom_vectors_toggled(self, shown: bool) -> None:
        self.state.set_show_atom_vectors(shown)

    @Slot(float)
    @guarded(on_error="_follow")
    def _arrow_scale_changed(self, scale: float) -> None:
        self.state.set_arrow_scale(scale)

    @Slot()
    @guarded
    def _dipole_preset(self) -> None:
        """Both dipole checkpoints in one change (one frame); a removed built-in row comes back at the bottom."""
        snapshot = self.state.snapshot
        for source in self.library.dipole_sources().values():
            model = self.library.load(source)
            snapshot = snapshot.with_row(source, default_projection(model))
        self.state.set_snapshot(snapshot.replace(colour_ranges={}))  # ranges chosen for other models

    @Slot(bool)
    @guarded(on_error="_follow")
    def _difference_toggled(self, on: bool) -> None:
        self.state.set_colour_mode("difference" if on else "embedding")

    @Slot()
    @guarded(on_error="_follow")
    def _frozen_range(self) -> None:
        self.state.set_colour_ranges({})

    @Slot(int)
    @guarded(on_error="_follow")
    def _colormap_chosen(self, index: int) -> None:
        self.state.set_colormap(self.colormap_combo.itemText(index))

    @Slot(object, object)
    @guarded
    def _state_changed(self, old: Snapshot, new: Snapshot) -> None:
        if old.rows != new.rows:
            self._sync_boxes()
        fields = {"colormap", "show_input_row", "show_labels", "show_atom_vectors", "arrow_scale"}
        if old.changed_fields(new) & (fields | {"colour_mode", "colour_ranges"}):
            self._follow()

    def models_ready(self) -> None:
        """The background loader finished: show what each row's model is."""
        for box in self.boxes.values():
            box._follow_source()

    def row_loaded(self, row: str) -> None:
        """A user's model finished loading on its thread: its box shows the model."""
        box = self.boxes.get(row)
        if box is not None:
            box._follow_source()

    def _follow(self) -> None:
        with QSignalBlocker(self.colormap_combo):
            self.colormap_combo.setCurrentText(self.state.colormap)
        with QSignalBlocker(self.input_row_check):
            self.input_row_check.setChecked(self.state.show_input_row)
        with QSignalBlocker(self.labels_check):
            self.labels_check.setChecked(self.state.show_labels)
        with QSignalBlocker(self.atom_vectors_check):
            self.atom_vectors_check.setChecked(self.state.snapshot.show_atom_vectors)
        with QSignalBlocker(self.arrow_scale_spin):
            self.arrow_scale_spin.setValue(self.state.snapshot.arrow_scale)
        with QSignalBlocker(self.difference_check):
            self.difference_check.setChecked(self.state.colour_mode == "difference")
        self.frozen_button.setEnabled(bool(self.state.snapshot.colour_ranges))
