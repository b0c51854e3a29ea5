"""The ``equiview`` command: core's headless subcommands plus ``gui`` (the default) and ``render``.

Qt and PyVista are imported inside the two commands only, so ``equiview data info`` stays fast.
Bad values exit with code 2 and a one-line message, like the rest of the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from equiview.core.bounds import MAX_SEED, check_count
from equiview.core.cli import MODEL_OPTION_HELP, CommandError, add_molecule_arguments, build_parser, run
from equiview.core.output_path import check_output_path
from equiview.viewer.model.arrow_length import DIPOLE_REACH
from equiview.viewer.model.cli_values import check_image_size, parse_size, parse_triple
from equiview.viewer.model.snapshot import (
    ANGSTROM_PER_DEBYE,
    ARROW_SCALE_RANGE,
    DEFAULT_MOLECULE,
    DEFAULT_TRANSFORM,
    MAX_MODEL_ROWS,
    MODEL_ROWS,
    ROTATION_RANGE,
    TRANSLATION_RANGE,
    ModelSource,
    ProjectionSpec,
    Snapshot,
    TransformParams,
)

RENDER_DEFAULT_SIZE = (1200, 900)


# ---------------------------------------------------------------------------------------------- parsing
def parse_source(kind: str, text: str | None) -> ModelSource | None:
    """``--naive``/``--egnn``: a checkpoint path, ``untrained`` or ``seed:N`` (untrained demo with seed N)."""
    if text is None:
        return None
    value = text.strip()
    if value.lower() == "untrained":
        return ModelSource.untrained(kind, 0)
    if value.lower().startswith("seed:"):
        seed = value[5:]
        if not seed.isdigit() or len(seed) > 10 or int(seed) > MAX_SEED:
            raise CommandError(f"--{kind} seed:N needs an integer N in 0..{MAX_SEED}; got {text!r:.40}")
        return ModelSource.untrained(kind, int(seed))
    if not value:
        raise CommandError(f"--{kind} needs a checkpoint file, 'untrained' or 'seed:N'")
    try:
        return ModelSource.from_checkpoint(kind, value)
    except RuntimeError as error:  # Path.resolve: "Symlink loop from ..."
        raise CommandError(f"--{kind}: {value}: {error}") from None


def structure_from_args(args: argparse.Namespace, structures):
    """``--molecule-file`` (with ``--molecule N``: the N-th molecule of the file) or ``--smiles``, read now so that
    bad input fails before a window opens; None for a QM9 molecule."""
    from equiview.viewer.model.snapshot import StructureRef

    if getattr(args, "molecule_file", None):
        index = 0
        if args.molecule is not None:
            if not str(args.molecule).strip().isdigit():
                raise CommandError(f"--molecule with --molecule-file is a position in the file; got {args.molecule!r}")
            index = int(args.molecule)
        ref = StructureRef.file(args.molecule_file, index)
    elif getattr(args, "smiles", None):
        ref = StructureRef.smiles(args.smiles)
    else:
        return None
    structures.molecule(ref)
    return ref


def user_sources(args: argparse.Namespace, library) -> list[ModelSource]:
    """The ``--model NAME=...`` rows, loaded (THIS RUNS THE USER'S CODE) so that a broken model fails here."""
    if not getattr(args, "model", None):
        return []  # nothing to import: without --model the start-up never touches torch on this thread
    from equiview.core.user_models import ModelSpec
    from equiview.viewer.model.errors import error_text, user_error_types

    sources = []
    for text in getattr(args, "model", None) or []:
        source = ModelSource.user(ModelSpec.parse(text))
        if source.row in [s.row for s in sources]:
            raise CommandError(f"--model: the name {source.row!r} is given twice")
        sources.append(source)
    if len(MODEL_ROWS) + len(sources) > MAX_MODEL_ROWS:  # checked before any of the user's code runs
        raise CommandError(
            f"--model: the grid shows at most {MAX_MODEL_ROWS} model rows: "
            f"the {len(MODEL_ROWS)} built-in ones and up to {MAX_MODEL_ROWS - len(MODEL_ROWS)} of yours"
        )
    for source in sources:
        try:
            library.load(source)
        except user_error_types() as error:
            raise CommandError(f"--model: {error_text(error)}") from None
    return sources


def snapshot_from_args(
    args: argparse.Namespace, dataset, library, load_models: bool = True, structures=None
) -> Snapshot:
    """The viewer state the options describe; loads the model sources and the molecule so bad input fails here.

    With ``load_models=False`` (the window loads them in the background) the rows keep the default
    sources and the window chooses their colouring once the models are there. ``--model`` always loads
    (and runs) the user's code here, so that a broken model fails on the command line.
    """
    from equiview.viewer.model.library import default_projection
    from equiview.viewer.model.structures import StructureLibrary

    structure = structure_from_args(args, structures or StructureLibrary())
    if structure is not None or args.molecule is None:
        molecule = min(DEFAULT_MOLECULE, len(dataset) - 1)
    else:
        molecule = dataset.find(args.molecule)
    rx, ry, rz, tx, ty, tz = transform_values(args)
    sources = library.default_sources()
    for row in MODEL_ROWS:
        given = parse_source(row, getattr(args, row))
        if given is not None and given.checkpoint is not None and load_models:
            given = checkpoint_source(library, row, given.checkpoint)  # the file says its kind
        if given is not None:
            sources[row] = given
    projections = {kind: ProjectionSpec() for kind in sources}
    for kind in sources if load_models else ():
        projections[kind] = default_projection(_load_row(args, kind, sources, library))
    for source in user_sources(args, library):
        sources[source.row] = source
        projections[source.row] = default_projection(library.load(source))
    from equiview.viewer.model.colouring import available_colormaps

    if args.colormap not in available_colormaps():
        raise CommandError(f"--colormap {args.colormap!r} is unknown; choose one of {', '.join(available_colormaps())}")
    layers = {}
    if getattr(args, "layer", None) is not None:
        from equiview.viewer.model.layers import check_layer, layer_names

        names = {row: layer_names(library.load(source)) for row, source in sources.items()}
        layers = dict.fromkeys(check_layer(args.layer, names), args.layer)
    return Snapshot(
        molecule=molecule,
        transform=TransformParams(rx, ry, rz, tx, ty, tz, bool(args.reflect)),
        sources=sources,
        projections=projections,
        colormap=args.colormap,
        show_input_row=not args.hide_input,
        show_labels=bool(args.labels),
        colour_mode="difference" if args.difference else "embedding",
        show_atom_vectors=bool(args.atom_vectors),
        arrow_scale=float(args.arrow_scale),
        rows=tuple(sources),
        structure=structure,
        aligned=bool(getattr(args, "aligned", False)),
        layers=layers,
    )


def _load_row(args: argparse.Namespace, kind: str, sources: dict, library):
    """The row's model; a broken shipped file falls back to the demo, a broken given file is exit 2."""
    from equiview.viewer.model.errors import error_text, user_error_types

    try:
        return library.load(sources[kind])
    except user_error_types() as error:
        if given_for(args, kind):
            raise CommandError(f"--{kind}: {error_text(error)}") from None
        sources[kind] = ModelSource.untrained(kind, 0)
        return library.load(sources[kind])


def checkpoint_source(library, row: str, path) -> ModelSource:
    """``--naive``/``--egnn`` FILE: a checkpoint of the row's family (naive or naive-dipole; egnn or dipole)."""
    from equiview.viewer.model.errors import error_text, user_error_types
    from equiview.viewer.model.library import kind_mismatch

    try:
        source, _ = library.load_file(path)
    except user_error_types() as error:
        raise CommandError(f"--{row}: {error_text(error)}") from None
    if source.row != row:
        raise CommandError(f"--{row}: {path}: {kind_mismatch(source.kind, row)}")
    return source


def transform_values(args: argparse.Namespace) -> tuple[float, ...]:
    """The six slider values; with none of --rotate, --translate, --reflect the default g (45° about z)."""
    if args.identity:
        return (0.0,) * 6
    if args.rotate is None and args.translate is None and not args.reflect:
        return (*DEFAULT_TRANSFORM.rotation, *DEFAULT_TRANSFORM.translation)
    rotation = (
        parse_triple(args.rotate, "--rotate", ROTATION_RANGE, "degrees") if args.rotate is not None else (0.0, 0.0, 0.0)
    )
    shift = (
        parse_triple(args.translate, "--translate", TRANSLATION_RANGE, "Å")
        if args.translate is not None
        else (0.0, 0.0, 0.0)
    )
    return (*rotation, *shift)


def given_for(args: argparse.Namespace, kind: str) -> bool:
    return getattr(args, kind, None) is not None


def _add_state_arguments(parser: argparse.ArgumentParser, size_help: str) -> None:
    # nothing heavy here: building the parser must not import torch, Qt or VTK
    from equiview.viewer.model.layers import LAYER_OPTION_HELP

    group = parser.add_argument_group("what to show")
    group.add_argument(
        "--molecule",
        metavar="ID",
        default=None,
        help=f"position in the filtered set or a name like gdb_814 (default: {DEFAULT_MOLECULE}, gdb_814); "
        "with --molecule-file the position in that file (default: 0)",
    )
    group.add_argument(
        "--naive",
        metavar="CKPT",
        default=None,
        help="naive row: a naive or naive-dipole checkpoint file, 'untrained' or 'seed:N' (default: the shipped "
        "checkpoint if present, else the untrained demo)",
    )
    group.add_argument(
        "--egnn",
        metavar="CKPT",
        default=None,
        help="equivariant row: an egnn or dipole checkpoint file, 'untrained' or 'seed:N'",
    )
    group.add_argument(
        "--atom-vectors", action="store_true", help="a dipole model's per-atom arrows besides the molecule's dipole"
    )
    group.add_argument(
        "--arrow-scale",
        type=float,
        default=1.0,
        metavar="F",
        help=f"arrow length factor {ARROW_SCALE_RANGE[0]:g}..{ARROW_SCALE_RANGE[1]:g} "
        f"(1: the dipole of x reaches {DIPOLE_REACH:g}x the molecule's radius, out of the atoms; per-atom "
        f"arrows {ANGSTROM_PER_DEBYE:g} Å per Debye)",
    )
    group.add_argument("--model", action="append", metavar="NAME=FILE.py:FACTORY", help=MODEL_OPTION_HELP)
    group.add_argument(
        "--layer",
        metavar="NAME",
        default=None,
        help=LAYER_OPTION_HELP,
    )
    group.add_argument(
        "--rotate",
        metavar="RX,RY,RZ",
        default=None,
        help="rotation about x, y, z in degrees (-180..180), about the molecule's centroid; negative values "
        "work as in --rotate -30,0,0 (default, when no --rotate, --translate or --reflect is given: 0,0,45)",
    )
    group.add_argument("--translate", metavar="X,Y,Z", default=None, help="translation in Å (-10..10 each)")
    group.add_argument("--reflect", action="store_true", help="mirror x -> -x before rotating")
    group.add_argument(
        "--identity", action="store_true", help="show g = identity (no rotation): both verdicts read 'identity'"
    )
    group.add_argument(
        "--colormap",
        default="viridis",
        help="a matplotlib colormap: viridis (default), plasma, coolwarm, cividis, magma, turbo or RdBu_r",
    )
    group.add_argument("--hide-input", action="store_true", help="hide the input row (coloured by element)")
    group.add_argument("--labels", action="store_true", help="annotate atom indices (off by default)")
    group.add_argument("--no-labels", action="store_false", dest="labels", help=argparse.SUPPRESS)
    group.add_argument(
        "--difference",
        action="store_true",
        help="colour the g·x model views by |h(g·x) − h(x)| per atom (a colour bar from 0) instead of h(g·x)",
    )
    group.add_argument(
        "--aligned",
        action="store_true",
        help="draw g·x from a camera moved by g: both columns look alike and only colours can differ (Ctrl+A)",
    )
    group.add_argument(
        "--source", default="bundled", help="where the molecules come from: bundled (default), qm9pack or pyg"
    )
    group.add_argument("--root", default=None, help="data folder for --source pyg/qm9pack")

    add_molecule_arguments(group)

    image = parser.add_argument_group("image")
    image.add_argument("--size", metavar="WxH", default=None, help=size_help)
    image.add_argument("--scale", type=int, default=1, metavar="N", help="image scale factor 1..4 (default 1)")
    # no bounded_int type here: the bound is checked in _validate_common, with the same one-line message
    image.add_argument("--transparent", action="store_true", help="transparent background")


def _validate_common(args: argparse.Namespace) -> None:
    """Checks that need no data, done before anything heavy is imported."""
    low, high = ARROW_SCALE_RANGE
    if not low <= args.arrow_scale <= high:
        raise CommandError(f"--arrow-scale must lie in {low:g}..{high:g}; got {args.arrow_scale:g}")
    check_count("--scale", args.scale)
    args.size = parse_size(args.size) if args.size is not None else None
    check_image_size(args.size or RENDER_DEFAULT_SIZE, args.scale)
    if args.identity and (args.rotate is not None or args.translate is not None or args.reflect):
        raise CommandError("--identity cannot be combined with --rotate, --translate or --reflect")
    if args.rotate is not None:
        parse_triple(args.rotate, "--rotate", ROTATION_RANGE, "degrees")
    if args.translate is not None:
        parse_triple(args.translate, "--translate", TRANSLATION_RANGE, "Å")
    for kind in MODEL_ROWS:
        source = parse_source(kind, getattr(args, kind))
        if source is not None and source.checkpoint is not None and not source.checkpoint.is_file():
            raise CommandError(f"--{kind}: {source.checkpoint}: no such checkpoint file")


def _load(args: argparse.Namespace, background: bool = False):
    """Molecules, model library and snapshot; with ``background`` the window loads the models later.

    The bundled set is read with numpy alone (:class:`~equiview.viewer.model.molecules.MoleculeTable`): neither
    the window nor ``equiview render`` imports PyG for it. The other sources go through core's loaders.
    """
    from equiview.viewer.model.library import ModelLibrary

    if args.source == "bundled" and args.root is None:
        from equiview.viewer.model.molecules import MoleculeTable

        molecules = MoleculeTable.from_bundle()
    else:
        from equiview.core.data import load_dataset

        molecules = load_dataset(args.source, root=args.root)
    library = ModelLibrary(ready=not background)
    return molecules, library, snapshot_from_args(args, molecules, library, load_models=not background)


def loads_models_in_background(args: argparse.Namespace) -> bool:
    """The fast start: bundled molecules, shipped (or demo) models, a window to look at."""
    given = args.naive or args.egnn or getattr(args, "layer", None)  # --layer needs the models to check its name
    return args.source == "bundled" and args.root is None and args.screenshot is None and not given


# ---------------------------------------------------------------------------------------------- commands
def _display_problem() -> str | None:
    """Why no window can be opened here (one line), or None. The 3D grid needs X11 on Linux (XWayland will do)."""
    if not sys.platform.startswith("linux") or os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    where = "no display to open a window on"
    if os.environ.get("WAYLAND_DISPLAY"):
        where = "the 3D view draws through X11 and this Wayland session has no X server (start XWayland)"
    return (
        f"{where}: get images with 'equiview render --out grid.png' "
        "(add --json for the numbers), or 'xvfb-run -a equiview gui --screenshot grid.png'"
    )


def _cmd_gui(args: argparse.Namespace) -> int:
    _validate_common(args)
    if args.screenshot is not None:
        check_output_path(args.screenshot, "--screenshot", args)
    elif args.scale != 1 or args.transparent or args.full_window:
        raise CommandError("--scale, --transparent and --full-window only apply together with --screenshot")
    if args.full_window and (args.scale != 1 or args.transparent):
        raise CommandError("--full-window captures the window as shown: no --scale or --transparent")
    problem = _display_problem()
    if problem is not None:
        raise CommandError(problem)
    background = loads_models_in_background(args)
    dataset, library, snapshot = _load(args, background)
    from equiview.viewer.pyvista_import import import_pyvista

    import_pyvista()  # before Qt, for a faster first frame
    from equiview.viewer.app import run_gui

    return run_gui(
        dataset,
        library,
        snapshot,
        background=background,
        size=args.size,
        screenshot=args.screenshot,
        scale=args.scale,
        transparent=args.transparent,
        full_window=args.full_window,
        present=args.present,
    )


def prefer_offscreen_gl() -> None:
    """Without an X display (VTK draws through X11 on Linux, Wayland or not) go straight to OSMesa, not X first."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkOSOpenGLRenderWindow")


def start_offscreen_gl_check():
    """Pick the off-screen path and start checking it in a child process (VTK segfaults where it is missing).

    Call ``.result()`` on what this returns before the first plotter: exit 2 with one line instead of a signal.
    """
    prefer_offscreen_gl()
    from equiview.viewer.gl_check import OffscreenGLCheck

    return OffscreenGLCheck()


def _cmd_render(args: argparse.Namespace) -> int:
    _validate_common(args)
    out = check_output_path(args.out, "--out", args)
    gl_check = start_offscreen_gl_check()
    import threading

    from equiview.viewer.model.torch_preload import preload_torch_libraries

    # map libtorch (off the GIL) while this thread imports VTK and PyVista: two cores, less waiting
    preload = threading.Thread(target=preload_torch_libraries, daemon=True)
    preload.start()
    from equiview.viewer.model.pipeline import Pipeline
    from equiview.viewer.model.png import write_png
    from equiview.viewer.offscreen import render_frame

    preload.join()
    dataset, library, snapshot = _load(args)

    frame = Pipeline(dataset, library).frame(snapshot)
    size = args.size or RENDER_DEFAULT_SIZE
    gl_check.result()
    image = render_frame(frame, size=size, scale=args.scale, transparent=args.transparent)
    write_png(image, out)
    result = describe_render(frame, out, image.shape)
    for kind in MODEL_ROWS:  # the keys of earlier versions: the built-in rows by name, and their errors
        if kind in result["models"]:
            result[kind] = result["models"][kind]
            result[f"{kind}_max_error"] = result["models"][kind].get("max_error")
    if args.json:
        import json

        print(json.dumps(result))
    else:
        verdicts = "; ".join(
            f"{name} {row.verdict.text}" if row.verdict is not None else f"{name} {row.status}: {row.message}"
            for name, row in frame.rows.items()
        )
        print(f"wrote {out} ({result['width']}x{result['height']}, {frame.molecule.name}; {verdicts})")
    return 0


def _cmd_html(args: argparse.Namespace) -> int:
    """``equiview html --out lesson.html``: the grid as one self-contained HTML page (viewer.model.lesson)."""
    _validate_common(args)
    out = check_output_path(args.out, "--out")
    from equiview.core.atomic import write_text_atomically
    from equiview.viewer.model.lesson import STEPS, PoseGrid, lesson_data, lesson_html, lesson_rows
    from equiview.viewer.model.pipeline import Pipeline

    if args.step not in STEPS:
        raise CommandError(f"--step must be one of {', '.join(f'{s:g}' for s in STEPS)} degrees; got {args.step:g}")
    dataset, library, snapshot = _load(args)
    try:
        snapshot = lesson_rows(snapshot, library, [name.strip() for name in args.rows.split(",") if name.strip()])
    except ValueError as error:
        raise CommandError(f"--rows: {error}") from None
    try:
        data = lesson_data(Pipeline(dataset, library), snapshot, PoseGrid(args.step))
    except ValueError as error:  # a lesson the browser could not show (too many 3D views)
        raise CommandError(f"--rows: {error}") from None
    write_text_atomically(out, lesson_html(data))
    poses = 2 * data["grid"]["count"] ** 3
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {data['molecule']['name']}, {poses} poses every {args.step:g}°)"
    )
    return 0


def source_text(source: ModelSource) -> str:
    """A model source as the option value that gives it back: a path or ``seed:N`` (--naive/--egnn), or
    ``NAME=FILE.py:FACTORY`` (--model)."""
    if source.user_spec is not None:
        return source.user_spec
    return f"seed:{source.seed}" if source.checkpoint is None else str(source.checkpoint)


def describe_render(frame, out, shape) -> dict:
    """What ``equiview render`` drew, as plain JSON values (``dft`` only for a QM9 molecule and a model with a
    target)."""
    t = frame.transform
    result = {
        "out": str(out),
        "width": int(shape[1]),
        "height": int(shape[0]),
        "molecule": frame.molecule.name,
        "source": frame.molecule.source,
        "atoms": frame.molecule.num_atoms,
        "transform": {"rotate": list(t.rotation), "translate": list(t.translation), "reflect": bool(t.reflect)},
        "models": {name: row_report(row) for name, row in frame.rows.items()},
    }
    targets = [row.target_idx for row in frame.rows.values() if row.available and row.target_idx is not None]
    if frame.molecule.y is not None and targets:
        result["dft"] = float(frame.molecule.y[targets[-1]])
    return result


def row_report(row) -> dict:
    """One model row for ``render --json``: its error and verdict (changed/invariant/identity), or ``"verdict":
    "unsupported"``/``"failed"`` and why."""
    report: dict = {"source": source_text(row.source), "model": row.model_label, "kind": row.kind}
    if not row.available:
        report["verdict"] = row.status
        report["reason"] = row.message
        return report
    report["max_error"] = float(row.max_error)
    report["verdict"] = row.verdict.kind if row.verdict is not None else ("invariant" if row.invariant else "changed")
    if row.target_idx is not None:  # the property as the window and the export captions name it
        from equiview.core.data.targets import TARGETS
        from equiview.viewer.model.properties import symbol

        target = TARGETS[row.target_idx]
        report["property"], report["unit"] = symbol(target), target.unit
    report["prediction_original"] = row.prediction_original
    report["prediction_transformed"] = row.prediction_transformed
    report["in_domain"] = row.in_domain  # false: the molecule is unlike the training data, the number no prediction
    if not row.in_domain:
        report["domain_problem"] = row.domain_problem
    if row.vectors is not None:  # a vector model: its arrows (a dipole model's in Debye; a user's without a unit)
        vectors = row.vectors
        report["vector_max_error"] = vectors.max_error
        if vectors.has_dipole:
            report["dipole_original"] = vectors.dipole_original.tolist()
            report["dipole_transformed"] = vectors.dipole_transformed.tolist()
            report["dipole_expected"] = vectors.dipole_expected.tolist()
        report["vectors_original"] = vectors.atoms_original.tolist()
        report["vectors_transformed"] = vectors.atoms_transformed.tolist()
        report["vectors_expected"] = vectors.atoms_expected.tolist()
        report["unit"] = vectors.unit or None
    return report


def add_viewer_commands(parser: argparse.ArgumentParser) -> None:
    subparsers = getattr(parser, "subcommands", None)
    if subparsers is None:
        subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
        parser.subcommands = subparsers
    gui = subparsers.add_parser(
        "gui", help="open the viewer window (the default command)", description="Open the equiview window."
    )
    _add_state_arguments(gui, "size of the 3D grid in pixels, e.g. 1200x900 (the window grows around it)")
    gui.add_argument(
        "--screenshot",
        metavar="PATH",
        default=None,
        help="open the window, apply the state, write the grid as PNG to PATH and exit",
    )
    gui.add_argument(
        "--full-window",
        action="store_true",
        help="with --screenshot: capture the whole window (panels included) instead of the grid",
    )
    gui.add_argument(
        "--no-aligned",
        dest="aligned",
        action="store_false",
        help="open with g·x drawn as moved under the same camera as x (the first screen is aligned; Ctrl+A toggles)",
    )
    gui.add_argument(
        "--present",
        action="store_true",
        help="presentation mode (F5): full screen, side panels hidden, text and colour bars grown with the views",
    )
    # the first screen: both columns alike, only colours differ; Qt's event loop handles its own signals
    gui.set_defaults(handler=_cmd_gui, aligned=True, own_signals=True, thread_role="interactive")

    render = subparsers.add_parser(
        "render",
        help="write the grid as PNG without a window or display",
        description="Render the grid off screen (no Qt, no display needed).",
    )
    _add_state_arguments(
        render, f"image size in pixels before --scale (default {RENDER_DEFAULT_SIZE[0]}x{RENDER_DEFAULT_SIZE[1]})"
    )
    render.add_argument("--out", required=True, metavar="PATH", help="PNG file to write")
    render.add_argument("--json", action="store_true", help="print one JSON object")
    render.set_defaults(handler=_cmd_render, thread_role="interactive")

    lesson = subparsers.add_parser(
        "html",
        help="write the grid as one self-contained HTML lesson (no network needed to open it)",
        description="Write an HTML page with the grid's views, badges and colour bars for a grid of precomputed "
        "poses: sliders turn g about x, y, z and mirror it; every value comes from equiview's pipeline.",
    )
    _add_state_arguments(lesson, "ignored (the page fills the browser window)")
    lesson.add_argument("--out", required=True, metavar="PATH", help="HTML file to write")
    lesson.add_argument(
        "--step",
        type=float,
        default=30.0,
        metavar="DEG",
        help="pose grid step in degrees: 90, 60, 45, 30 (default: 4394 poses), 20 or 15; the file grows as (360/step)³",
    )
    lesson.add_argument(
        "--rows",
        default="naive,egnn",
        metavar="LIST",
        help="built-in model rows, top to bottom, from naive, egnn, naive-dipole and dipole (default: naive,egnn); "
        "the dipole models (shipped checkpoints) draw their dipole and its ghost R·v(x) as arrows, stretched to "
        "reach out of the molecule (--arrow-scale sets the least length, --atom-vectors adds per-atom arrows); "
        "--model rows come below, at most 4 model rows in all",
    )
    lesson.set_defaults(handler=_cmd_html, thread_role="interactive")

    from equiview.viewer.sweep_commands import add_sweep_commands

    add_sweep_commands(subparsers, _add_state_arguments)


def build_full_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    add_viewer_commands(parser)
    return parser


VECTOR_OPTIONS = ("--rotate", "--translate")
"""Options whose value may start with a minus sign (``--rotate -30,0,0``)."""


def join_negative_values(args: list[str]) -> list[str]:
    """``--rotate -30,0,0`` -> ``--rotate=-30,0,0``: argparse would take ``-30,0,0`` for an option."""
    joined: list[str] = []
    i = 0
    while i < len(args):
        if args[i] in VECTOR_OPTIONS and i + 1 < len(args) and args[i + 1].startswith("-") and args[i + 1][1:2] != "-":
            joined.append(f"{args[i]}={args[i + 1]}")
            i += 2
        else:
            joined.append(args[i])
            i += 1
    return joined


def _with_default_command(argv: Sequence[str] | None) -> list[str]:
    args = join_negative_values(list(sys.argv[1:] if argv is None else argv))
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
        return ["gui", *args]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """``equiview [COMMAND] ...``; without a command, ``gui``."""
    return run(build_full_parser(), _with_default_command(argv))


if __name__ == "__main__":
    sys.exit(main())
