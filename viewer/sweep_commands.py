"""``equiview sweep`` (errors and colour values against the angle, the invariance sphere) and ``equiview movie``.

Both run without Qt and without a display. ``sweep`` needs neither VTK (its figures are matplotlib); ``movie``
renders with VTK off screen through the code path of ``equiview render``. Options are checked before anything
heavy is imported; bad values end with one line on stderr and exit code 2, and no file is left half-written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from equiview.core.cli import MODEL_OPTION_HELP, CommandError, add_molecule_arguments
from equiview.core.output_path import check_output_path
from equiview.viewer.model.cli_values import parse_triple
from equiview.viewer.model.snapshot import MODEL_ROWS, ROTATION_RANGE, TRANSLATION_RANGE
from equiview.viewer.model.sweep_settings import DEFAULT_STEPS, MAX_SPHERE, MAX_STEPS, MIN_SPHERE, MIN_STEPS

SPHERE_DEFAULT_STEPS = 24
MOVIE_DEFAULTS = {"frames": 72, "fps": 24, "degrees": 360.0, "size": (1280, 800)}


# ---------------------------------------------------------------------------------------------- sweep
def add_sweep_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="spin the molecule about an axis: every atom's colour value and max|Δh| against the angle",
        description="Spin the molecule about x, y or z through its centroid (after --rotate/--translate/--reflect) "
        "and encode every angle in one batched pass per model. With --sphere N: max|Δh| over rotation axes "
        "sampled on a sphere.",
    )
    parser.add_argument(
        "--molecule",
        metavar="ID",
        default=None,
        help="position or gdb_N (default: gdb_814); with --molecule-file the position in that file (default: 0)",
    )
    add_molecule_arguments(parser)
    parser.add_argument("--axis", default="z", help="spin axis: x, y or z (default z)")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        metavar="N",
        help=f"angles over one turn, {MIN_STEPS}..{MAX_STEPS} (default {DEFAULT_STEPS}; "
        f"with --sphere: angles per axis, default {SPHERE_DEFAULT_STEPS})",
    )
    parser.add_argument("--naive", metavar="CKPT", default=None, help="naive GNN: checkpoint, 'untrained' or 'seed:N'")
    parser.add_argument("--egnn", metavar="CKPT", default=None, help="equivariant GNN: same choices as --naive")
    parser.add_argument("--model", action="append", metavar="NAME=FILE.py:FACTORY", help=MODEL_OPTION_HELP)
    from equiview.viewer.model.layers import LAYER_OPTION_HELP

    parser.add_argument("--layer", metavar="NAME", default=None, help=LAYER_OPTION_HELP)
    parser.add_argument("--rotate", metavar="RX,RY,RZ", default=None, help="the current g: rotation in degrees")
    parser.add_argument("--translate", metavar="X,Y,Z", default=None, help="the current g: translation in Å")
    parser.add_argument("--reflect", action="store_true", help="the current g: mirror x -> -x before rotating")
    parser.add_argument("--colormap", default="viridis", help="colormap of the curves in --plot (default viridis)")
    parser.add_argument(
        "--sphere",
        type=int,
        default=None,
        metavar="N",
        help=f"invariance sphere with N latitude bands (even, {MIN_SPHERE}..{MAX_SPHERE}) and 2N longitude sectors",
    )
    parser.add_argument("--plot", metavar="PATH.png", default=None, help="write the curves (or the sphere) as an image")
    parser.add_argument("--csv", metavar="PATH", default=None, help="write one row per angle and atom")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--source", default="bundled", help="bundled (default), qm9pack or pyg")
    parser.add_argument("--root", default=None, help="data folder for --source pyg/qm9pack")
    # state fields the sweep does not draw (snapshot_from_args reads them)
    parser.set_defaults(
        handler=_cmd_sweep,
        thread_role="interactive",
        identity=False,
        hide_input=False,
        labels=False,
        difference=False,
        atom_vectors=False,
        arrow_scale=1.0,
    )


def _check_sweep_args(args: argparse.Namespace) -> None:
    from equiview.viewer.model.sweep_settings import check_axis, check_sphere_resolution, check_steps

    try:
        args.axis = check_axis(args.axis)
    except ValueError as error:
        raise CommandError(f"--{error}") from None
    try:
        if args.steps is not None:
            check_steps(args.steps, "--steps")
        if args.sphere is not None:
            check_sphere_resolution(args.sphere)
    except ValueError as error:
        raise CommandError(str(error).replace("sphere resolution", "--sphere")) from None
    if args.rotate:
        parse_triple(args.rotate, "--rotate", ROTATION_RANGE, "degrees")
    if args.translate:
        parse_triple(args.translate, "--translate", TRANSLATION_RANGE, "Å")
    if args.plot is not None:
        args.plot = check_output_path(args.plot, "--plot", args)
        if args.plot.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise CommandError(f"--plot {args.plot}: unknown image format; use a .png, .svg or .pdf file name")
    if args.csv is not None:
        if args.sphere is not None:
            raise CommandError("--csv writes the angle sweep; it does not apply together with --sphere")
        args.csv = check_output_path(args.csv, "--csv", args)
    _check_model_files(args)


def _check_model_files(args: argparse.Namespace) -> None:
    from equiview.viewer.cli import parse_source

    for kind in MODEL_ROWS:
        source = parse_source(kind, getattr(args, kind))
        if source is not None and source.checkpoint is not None and not source.checkpoint.is_file():
            raise CommandError(f"--{kind}: {source.checkpoint}: no such checkpoint file")


def _cmd_sweep(args: argparse.Namespace) -> int:
    _check_sweep_args(args)
    from equiview.core.data import load_dataset
    from equiview.viewer.cli import snapshot_from_args
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.pipeline import Pipeline
    from equiview.viewer.model.spin import Spin, row_titles, state_spheres
    from equiview.viewer.model.structures import StructureLibrary
    from equiview.viewer.model.sweep_plot import save_figure, sphere_figure, sweep_figure

    dataset = load_dataset(args.source, root=args.root)
    library, structures = ModelLibrary(), StructureLibrary()
    snapshot = snapshot_from_args(args, dataset, library, structures=structures)
    pipeline = Pipeline(dataset, library, structures)
    molecule = pipeline.molecule_for(snapshot)
    titles = row_titles(snapshot)

    if args.sphere is not None:
        steps = args.steps or SPHERE_DEFAULT_STEPS
        spheres, unavailable = state_spheres(pipeline, snapshot, args.sphere, steps)
        models = {
            kind: _sphere_json(spheres[kind]) if kind in spheres else unavailable[kind].as_json()
            for kind in snapshot.rows
        }
        result = {"molecule": molecule.name, "sphere": args.sphere, "steps": steps, "models": models}
        if args.plot is not None:
            save_figure(sphere_figure(spheres, titles, molecule.name, unavailable), args.plot)
        if args.json:
            print(json.dumps(result))
        else:
            for kind, entry in spheres.items():
                print(
                    f"{kind:<6} max|Δh| over {args.sphere}x{2 * args.sphere} axes: "
                    f"{entry.max_error.min():.2e} .. {entry.max_error.max():.2e}"
                )
            _print_unavailable(unavailable)
        return 0

    result_sweep = Spin(snapshot, args.axis).sweep(pipeline, args.steps or DEFAULT_STEPS)
    labels = [f"{i} {symbol}" for i, symbol in enumerate(_symbols(molecule.z))]
    if args.plot is not None:
        figure = sweep_figure(
            result_sweep, titles, atom_labels=labels, colormap=snapshot.colormap, molecule=molecule.name
        )
        save_figure(figure, args.plot)
    if args.csv is not None:
        write_sweep_csv(result_sweep, _symbols(molecule.z), args.csv)
    result = result_sweep.as_json(molecule.name)
    if args.json:
        print(json.dumps(result))
    else:
        for kind, model in result_sweep.models.items():
            print(
                f"{kind:<6} max|Δh| over {len(result_sweep.angles)} angles about {args.axis}: "
                f"{model.max_error.min():.2e} .. {model.max_error.max():.2e}"
                + (
                    f"; max|v(g·x) − R·v(x)|: {model.vector_error.min():.2e} .. {model.vector_error.max():.2e}"
                    if model.vector_error is not None
                    else ""
                )
            )
        _print_unavailable(result_sweep.unavailable)
    return 0


def _sphere_json(sphere) -> dict:
    degrees = 180.0 / 3.141592653589793
    return {
        "min_error": float(sphere.max_error.min()),
        "max_error": float(sphere.max_error.max()),
        "polar_deg": [round(float(v), 6) for v in sphere.polar * degrees],
        "azimuth_deg": [round(float(v), 6) for v in sphere.azimuth * degrees],
        "errors": [[float(e) for e in row] for row in sphere.max_error],
    }


def _print_unavailable(unavailable: dict) -> None:
    for kind, row in unavailable.items():
        print(f"{kind:<6} {'not available' if row.verdict == 'unsupported' else 'failed'}: {row.reason}")


def _symbols(z) -> list[str]:
    from equiview.core.elements import SYMBOLS

    return [SYMBOLS[int(v)] for v in z]


def write_sweep_csv(result, symbols: list[str], path: str | Path) -> None:
    """One row per angle and atom: the angle, the atom, and per model its colour value and the angle's max|Δh|.

    Written all at once (:func:`equiview.core.atomic.atomic_write`): a failure leaves no half table.
    """
    import csv

    from equiview.core.atomic import atomic_write

    kinds = list(result.models)
    with atomic_write(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["angle_deg", "atom", "element"]
            + [f"{kind}_{column}" for kind in kinds for column in ("value", "max_error")]
        )
        for a, angle in enumerate(result.angles):
            for atom, symbol in enumerate(symbols):
                row = [f"{angle:g}", atom, symbol]
                for kind in kinds:
                    model = result.models[kind]
                    row += [f"{model.values[a, atom]:.9g}", f"{model.max_error[a]:.9g}"]
                writer.writerow(row)


# ---------------------------------------------------------------------------------------------- movie
def add_movie_parser(subparsers, add_state_arguments) -> None:
    from equiview.viewer.model.movie_file import GIF_MAX_FPS, MAX_FPS, MAX_FRAMES, MIN_FPS, MIN_FRAMES

    parser = subparsers.add_parser(
        "movie",
        help="spin the molecule and write the grid as a GIF or MP4, without a window",
        description="Record the grid while the molecule spins about an axis through its centroid "
        "(off screen: no Qt, no display needed).",
    )
    size = MOVIE_DEFAULTS["size"]
    add_state_arguments(parser, f"frame size in pixels before --scale (default {size[0]}x{size[1]})")
    parser.add_argument("--out", required=True, metavar="PATH.gif|PATH.mp4", help="the movie file (GIF or MP4)")
    parser.add_argument("--axis", default="z", help="spin axis: x, y or z (default z)")
    parser.add_argument(
        "--frames",
        type=int,
        default=MOVIE_DEFAULTS["frames"],
        metavar="N",
        help=f"{MIN_FRAMES}..{MAX_FRAMES} (default {MOVIE_DEFAULTS['frames']})",
    )
    parser.add_argument(
        "--fps",
        type=int,
        default=MOVIE_DEFAULTS["fps"],
        metavar="F",
        help=f"frames per second, {MIN_FPS}..{MAX_FPS} ({GIF_MAX_FPS} for GIF; default {MOVIE_DEFAULTS['fps']})",
    )
    parser.add_argument(
        "--degrees",
        type=float,
        default=MOVIE_DEFAULTS["degrees"],
        metavar="D",
        help="how far the molecule turns over the movie (default 360: a seamless loop)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=_cmd_movie, thread_role="interactive")


def _cmd_movie(args: argparse.Namespace) -> int:
    from equiview.viewer.cli import _validate_common, snapshot_from_args, start_offscreen_gl_check
    from equiview.viewer.model.movie_settings import MovieSettings

    _validate_common(args)
    if args.transparent:
        raise CommandError("--transparent does not apply to movies (GIF and MP4 frames are opaque)")
    out = check_output_path(args.out, "--out", args)
    settings = MovieSettings(
        axis=args.axis,
        frames=args.frames,
        fps=args.fps,
        degrees=args.degrees,
        size=args.size or MOVIE_DEFAULTS["size"],
        scale=args.scale,
    )
    try:
        settings.check(out)
    except ValueError as error:
        raise CommandError(_movie_option_error(str(error))) from None
    gl_check = start_offscreen_gl_check()

    from tqdm import tqdm

    from equiview.core.data import load_dataset
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.pipeline import Pipeline
    from equiview.viewer.movie import record_movie

    dataset = load_dataset(args.source, root=args.root)
    library = ModelLibrary()
    snapshot = snapshot_from_args(args, dataset, library)
    gl_check.result()
    with tqdm(total=settings.frames, desc=out.name, unit="frame", file=sys.stderr, dynamic_ncols=True) as bar:
        result = record_movie(
            Pipeline(dataset, library), snapshot, out, settings, progress=lambda done, total: bar.update(1)
        )
    if args.json:
        print(json.dumps(result.as_json()))
    else:
        print(
            f"wrote {result.out} ({result.frames} frames, {result.width}x{result.height}, {result.fps} fps) "
            f"in {result.seconds:.1f} s"
        )
    return 0


def _movie_option_error(message: str) -> str:
    """Name the option a :meth:`MovieSettings.check` message is about."""
    first = message.split(" ", 1)[0]
    if first in ("axis", "frames", "fps", "scale"):
        return f"--{message}"
    options = {"the spin": "--degrees", "movie size": "--size", "an MP4": "--size"}
    for start, option in options.items():
        if message.startswith(start):
            return f"{option}: {message}"
    return f"--out {message}"


def add_sweep_commands(subparsers, add_state_arguments) -> None:
    add_sweep_parser(subparsers)
    add_movie_parser(subparsers, add_state_arguments)
