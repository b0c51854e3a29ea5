"""The self-contained HTML lesson (``equiview html``, ``equiview.notebook.show``): the window's grid in one file.

Qt-free. The lesson holds no model: every number in it is a :class:`~equiview.viewer.model.pipeline.Frame` that the
window's own pipeline computed, one per pose of a :class:`PoseGrid` (rotation about x, y and z in steps of
``step`` degrees, each with and without the mirror). The page's sliders pick a pose of that grid, so its colours,
badges and readouts are the window's for that pose. The 3D views are drawn by 3Dmol.js (BSD-3-Clause), inlined
from ``equiview.resources`` with its licence: the file needs no network.

Size: per pose and model row it stores the atoms' values h(g·x) and |Δh| (float32) and both colourings (RGB
bytes); a row with vectors (a dipole model, a user's model that returns vectors) also stores per pose v(g·x) and
its ghost R·v(x) (float32, as :class:`~equiview.viewer.model.pipeline.VectorFrame` holds them) and the window's
"max |v(g·x) − R·v(x)|" note. Then the whole payload is gzip-compressed and base64-encoded. With ``N = 360/step + 1`` angles per axis
the grid has ``2·N³`` poses, so the file grows as ``(360/step)³ × rows × atoms``: 4394 poses at 30° (the default).
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

import numpy as np

from equiview.core.elements import symbol
from equiview.core.equivariance import tolerance_for
from equiview.viewer.model.arrow_length import dipole_angstrom_per_debye
from equiview.viewer.model.pipeline import (
    Frame,
    Pipeline,
    VectorFrame,
    show_differences,
    view_matrix,
    view_titles,
)
from equiview.viewer.model.snapshot import (
    MAX_MODEL_ROWS,
    MODEL_TITLES,
    ROW_OF_KIND,
    ModelSource,
    Snapshot,
    TransformParams,
)
from equiview.viewer.model.verdict import VERDICT_COLOURS, format_change

VENDOR = "vendor/3dmol"
LIBRARY_FILE = "3Dmol-min.js"
DEFAULT_STEP = 30.0
STEPS = (90.0, 60.0, 45.0, 30.0, 20.0, 15.0)
"""Grid steps that divide 360 (degrees); the finer, the larger the file."""
PROJECTION_HELP = (
    "The colour of an atom is one number per atom from the model's embedding h (a vector per atom): "
    "'PC 1' is the first principal component of h over this molecule's atoms, fitted on the original pose x "
    "and then frozen, so h(g·x) is projected on the same axis and drawn on the same colour bar. "
    "Equal colours in both columns mean equal embeddings."
)
LESSON_ROWS = tuple(MODEL_TITLES)
"""The built-in rows a lesson can show (``--rows``, ``show(models=...)``): naive, egnn, naive-dipole, dipole."""


@dataclass(frozen=True)
class PoseGrid:
    """Rotations about x, y and z on ``-180, -180+step, ..., 180`` degrees (slider order: R = Rz·Ry·Rx), mirror or not.

    Pose ``(ix, iy, iz, m)`` has index ``((m·N + iz)·N + iy)·N + ix``.
    """

    step: float = DEFAULT_STEP

    def __post_init__(self) -> None:
        if self.step not in STEPS:
            raise ValueError(f"the pose grid step must be one of {', '.join(f'{s:g}' for s in STEPS)} degrees")

    @property
    def angles(self) -> np.ndarray:
        return np.linspace(-180.0, 180.0, self.count)

    @property
    def count(self) -> int:
        return round(360.0 / self.step) + 1

    @property
    def size(self) -> int:
        return 2 * self.count**3

    def poses(self):
        """Every pose in index order."""
        for reflect in (False, True):
            for rz in self.angles:
                for ry in self.angles:
                    for rx in self.angles:
                        yield TransformParams(float(rx), float(ry), float(rz), reflect=reflect)

    def nearest(self, params: TransformParams) -> tuple[int, int, int, bool]:
        """The grid indices closest to a pose's rotation (translation is not part of the lesson)."""
        return (*(int(round((a + 180.0) / self.step)) for a in params.rotation), bool(params.reflect))


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _molecule_data(frame: Frame) -> dict:
    m = frame.molecule
    return {
        "name": m.name,
        "formula": m.formula,
        "source": m.source,
        "elements": [symbol(int(z)) for z in m.z],
        "positions": np.round(m.positions, 5).tolist(),
        "centre": m.centre.tolist(),
        "radius": m.radius,
        "radii": m.atom_radii.tolist(),
        "bonds": m.bonds.tolist(),
        "element_rgb": m.element_rgba[:, :3].tolist(),
    }


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb[:3])


@contextmanager
def _one_torch_thread():
    """Thousands of forward passes on one small molecule: torch's thread pool only adds waiting (on a loaded
    2-core machine scatter_add_ took 14 ms a call instead of ~0.1 ms). The previous count comes back after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def lesson_rows(snapshot: Snapshot, library, names) -> Snapshot:
    """``snapshot`` with the built-in model rows ``names`` (from :data:`LESSON_ROWS`, in that order) before its users'
    rows (``--model``). The naive and egnn rows keep their sources (``--naive``/``--egnn``); a naive-dipole or dipole
    row gets its shipped checkpoint (else the untrained demo, seed 0). One-line ``ValueError`` for a bad list."""
    from equiview.viewer.model.library import default_projection, shipped_checkpoint

    names = tuple(names)
    unknown = [name for name in names if name not in LESSON_ROWS]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"choose distinct rows among {', '.join(LESSON_ROWS)}; got {','.join(names) or 'none'}")
    users = tuple(name for name in snapshot.rows if name not in MODEL_TITLES)
    if len(names) + len(users) > MAX_MODEL_ROWS:
        raise ValueError(f"a lesson shows at most {MAX_MODEL_ROWS} model rows; got {len(names) + len(users)}")
    sources, projections = dict(snapshot.sources), dict(snapshot.projections)
    for name in names:
        if name in sources and ROW_OF_KIND.get(name) == name:
            continue  # naive / egnn: as the options chose
        path = shipped_checkpoint(name)
        sources[name] = ModelSource.from_checkpoint(name, path) if path else ModelSource.untrained(name, 0)
        projections[name] = default_projection(library.load(sources[name]))
    rows = (*names, *users)
    return snapshot.replace(
        rows=rows,
        sources={name: sources[name] for name in rows},
        projections={name: projections[name] for name in rows},
    )


def arrow_angstrom(v: VectorFrame, molecule, arrow_scale: float) -> float:
    """Å per unit of a row's arrows in the lesson: the window's rule (``arrow_scale`` × the dipole's length from
    :func:`~equiview.viewer.model.arrow_length.dipole_angstrom_per_debye`, which ends outside the molecule; a row
    without a dipole: ``v.angstrom_per_unit``). The page draws atoms at their radii, as this measures them."""
    if not v.has_dipole:
        return arrow_scale * v.angstrom_per_unit
    return arrow_scale * dipole_angstrom_per_debye(v, molecule.positions, molecule.atom_radii)


def _vector_note(frame: Frame, name: str) -> str:
    """What the window's g·x title says about a row's vectors ("   max |v(g·x) − R·v(x)| = … D"), or ""."""
    title = frame.titles[(name, "transformed")]
    head = "|h(g·x) − h(x)|" if frame.colour_mode == "difference" else "h(g·x)"
    assert title.startswith(head), title
    return title[len(head) :]


def _without_note(title: str, vectors: dict | None) -> str:
    """A g·x title without the vector note the window appends (the page appends the note of the pose shown)."""
    return title if vectors is None else title.split("   max |v(", 1)[0]


def lesson_data(pipeline: Pipeline, snapshot: Snapshot, grid: PoseGrid | None = None, progress=None) -> dict:
    """Every pose of ``grid`` through ``pipeline.frame`` (see :func:`_lesson_data`), torch on one thread."""
    with _one_torch_thread():
        return _lesson_data(pipeline, snapshot, grid, progress)


def _lesson_data(pipeline: Pipeline, snapshot: Snapshot, grid: PoseGrid | None = None, progress=None) -> dict:
    """Every pose of ``grid`` through ``pipeline.frame``: the values the page shows, as JSON-ready data.

    The snapshot gives the molecule, the model rows, their projections and the colour map; its transform picks the
    pose the page opens at (snapped to the grid). ``progress(done, total)`` is called now and then.
    """
    grid = grid or PoseGrid()
    snapshot = snapshot.replace(colour_mode="embedding", highlight=None)
    names: list[str] = []
    per_row: dict[str, dict[str, list]] = {}
    matrices, input_titles, diff_tops = [], [], []
    first: Frame | None = None
    total = grid.size
    for i, params in enumerate(grid.poses()):
        frame = pipeline.frame(snapshot.replace(transform=params), models=True)
        if first is None:
            first = frame
            names = [name for name in frame.row_names if name in frame.rows]
            per_row = {
                name: {
                    k: []
                    for k in ("values", "delta", "rgb", "diff_rgb", "error", "pred", "badge", "kind")
                    + ("dipole", "dipole_expected", "atoms", "atoms_expected", "vector_note", "vector_error")
                }
                for name in names
            }
            check_view_count(len(names), sum(frame.rows[name].vectors is not None for name in names))
        r, t = view_matrix(params, frame.molecule.centre)
        matrices.append(np.concatenate([r.reshape(-1), t]))
        input_titles.append(frame.titles[("input", "transformed")])
        for name in names:
            row = frame.rows[name]
            store = per_row[name]
            store["values"].append(row.values_transformed)
            store["rgb"].append(row.rgba_transformed[:, :3])
            store["error"].append(row.max_error)
            store["pred"].append(np.nan if row.prediction_transformed is None else row.prediction_transformed)
            store["badge"].append(row.badge)
            store["kind"].append(row.verdict.kind if row.verdict is not None else "")
            v = row.vectors
            if v is not None:  # the window's arrows: v(g·x) and its ghost R·v(x), as the pipeline computed them
                if v.has_dipole:
                    store["dipole"].append(v.dipole_transformed)
                    store["dipole_expected"].append(v.dipole_expected)
                store["atoms"].append(v.atoms_transformed)
                store["atoms_expected"].append(v.atoms_expected)
                store["vector_note"].append(_vector_note(frame, name))
                store["vector_error"].append(v.max_error)
        show_differences(frame.rows, frame.colormap)  # the window's Δh mode: one scale from 0 for every row
        tops = [frame.rows[name].shown_range[1] for name in names if frame.rows[name].available]
        diff_tops.append(tops[0] if tops else 1.0)
        for name in names:
            row = frame.rows[name]
            per_row[name]["delta"].append(row.delta if row.available else np.zeros(frame.molecule.num_atoms))
            per_row[name]["diff_rgb"].append(row.shown_rgba[:, :3])
        if progress is not None and (i % 500 == 0 or i == total - 1):
            progress(i + 1, total)
    assert first is not None
    difference_frame = pipeline.frame(
        snapshot.replace(transform=TransformParams(rz=grid.step), colour_mode="difference"), models=True
    )
    rows = []
    for name in names:
        row, store = first.rows[name], per_row[name]
        diff_row = difference_frame.rows[name]
        vectors = None
        if row.vectors is not None and store["vector_note"]:
            vectors = _vectors_data(row.vectors, store, first, snapshot)
        rows.append(
            {
                "name": name,
                "title": MODEL_TITLES.get(name, row.title),
                "available": row.available,
                "message": row.message,
                "label": row.model_label,
                "titles": {  # a vector row's g·x title gets its pose's note (vectors["notes"]) on the page
                    "original": first.titles[(name, "original")],
                    "embedding": _without_note(view_titles(first)[(name, "transformed")], vectors),
                    "difference": _without_note(difference_frame.titles[(name, "transformed")], vectors),
                },
                "bar_title": row.bar_title,
                "difference_title": diff_row.shown_title or "|Δh| per atom",
                "vmin": row.vmin,
                "vmax": row.vmax,
                "lut": [_hex(c) for c in row.lut[::8]] + [_hex(row.lut[-1])],
                "values_original": row.values_original.tolist(),
                "rgb_original": row.rgba_original[:, :3].tolist(),
                "prediction_original": row.prediction_original,
                "target": row.target_idx,
                "tolerance": tolerance_for("float32").bound(row.embedding_scale),  # the viewer runs float32
                "values": _b64(np.stack(store["values"]), "<f4"),
                "delta": _b64(np.stack(store["delta"]), "<f4"),
                "rgb": _b64(np.stack(store["rgb"]), "u1"),
                "diff_rgb": _b64(np.stack(store["diff_rgb"]), "u1"),
                "error": _b64(np.array(store["error"]), "<f8"),
                "pred": _b64(np.array(store["pred"]), "<f8"),
                "badge": store["badge"],
                "kind": store["kind"],
                "vectors": vectors,
            }
        )
    diff_lut = next((r.shown_lut for r in difference_frame.rows.values() if r.available), None)
    start = grid.nearest(snapshot.transform)
    return {
        "version": 1,
        "grid": {"step": grid.step, "count": grid.count, "angles": grid.angles.tolist()},
        "start": {"ix": start[0], "iy": start[1], "iz": start[2], "mirror": start[3]},
        "molecule": _molecule_data(first),
        "input_titles": input_titles,
        "matrices": _b64(np.stack(matrices), "<f8"),
        "diff_top": _b64(np.array(diff_tops), "<f8"),
        "diff_lut": [] if diff_lut is None else [_hex(c) for c in diff_lut[::8]] + [_hex(diff_lut[-1])],
        "rows": rows,
        "verdict_colours": {k: _hex([round(255 * c) for c in v]) for k, v in VERDICT_COLOURS.items()},
        "projection_help": PROJECTION_HELP,
        "difference_example": format_change(0.0),
    }


def _vectors_data(v: VectorFrame, store: dict, first: Frame, snapshot: Snapshot) -> dict:
    """A vector row's arrows over the grid: the dipole (from the centroid) and, for a user's model or with
    ``show_atom_vectors``, the per-atom vectors; each with its ghost R·v(x) in the g·x column. World frame (g·x's
    own axes): the page draws them as the window does, turned back by Rᵀ in the aligned view."""
    atoms = not v.has_dipole or snapshot.show_atom_vectors
    return {
        "unit": v.unit,
        "angstrom": arrow_angstrom(v, first.molecule, snapshot.arrow_scale),
        "dipole_original": v.dipole_original.tolist() if v.has_dipole else None,
        "dipole": _b64(np.stack(store["dipole"]), "<f4") if v.has_dipole else None,
        "dipole_expected": _b64(np.stack(store["dipole_expected"]), "<f4") if v.has_dipole else None,
        "atoms_original": v.atoms_original.tolist() if atoms else None,
        "atoms": _b64(np.stack(store["atoms"]), "<f4") if atoms else None,
        "atoms_expected": _b64(np.stack(store["atoms_expected"]), "<f4") if atoms else None,
        "notes": store["vector_note"],
        "error": _b64(np.array(store["vector_error"]), "<f8"),
    }


def library_source() -> str:
    """3Dmol.js as shipped in ``equiview.resources`` (package data)."""
    return (resources.files("equiview.resources") / VENDOR / LIBRARY_FILE).read_text(encoding="utf-8")


def library_licence() -> str:
    return (resources.files("equiview.resources") / VENDOR / "LICENSE").read_text(encoding="utf-8")


def page_source() -> tuple[str, str]:
    """The lesson page's own script and style (``equiview.resources``)."""
    folder = resources.files("equiview.resources")
    return (folder / "lesson.js").read_text(encoding="utf-8"), (folder / "lesson.css").read_text(encoding="utf-8")


def _script_text(text: str) -> str:
    """Text safe inside ``<script>``: no closing tag can end it early."""
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def lesson_html(data: dict, title: str | None = None) -> str:
    """One HTML document: the page, its data (gzip + base64), 3Dmol.js and its licence; nothing is fetched."""
    payload = base64.b64encode(gzip.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 9, mtime=0))
    script, style = page_source()
    name = title or f"equiview: {data['molecule']['name']} ({data['molecule']['formula']})"
    licence = html.escape(library_licence())
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
        f"<title>{html.escape(name)}</title>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<style>{style}</style>\n</head><body>\n"
        f"<div id='equiview' data-title='{html.escape(name, quote=True)}'><p class='loading'>loading the lesson…</p></div>\n"
        f"<script id='equiview-data' type='application/octet-stream'>{payload.decode('ascii')}</script>\n"
        f"<script>{_script_text(library_source())}</script>\n"
        f"<script>{_script_text(script)}</script>\n"
        f"<!-- 3Dmol.js 2.5.5 licence:\n{licence.replace('--', '- -')}\n-->\n"
        "</body></html>\n"
    )


MAX_3D_VIEWS = 16
"""WebGL contexts a browser keeps per page (Chromium's limit): past it the oldest 3D view goes blank."""


def check_view_count(rows: int, vector_rows: int) -> None:
    """The page draws 2 views per row (the input row and each model row) and an arrow layer over each of a vector
    row's 2 views; more than :data:`MAX_3D_VIEWS` would leave a view blank, so the lesson is refused instead."""
    views = 2 * (1 + rows) + 2 * vector_rows
    if views > MAX_3D_VIEWS:
        raise ValueError(
            f"these rows need {views} 3D views (2 per row, 2 more per row with arrows) and browsers keep at most "
            f"{MAX_3D_VIEWS} per page: show fewer rows with vectors"
        )


def build_lesson(pipeline: Pipeline, snapshot: Snapshot, step: float = DEFAULT_STEP, progress=None) -> str:
    """The lesson of ``snapshot`` (molecule, rows, colouring) over a :class:`PoseGrid` of ``step`` degrees."""
    return lesson_html(lesson_data(pipeline, snapshot, PoseGrid(step), progress))


def grid_size_note(step: float, rows: int, atoms: int) -> str:
    """How many poses and stored values a grid gives (the size the help and the report quote)."""
    grid = PoseGrid(step)
    per_pose = rows * atoms * (4 + 4 + 3 + 3) + 8 * 12
    return f"{grid.size} poses ({grid.count}³ rotations × mirror), ~{grid.size * per_pose / 1e6:.1f} MB before gzip"


__all__ = [
    "LESSON_ROWS",
    "MAX_3D_VIEWS",
    "PoseGrid",
    "check_view_count",
    "arrow_angstrom",
    "build_lesson",
    "lesson_data",
    "lesson_html",
    "lesson_rows",
]
