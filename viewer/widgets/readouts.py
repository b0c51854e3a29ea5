"""Live numbers: invariance error and predictions per model, and the atom under the mouse."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from equiview.core.data.targets import TARGETS
from equiview.core.elements import SYMBOLS
from equiview.viewer.model.pipeline import Frame, loading_text
from equiview.viewer.model.properties import property_label, symbol
from equiview.viewer.model.snapshot import MAX_MODEL_ROWS, MODEL_TITLES
from equiview.viewer.model.verdict import format_change


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 1e5 else f"{value:.3e}"


class ModelReadout(QWidget):
    """The numbers of one model row; the panel has one per possible row and points each at a row by name."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.title = QLabel()
        self.title.setObjectName(f"{kind}ReadoutTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.error = QLabel()
        self.error.setObjectName(f"{kind}ErrorLabel")
        self.error.setTextFormat(Qt.TextFormat.RichText)
        self.error.setWordWrap(True)  # a "not available" reason is a sentence
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.vectors = QLabel()
        self.vectors.setObjectName(f"{kind}VectorLabel")
        self.vectors.setTextFormat(Qt.TextFormat.RichText)
        self.vectors.setWordWrap(True)
        self.vectors.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.vectors.setVisible(False)
        self._vectors_shown = False
        self.prediction = QLabel()
        self.prediction.setObjectName(f"{kind}PredictionLabel")
        self.prediction.setTextFormat(Qt.TextFormat.RichText)
        self.prediction.setWordWrap(True)
        self.prediction.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 6)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        layout.addWidget(self.error)
        layout.addWidget(self.vectors)
        layout.addWidget(self.prediction)

    def show_frame(self, frame: Frame) -> None:
        row = frame.rows.get(self.kind)
        if row is None:
            self.title.setText(f"<b>{MODEL_TITLES.get(self.kind, self.kind)}</b>")
            self.error.setText(f"<i>{loading_text(self.kind)}</i>")
            self.prediction.setText("")
            self._set_vectors_shown(False)
            return
        self.title.setText(f"<b>{row.title}</b> · {row.model_label}")
        self._show_vectors(row)
        if not row.available:
            self.error.setText(f"<span style='color:#b45309'>not available: {row.message}</span>")
            self.prediction.setText("")
            return
        verdict = row.verdict
        note = ""
        if float(np.ptp(row.values_original)) < 1e-9:
            note = (
                "<br><span style='color:#b45309'>every atom gets the same value here (a constant "
                "embedding, e.g. dead ReLUs): invariant for a trivial reason; try another seed</span>"
            )
        self.error.setText(
            f"max |h(g·x) − h(x)| = {format_change(row.max_error)}: "
            f"<b style='color:{verdict.hex_colour}'>{verdict.kind}</b>{note}"
        )
        if row.prediction_original is None or row.target_idx is None:  # a user's model: features only
            self.prediction.setText("<span style='color:#6b7280'>per-atom features only (no prediction head)</span>")
            return
        target = TARGETS[row.target_idx]
        sign = symbol(target)
        unit = target.unit
        reference = ""
        if frame.molecule.y is not None:  # QM9 molecules carry the DFT value; a user's molecule does not
            reference = f" · DFT {_number(float(frame.molecule.y[row.target_idx]))}"
        values = (
            f"{sign} predicted: <b>{_number(row.prediction_original)}</b> (x) · "
            f"<b>{_number(row.prediction_transformed)}</b> (g·x){reference} {unit}"
        )
        self.prediction.setToolTip(f"{property_label(target)} predicted for both poses; DFT value from QM9")
        if not row.in_domain:  # a molecule unlike any the model learnt from: the number is no prediction
            self.prediction.setToolTip(row.domain_problem)
            self.prediction.setText(
                f"<span style='color:#6b7280'>{values}<br><b style='color:#b45309'>{row.domain_problem}</b></span>"
            )
            return
        if row.trained:
            self.prediction.setText(values)
        else:
            self.prediction.setText(
                f"<span style='color:#6b7280'>{values}<br><i>untrained model: the prediction is meaningless</i></span>"
            )

    def _set_vectors_shown(self, shown: bool) -> None:
        # only on a change: a setVisible call per frame drifts the reference count of None (tests/test_soak.py)
        if shown != self._vectors_shown:
            self._vectors_shown = shown
            self.vectors.setVisible(shown)

    def _show_vectors(self, row) -> None:
        """A vector model: max |v(g·x) − R·v(x)| (0 up to rounding when the arrows turn with the molecule)."""
        self._set_vectors_shown(row.vectors is not None)
        if row.vectors is None:
            return
        vectors = row.vectors
        equivariant = vectors.equivariant
        colour = "#1a7f37" if equivariant else "#c2410c"
        verdict = "turns with the molecule" if equivariant else "does not turn with the molecule"
        # a dipole is in Debye; a user's vectors have no unit we know of
        unit = vectors.unit_text() if vectors.unit else " (your model's units)"
        self.vectors.setText(
            f"max |v(g·x) − R·v(x)| = <b style='color:{colour}'>{format_change(vectors.max_error)}</b>{unit} ({verdict})"
        )


class ReadoutPanel(QGroupBox):
    """Per-model invariance error and predictions, plus the hovered/clicked atom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Readouts", parent)
        self.slots = [ModelReadout(f"model{k}") for k in range(MAX_MODEL_ROWS)]
        self.models: dict[str, ModelReadout] = {}  # row name -> its readout, for the rows of the current frame
        self.atom = QLabel("Hover over an atom to see its values; click to keep them.")
        self.atom.setObjectName("atomLabel")
        self.atom.setWordWrap(True)
        self.atom.setTextFormat(Qt.TextFormat.RichText)
        self.atom.setProperty("muted", True)
        self.atom.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QGridLayout(self)
        for i, readout in enumerate(self.slots):
            layout.addWidget(readout, i, 0)
            readout.hide()
        layout.addWidget(self.atom, len(self.slots), 0)
        self._frame: Frame | None = None
        self._atom: int | None = None

    @Slot(object)
    def show_frame(self, frame: Frame) -> None:
        self._frame = frame
        self.models = dict(zip(frame.row_names or tuple(frame.rows), self.slots))
        for readout in self.slots:
            readout.setVisible(readout in self.models.values())
        for name, readout in self.models.items():
            readout.kind = name
            readout.show_frame(frame)
        if self._atom is not None and self._atom < frame.molecule.num_atoms:
            self.show_atom(self._atom, sticky=True)
        else:
            self._atom = None

    def atom_text(self, atom: int) -> str:
        frame = self._frame
        if frame is None or not 0 <= atom < frame.molecule.num_atoms:
            return ""
        z = int(frame.molecule.z[atom])
        parts = [f"<b>Atom {atom}</b> · {SYMBOLS[z]} (Z = {z})"]
        for row in frame.rows.values():
            if not row.available:
                continue
            before = float(row.values_original[atom])
            after = float(row.values_transformed[atom])
            parts.append(f"{row.title}: {before:.4g} → {after:.4g} (Δ {abs(after - before):.2g})")
        return "<br>".join(parts)

    def show_atom(self, atom: int | None, sticky: bool = False) -> None:
        if atom is None:
            if self._atom is not None:
                self.atom.setText(self.atom_text(self._atom))
            return
        if sticky:
            self._atom = atom
        self.atom.setText(self.atom_text(atom))

    def selected_atom(self) -> int | None:
        return self._atom

    def values_of(self, atom: int) -> dict[str, tuple[float, float]]:
        """(original, transformed) colour value of ``atom`` per model (for tests and tooltips)."""
        if self._frame is None:
            return {}
        return {
            kind: (float(np.asarray(row.values_original)[atom]), float(np.asarray(row.values_transformed)[atom]))
            for kind, row in self._frame.rows.items()
        }
