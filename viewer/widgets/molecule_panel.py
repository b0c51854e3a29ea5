"""Molecule browser: index, search by gdb_N or formula, previous/next, and the 19 QM9 properties."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.data.search import MoleculeSearch
from core.data.targets import TARGETS
from viewer.guard import Failure, guarded, report
from viewer.model.errors import error_text
from viewer.model.molecules import MoleculeTable
from viewer.model.properties import property_name
from viewer.model.snapshot import Snapshot
from viewer.state import ViewState


def format_value(value: float) -> str:
    if not np.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude != 0 and (magnitude >= 1e5 or magnitude < 1e-3):
        return f"{value:.4e}"
    return f"{value:.4f}"


class MoleculePanel(QWidget):
    """Browse and search the molecules; failures go to the window through :mod:`viewer.guard`."""

    def __init__(self, state: ViewState, dataset: MoleculeTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.dataset = dataset
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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(nav)
        layout.addLayout(find)
        layout.addWidget(self.search_status)
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
        if self.state.molecule > 0:
            self.state.set_molecule(self.state.molecule - 1)

    @Slot()
    @guarded
    def next(self) -> None:
        if self.state.molecule < self.state.num_molecules - 1:
            self.state.set_molecule(self.state.molecule + 1)

    @Slot()
    def search(self) -> bool:
        """Go to the molecule named in the search box; a miss is said inline (no dialog), a bug is reported."""
        try:
            hit = self.index.search(self.search_edit.text(), self.state.molecule)
        except KeyError as miss:  # no such molecule: the search's own one-line answer
            self._say(error_text(miss), miss=True)
            return False
        except Exception as error:  # noqa: BLE001 - reported through the one guard
            report(self, Failure.from_exception(error))
            return False
        try:
            self.state.set_molecule(hit.index)
        except Exception as error:  # noqa: BLE001 - reported through the one guard, shown here too
            failure = Failure.from_exception(error)
            self._say(failure.message, miss=True)
            report(self, failure)
            return False
        self._say(hit.status, miss=False)
        return True

    def _say(self, text: str, miss: bool) -> None:
        self.search_status.setText(text)
        self.search_status.setToolTip(text)
        self.search_status.setProperty("warning", miss)
        self.search_status.setStyleSheet("color: #b45309;" if miss else "")

    # ------------------------------------------------------------------ state -> widgets
    @Slot(object, object)
    @guarded
    def _state_changed(self, old: Snapshot, new: Snapshot) -> None:
        if old.molecule != new.molecule:
            self._follow_state()

    def _follow_state(self) -> None:
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
