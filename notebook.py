"""equiview in a notebook: ``from equiview.notebook import show; show(molecule=800, models=["naive", "egnn"])``.

The cell shows the HTML lesson of :mod:`equiview.viewer.model.lesson` (the window's grid over a grid of precomputed
poses, drawn by an inlined 3Dmol.js) in an ``<iframe srcdoc>``: Jupyter, JupyterLab and Colab display it without a
kernel extension, and the saved notebook keeps the whole lesson in the cell's output (nothing is fetched when it is
opened again). A notebook server shows HTML outputs of a notebook it does not trust without their scripts: trust it
(``jupyter trust``) or run the cell again.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

DEFAULT_HEIGHT = 760
"""Pixels of the cell's frame: three rows of views and the controls."""


class Lesson:
    """One lesson page; shown by Jupyter through :meth:`_repr_html_`, written by :meth:`save`."""

    def __init__(self, page: str, height: int = DEFAULT_HEIGHT) -> None:
        self.html = page
        self.height = int(height)

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #d0d7de;" '
            'title="equiview lesson" sandbox="allow-scripts"></iframe>'
        )

    def save(self, path: str | Path) -> Path:
        """The page as a file (written atomically), to hand to students who open it in a browser."""
        from equiview.core.atomic import write_text_atomically

        return write_text_atomically(path, self.html)


def show(
    molecule: int | str = 800,
    models: Sequence[str] = ("naive", "egnn"),
    step: float = 30.0,
    colormap: str = "viridis",
    height: int = DEFAULT_HEIGHT,
) -> Lesson:
    """The lesson of a bundled QM9 molecule (a position or a name like ``gdb_814``) with the model rows ``models``.

    ``models`` names the built-in rows among "naive", "egnn", "naive-dipole" and "dipole" (their shipped
    checkpoints, else the untrained demos; the dipole models draw their dipole and its ghost R·v(x) as arrows);
    an empty list shows the input coloured by element only. ``step`` is the pose grid in degrees (90, 60, 45, 30, 20
    or 15): the page's sliders move in these steps and its size grows as (360/step)³.
    """
    from equiview.viewer.model.colouring import available_colormaps
    from equiview.viewer.model.lesson import LESSON_ROWS, PoseGrid, lesson_data, lesson_html, lesson_rows
    from equiview.viewer.model.library import ModelLibrary, default_projection
    from equiview.viewer.model.molecules import MoleculeTable
    from equiview.viewer.model.pipeline import Pipeline
    from equiview.viewer.model.snapshot import MODEL_ROWS, Snapshot, TransformParams

    rows = tuple(models)
    unknown = [name for name in rows if name not in LESSON_ROWS]
    if unknown or len(set(rows)) != len(rows):
        raise ValueError(f"models: choose distinct rows among {', '.join(LESSON_ROWS)}; got {list(models)}")
    if colormap not in available_colormaps():
        raise ValueError(f"colormap {colormap!r} is unknown; choose one of {', '.join(available_colormaps())}")
    grid = PoseGrid(float(step))
    table = MoleculeTable.from_bundle()
    library = ModelLibrary()
    sources = {name: source for name, source in library.default_sources().items() if name in rows}
    snapshot = Snapshot(
        molecule=table.find(molecule),
        transform=TransformParams(rz=2 * grid.step if grid.step <= 45 else grid.step),
        sources=sources,
        projections={name: default_projection(library.load(source)) for name, source in sources.items()},
        colormap=colormap,
        rows=tuple(name for name in rows if name in MODEL_ROWS),
    )
    snapshot = lesson_rows(snapshot, library, rows)  # the dipole rows' shipped checkpoints, in the order asked
    return Lesson(lesson_html(lesson_data(Pipeline(table, library), snapshot, grid)), height)


__all__ = ["Lesson", "show"]
