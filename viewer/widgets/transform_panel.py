"""Rotation, translation and mirror controls. They write to the view state and follow it back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from equiview.viewer.guard import guarded
from equiview.viewer.model.snapshot import ROTATION_RANGE, TRANSLATION_RANGE, Snapshot, TransformParams
from equiview.viewer.state import ViewState

AXES = ("X", "Y", "Z")
TRANSLATION_STEPS_PER_ANGSTROM = 10  # slider resolution: 0.1 Å


@dataclass(frozen=True)
class AxisRows:
    """The look of one group of x/y/z rows (a slider and a spin box each); ``{name}`` is the axis letter."""

    prefix: str  # object names are f"{prefix}{name}Slider" / f"{prefix}{name}Spin"
    label: str
    accessible_name: str
    slider_range: tuple[int, int]  # in slider steps
    page_step: int
    value_range: tuple[float, float]
    decimals: int
    spin_step: float
    suffix: str
    tick_interval: int = 0  # 0: no tick marks


ROTATION_ROWS = AxisRows(
    prefix="rotation",
    label="&{name}",
    accessible_name="Rotation about {name} in degrees",
    slider_range=(int(ROTATION_RANGE[0]), int(ROTATION_RANGE[1])),
    page_step=15,
    value_range=ROTATION_RANGE,
    decimals=1,
    spin_step=1.0,
    suffix=" °",
    tick_interval=90,
)
TRANSLATION_ROWS = AxisRows(
    prefix="translation",
    label="t{lower}",
    accessible_name="Translation along {name} in ångström",
    slider_range=(
        int(TRANSLATION_RANGE[0] * TRANSLATION_STEPS_PER_ANGSTROM),
        int(TRANSLATION_RANGE[1] * TRANSLATION_STEPS_PER_ANGSTROM),
    ),
    page_step=TRANSLATION_STEPS_PER_ANGSTROM,
    value_range=TRANSLATION_RANGE,
    decimals=2,
    spin_step=0.1,
    suffix=" Å",
)


class TransformPanel(QWidget):
    """Sliders with spin boxes for rx, ry, rz (degrees) and tx, ty, tz (Å), a mirror box, Random and Reset.

    Signals are wired to bound methods only (the axis comes from ``sender()``): a lambda would hold
    the panel, and through it the window, alive after the window is closed.
    """

    def __init__(self, state: ViewState, parent: QWidget | None = None, seed: int = 0) -> None:
        super().__init__(parent)
        self.state = state
        self._seed = int(seed)
        self._generator = None  # a torch.Generator, made on the first Random (torch loads in the background)

        rotation_box = QGroupBox("Rotation about the centroid")
        self.rotation_sliders, self.rotation_spins = self._axis_rows(
            QGridLayout(rotation_box), ROTATION_ROWS, self._rotation_slider, self._rotation_spin
        )
        translation_box = QGroupBox("Translation")
        self.translation_sliders, self.translation_spins = self._axis_rows(
            QGridLayout(translation_box), TRANSLATION_ROWS, self._translation_slider, self._translation_spin
        )

        self.reflect_box = QCheckBox("&Mirror through the plane x = 0")
        self.reflect_box.setObjectName("reflectCheck")
        self.reflect_box.setToolTip("Apply x → −x before the rotation: an improper element of E(3)")
        self.reflect_box.toggled.connect(self._reflect)

        self.random_button = QPushButton("Ra&ndom E(3)")
        self.random_button.setObjectName("randomButton")
        self.random_button.setToolTip("A uniformly random rotation, mirrored half the time, and a random shift")
        self.random_button.clicked.connect(self.randomise)
        self.reset_button = QPushButton("&Reset")
        self.reset_button.setObjectName("resetButton")
        self.reset_button.setToolTip("Back to the identity (Ctrl+R)")
        self.reset_button.clicked.connect(self.reset)

        buttons = QHBoxLayout()
        buttons.addWidget(self.random_button)
        buttons.addWidget(self.reset_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(rotation_box)
        layout.addWidget(translation_box)
        layout.addWidget(self.reflect_box)
        layout.addLayout(buttons)
        hint = QLabel(
            "Left: the molecule as stored (x); right: moved by g ∈ E(3). Model rows colour each atom by "
            "its embedding h: an invariant network keeps every colour (max |Δh| ≈ 0), the naive GNN "
            "reads raw coordinates and does not."
        )
        hint.setObjectName("transformHint")
        hint.setWordWrap(True)
        hint.setProperty("muted", True)
        hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wrap, never widen the dock
        layout.addSpacing(6)
        layout.addWidget(hint)
        layout.addStretch(1)

        state.changed.connect(self._state_changed)
        self._follow_state()

    def _axis_rows(
        self,
        grid: QGridLayout,
        rows: AxisRows,
        on_slider: Callable[[int], None],
        on_spin: Callable[[float], None],
    ) -> tuple[list[QSlider], list[QDoubleSpinBox]]:
        """Label, slider and spin box for x, y and z in ``grid``; ``sender()`` tells the slots the axis."""
        sliders, spins = [], []
        for axis, name in enumerate(AXES):
            accessible = rows.accessible_name.format(name=name)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setObjectName(f"{rows.prefix}{name}Slider")
            slider.setRange(*rows.slider_range)
            slider.setSingleStep(1)
            slider.setPageStep(rows.page_step)
            if rows.tick_interval:
                slider.setTickPosition(QSlider.TickPosition.TicksBelow)
                slider.setTickInterval(rows.tick_interval)
            slider.setAccessibleName(accessible)
            slider.setToolTip(f"{accessible} (arrows: 1 step, Page Up/Down: {rows.page_step} steps)")
            spin = QDoubleSpinBox()
            spin.setObjectName(f"{rows.prefix}{name}Spin")
            spin.setRange(*rows.value_range)
            spin.setDecimals(rows.decimals)
            spin.setSingleStep(rows.spin_step)
            spin.setSuffix(rows.suffix)
            spin.setKeyboardTracking(False)
            spin.setAccessibleName(accessible)
            spin.setToolTip(f"{accessible}: type a value (0.1 precision)" if rows.decimals == 1 else accessible)
            label = QLabel(rows.label.format(name=name, lower=name.lower()))
            label.setBuddy(slider)
            grid.addWidget(label, axis, 0)
            grid.addWidget(slider, axis, 1)
            grid.addWidget(spin, axis, 2)
            slider.valueChanged.connect(on_slider)
            spin.valueChanged.connect(on_spin)
            slider.sliderPressed.connect(self._drag_started)
            slider.sliderReleased.connect(self._drag_ended)
            sliders.append(slider)
            spins.append(spin)
        return sliders, spins

    # ------------------------------------------------------------------ widget -> state
    @Slot()
    @guarded
    def _drag_started(self) -> None:
        self.state.set_interacting(True)

    @Slot()
    @guarded
    def _drag_ended(self) -> None:
        self.state.set_interacting(False)

    @Slot()
    @guarded
    def randomise(self) -> None:
        if self._generator is None:
            import torch

            self._generator = torch.Generator().manual_seed(self._seed)
        self.state.set_transform(TransformParams.random(self._generator))

    @Slot()
    @guarded
    def reset(self) -> None:
        self.state.reset_transform()

    @Slot(int)
    @guarded(on_error="_follow_state")
    def _rotation_slider(self, value: int) -> None:
        axis = self.rotation_sliders.index(self.sender())
        current = self.state.transform.rotation[axis]
        if round(current) != value:  # a slider shows whole degrees; keep finer spin box values
            self.state.set_rotation(axis, float(value))

    @Slot(float)
    @guarded(on_error="_follow_state")
    def _rotation_spin(self, value: float) -> None:
        self.state.set_rotation(self.rotation_spins.index(self.sender()), float(value))

    @Slot(int)
    @guarded(on_error="_follow_state")
    def _translation_slider(self, value: int) -> None:
        axis = self.translation_sliders.index(self.sender())
        current = self.state.transform.translation[axis]
        if round(current * TRANSLATION_STEPS_PER_ANGSTROM) != value:
            self.state.set_translation(axis, value / TRANSLATION_STEPS_PER_ANGSTROM)

    @Slot(float)
    @guarded(on_error="_follow_state")
    def _translation_spin(self, value: float) -> None:
        self.state.set_translation(self.translation_spins.index(self.sender()), float(value))

    @Slot(bool)
    @guarded(on_error="_follow_state")
    def _reflect(self, checked: bool) -> None:
        self.state.set_reflect(checked)

    # ------------------------------------------------------------------ state -> widget
    @Slot(object, object)
    @guarded
    def _state_changed(self, old: Snapshot, new: Snapshot) -> None:
        if old.transform != new.transform:
            self._follow_state()

    def _follow_state(self) -> None:
        params = self.state.transform
        for axis in range(3):
            rotation = params.rotation[axis]
            translation = params.translation[axis]
            for widget, value in (
                (self.rotation_sliders[axis], round(rotation)),
                (self.rotation_spins[axis], rotation),
                (self.translation_sliders[axis], round(translation * TRANSLATION_STEPS_PER_ANGSTROM)),
                (self.translation_spins[axis], translation),
            ):
                if widget.value() != value:
                    with QSignalBlocker(widget):
                        widget.setValue(value)
        if self.reflect_box.isChecked() != params.reflect:
            with QSignalBlocker(self.reflect_box):
                self.reflect_box.setChecked(params.reflect)
