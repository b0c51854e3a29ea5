"""Molecule browser: index, search by gdb_N or formula, previous/next, the 19 QM9 properties; and the user's
molecules: a SMILES box, Open file…, and the list of a multi-molecule file."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from equiview.core.data.search import MoleculeSearch
from equiview.core.data.targets import TARGETS
from equiview.viewer.guard import guarded, reporting
from equiview.viewer.model.errors import error_text
from equiview.viewer.model.molecules import MoleculeTable
from equiview.viewer.model.properties import property_name
from equiview.viewer.model.snapshot import Snapshot, StructureRef
from equiview.viewer.model.structures import StructureLibrary
from equiview.viewer.state import ViewState


def format_value(value: float) -> str:
    if not np.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude != 0 and (magnitude >= 1e5 or magnitude < 1e-3):
        return f"{value:.4e}"
    return f"{value:.4f}"


class MoleculePanel(QWidget):
    """Browse and search the molecules; failures go to the window through :mod:`equiview.viewer.guard`."""

    openFileRequested = Signal()  # the window shows its File ▸ Open molecule… dialog
    structureOpened = Signal(str)  # a molecule file was opened (for Open Recent)

    def __init__(
        self,
        state: ViewState,
        dataset: MoleculeTable,
        parent: QWidget | None = None,
        structures: StructureLibrary | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.dataset = dataset
        self.structures = structures if structures is not None else StructureLibrary()
        self.index = MoleculeSearch(dataset)

        self.index_spin = QSpinBox()
        self.index_spin.setObjectName("moleculeSpin")
        self.index_spin.setRange(0, len(dataset) - 1)
        self.index_spin.setKeyboardTracking(False)
        self.index_spin.setAccessibleName("Molecule position in the filtered dataset")
        self.index_spin.setToolTip("Position of the molecule in the filtered QM9 set")
        self.index_spin.valueChanged.connect(self._index_changed)
        self.previous_button = QPushButton("◀")
        self.previous_button.setObjectName("previousButton")
        self.previous_button.setToolTip("Previous molecule (Page Up)")
        self.previous_button.setAccessibleName("Previous molecule")
        self.previous_button.clicked.connect(self.previous)
        self.next_button = QPushButton("▶")
        self.next_button.setObjectName("nextButton")
        self.next_button.setToolTip("Next molecule (Page Down)")
        self.next_button.setAccessibleName("Next molecule")
        self.next_button.clicked.connect(self.next)
        for button in (self.previous_button, self.next_button):
            button.setFixedWidth(34)
        of_label = QLabel(f"of {len(dataset):,}")
        of_label.setProperty("muted", True)
        nav = QHBoxLayout()
        nav.addWidget(QLabel("#"))
        nav.addWidget(self.index_spin, 1)
        nav.addWidget(of_label)
        nav.addWidget(self.previous_button)
        nav.addWidget(self.next_button)

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setPlaceholderText("gdb_814, 800 or C5H7NO")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Find a molecule")
        self.search_edit.setToolTip("A position (800), a QM9 name (gdb_814) or a formula (C5H7NO); Enter: next match")
        self.search_edit.returnPressed.connect(self.search)
        self.search_button = QPushButton("&Find")
        self.search_button.setObjectName("searchButton")
        self.search_button.setToolTip("Go to the next molecule that matches (Ctrl+F puts the cursor here)")
        self.search_button.clicked.connect(self.search)
        find = QHBoxLayout()
        find.addWidget(self.search_edit, 1)
        find.addWidget(self.search_button)

        self.summary = QLabel()
        self.summary.setObjectName("moleculeSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.search_status = QLabel()
        self.search_status.setObjectName("searchStatus")
        self.search_status.setProperty("muted", True)
        self.search_status.setWordWrap(True)
        # a long message wraps inside the panel: it never widens the dock
        self.search_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.table = QTableWidget(len(TARGETS), 3)
        self.table.setObjectName("propertiesTable")
        self.table.setHorizontalHeaderLabels(["Property", "Value", "Unit"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for row, target in enumerate(TARGETS):
            name = QTableWidgetItem(property_name(target))
            name.setToolTip(f"{property_name(target)} ({target.unit}); QM9 key {target.name!r}")
            unit = QTableWidgetItem(target.unit)
            value = QTableWidgetItem()
            value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setToolTip(target.description)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, value)
            self.table.setItem(row, 2, unit)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setMinimumHeight(120)

        yours = QGroupBox("Your molecule")
        self.smiles_edit = QLineEdit()
        self.smiles_edit.setObjectName("smilesEdit")
        self.smiles_edit.setPlaceholderText("SMILES, e.g. CCO or c1ccccc1S")
        self.smiles_edit.setClearButtonEnabled(True)
        self.smiles_edit.setAccessibleName("Molecule from a SMILES string")
        self.smiles_edit.setToolTip("3D by RDKit: hydrogens added, ETKDG with a fixed seed, then MMFF94")
        self.smiles_edit.returnPressed.connect(self.show_smiles)
        self.smiles_button = QPushButton("&Build")
        self.smiles_button.setToolTip("Build the SMILES box's molecule in 3D and show it (Enter in the box)")
        self.smiles_button.setObjectName("smilesButton")
        self.smiles_button.clicked.connect(self.show_smiles)
        self.open_button = QPushButton("Open file…")
        self.open_button.setObjectName("openMoleculeButton")
        self.open_button.setToolTip("xyz, sdf, mol, pdb, cif, … (File ▸ Open molecule…, Ctrl+Shift+O)")
        self.open_button.clicked.connect(self.openFileRequested)
        smiles_row = QHBoxLayout()
        smiles_row.addWidget(self.smiles_edit, 1)
        smiles_row.addWidget(self.smiles_button)
        smiles_row.addWidget(self.open_button)
        self.structure_list = QListWidget()
        self.structure_list.setObjectName("structureList")
        self.structure_list.setAccessibleName("Molecules in the open file")
        self.structure_list.setMaximumHeight(110)
        self.structure_list.currentRowChanged.connect(self._structure_chosen)
        yours_layout = QVBoxLayout(yours)
        yours_layout.addLayout(smiles_row)
        yours_layout.addWidget(self.structure_list)
        self._listed_file: str | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(nav)
        layout.addLayout(find)
        layout.addWidget(self.search_status)
        layout.addWidget(yours)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

        state.changed.connect(self._state_changed)
        self._follow_state()

    # ------------------------------------------------------------------ actions
    @Slot(int)
    @guarded(on_error="_follow_state")
    def _index_changed(self, value: int) -> None:
        self.state.set_molecule(value)

    @Slot()
    @guarded
    def previous(self) -> None:
        if self._step_in_file(-1):
            return
        if self.state.molecule > 0:
            self.state.set_molecule(self.state.molecule - 1)

    @Slot()
    @guarded
    def next(self) -> None:
        if self._step_in_file(+1):
            return
        if self.state.molecule < self.state.num_molecules - 1:
            self.state.set_molecule(self.state.molecule + 1)

    @Slot()
    def search(self) -> bool:
        """Go to the molecule named in the search box; a miss is said inline (no dialog), anything else reported."""
        with reporting(self, on_error=lambda: self._say("the search failed (see the message)", miss=True)):
            try:
                hit = self.index.search(self.search_edit.text(), self.state.molecule)
            except KeyError as miss:  # no such molecule: the search's own one-line answer
                self._say(error_text(miss), miss=True)
                return False
            self.state.set_molecule(hit.index)
            self._say(hit.status, miss=False)
            return True
        return False

    def _say(self, text: str, miss: bool) -> None:
        self.search_status.setText(text)
        self.search_status.setToolTip(text)
        self.search_status.setProperty("warning", miss)
        self.search_status.setStyleSheet("color: #b45309;" if miss else "")

    def _step_in_file(self, step: int) -> bool:
        """Previous/next inside a multi-molecule file while one is shown; False otherwise."""
        current = self.state.structure
        if current is None or current.origin != "file":
            return False
        index = current.index + step
        if 0 <= index < len(self.structures.file(current.text)):
            self.state.set_structure(StructureRef.file(current.text, index))
        return True

    # ------------------------------------------------------------------ the user's molecules
    def open_file(self, path: str) -> bool:
        """Read the molecule file (every molecule in it) and show its first molecule; a bad file changes nothing."""
        self.structures.file(path)  # raises MoleculeInputError with one line before the state is touched
        ref = StructureRef.file(path, 0)
        self.state.set_structure(ref)
        self.structureOpened.emit(ref.text)
        return True

    @Slot()
    @guarded
    def show_smiles(self) -> None:
        """The molecule of the SMILES box (built once; a SMILES that does not parse or embed changes nothing)."""
        text = self.smiles_edit.text().strip()
        self.structures.smiles(text)
        self.state.set_structure(StructureRef.smiles(text))

    @Slot(int)
    @guarded(on_error="_follow_state")
    def _structure_chosen(self, row: int) -> None:
        current = self.state.structure
        if row >= 0 and current is not None and current.origin == "file" and row != current.index:
            self.state.set_structure(StructureRef.file(current.text, row))

    def _follow_structure(self, ref: StructureRef) -> None:
        if ref.origin == "file":
            molecules = self.structures.file(ref.text)
            if self._listed_file != ref.text:
                with QSignalBlocker(self.structure_list):
                    self.structure_list.clear()
                    for k, molecule in enumerate(molecules):
                        self.structure_list.addItem(f"{k}  {molecule.label()}")
                self._listed_file = ref.text
            with QSignalBlocker(self.structure_list):
                self.structure_list.setCurrentRow(ref.index)
            molecule = molecules[ref.index]
            where = f"{ref.label()}, molecule {ref.index} of {len(molecules)}"
        else:
            molecule = self.structures.smiles(ref.text)
            where = "built from its SMILES (ETKDG + MMFF94)"
            with QSignalBlocker(self.smiles_edit):
                self.smiles_edit.setText(ref.text)
        self.structure_list.setVisible(ref.origin == "file")
        pretty = "".join(f"<sub>{c}</sub>" if c.isdigit() else c for c in molecule.formula)
        title = molecule.title if len(molecule.title) <= 40 else molecule.title[:39] + "…"
        self.summary.setText(
            f"<b>{title}</b> &nbsp; {pretty} &nbsp; · &nbsp; {molecule.num_atoms} atoms<br>"
            f"<span style='color:#6b7280'>{where}; QM9 properties only for QM9 molecules</span>"
        )
        self.summary.setToolTip(f"{ref.text}: {molecule.formula}, {molecule.num_atoms} atoms")
        self.table.hide()

    # ------------------------------------------------------------------ state -> widgets
    @Slot(object, object)
    @guarded
    def _state_changed(self, old: Snapshot, new: Snapshot) -> None:
        if old.molecule != new.molecule or old.structure != new.structure:
            self._follow_state()

    def _follow_state(self) -> None:
        structure = self.state.structure
        if structure is not None:
            self._follow_structure(structure)
            return
        self.structure_list.setVisible(self._listed_file is not None)
        with QSignalBlocker(self.structure_list):
            self.structure_list.setCurrentRow(-1)
        self.table.show()
        index = self.state.molecule
        with QSignalBlocker(self.index_spin):
            self.index_spin.setValue(index)
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < self.state.num_molecules - 1)
        name = self.dataset.name(index)
        atoms = self.dataset.num_atoms(index)
        chemical = self.index.formula_of(index)
        pretty = "".join(f"<sub>{c}</sub>" if c.isdigit() else c for c in chemical)
        self.summary.setText(f"<b>{name}</b> &nbsp; {pretty} &nbsp; · &nbsp; {atoms} atoms")
        self.summary.setToolTip(f"{name}: {chemical}, {atoms} atoms, position {index} in the filtered set")
        y = self.dataset.targets(index)
        for row in range(len(TARGETS)):
            self.table.item(row, 1).setText(format_value(float(y[row])))
