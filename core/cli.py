"""The headless half of the ``equiview`` command line: data, eval, check-invariance, train.

``equiview.viewer.cli`` extends :func:`build_parser` with the ``gui`` and ``render`` subcommands, so ``core`` never needs
to know the viewer exists. Every subcommand takes ``--json`` and then prints exactly one JSON object on stdout.
Bad input (unknown source, missing checkpoint, unknown molecule, a value beyond its bound) exits with code 2 and a
one-line error on stderr, the same code argparse uses for malformed arguments (whose message is one line too).
Only :class:`~equiview.core.errors.EquiviewError` and ``OSError`` count as bad input: any other exception is a bug and
keeps its traceback (exit code 1). Ctrl+C ends a command with one line and exit code 130. ``EQUIVIEW_DEBUG=1``
shows the traceback behind a one-line error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from equiview.core.bounds import BOUNDS, bounded_int
from equiview.core.errors import CommandError, EquiviewError, one_line

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # the shell's code for "ended by SIGINT"

__all__ = ["CommandError", "EXIT_USAGE", "build_parser", "error_message", "main", "run", "user_errors"]


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, but a malformed command line gets one line on stderr (usage stays one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def _print_result(result: dict, as_json: bool, render_text: Callable[[dict], str]) -> None:
    if as_json:
        print(json.dumps(result))
    else:
        print(render_text(result))


def _text_table(result: dict) -> str:
    width = max(len(k) for k in result)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in result.items())


# ---------------------------------------------------------------------------------------------- data
def _cmd_data_info(args: argparse.Namespace) -> int:
    from equiview.core.data.info import dataset_info

    result = dataset_info(source=args.source, root=args.root, seed=args.seed)
    _print_result(result, args.json, _text_table)
    return 0


def _cmd_data_bundle(args: argparse.Namespace) -> int:
    from equiview.core.data.bundle import BUNDLE_PATH, build_bundle

    if args.out is not None and not args.out.strip():  # never fall back to the packaged asset
        raise CommandError("--out needs a file name")
    from equiview.core.output_path import check_output_path

    out = build_bundle(check_output_path(BUNDLE_PATH if args.out is None else args.out, "--out", args))
    result = {"out": str(out), "bytes": out.stat().st_size}
    _print_result(result, args.json, lambda r: f"wrote {r['out']} ({r['bytes'] / 1e6:.2f} MB)")
    return 0


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    from equiview.core.data.sources import SOURCES

    parser.add_argument(
        "--source", choices=SOURCES, default="bundled", help="where the molecules come from (default: bundled)"
    )
    parser.add_argument("--root", default=None, help="data folder for --source pyg")


def _add_data_parser(subparsers) -> None:
    data = subparsers.add_parser("data", help="inspect or regenerate the QM9 data")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    info = data_sub.add_parser("info", help="molecule counts, split sizes and the test-split hash")
    _add_source_arguments(info)
    info.add_argument(
        "--seed", type=bounded_int("--seed"), default=420, help="split seed (default: 420, the tutorial's)"
    )
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(handler=_cmd_data_info)

    bundle = data_sub.add_parser("bundle", help="regenerate assets/qm9_filtered.npz from qm9pack")
    bundle.add_argument("--out", default=None, help="output path (default: the bundled asset)")
    bundle.add_argument("--json", action="store_true", help="print one JSON object")
    bundle.set_defaults(handler=_cmd_data_bundle)


# ---------------------------------------------------------------------------------------------- eval
def _cmd_eval(args: argparse.Namespace) -> int:
    from equiview.core.checkpoints import load_checkpoint
    from equiview.core.data import QM9DataModule, load_dataset
    from equiview.core.data.targets import TARGETS
    from equiview.core.evaluation import mean_absolute_error

    checkpoint = load_checkpoint(args.checkpoint)
    dataset = load_dataset(args.source, root=args.root)
    split = QM9DataModule(dataset, target_idx=checkpoint.target_idx, seed=args.seed).split(args.split)
    mae = mean_absolute_error(checkpoint, dataset, split, batch_size=args.batch_size)
    target = TARGETS[checkpoint.target_idx]
    result = {
        "model": checkpoint.kind,
        "split": args.split,
        "count": int(len(split)),
        "mae": mae,
        "target": checkpoint.target_idx,
        "unit": target.unit,
        "checkpoint": str(args.checkpoint),
    }
    _print_result(
        result,
        args.json,
        lambda r: f"{r['model']} on {r['split']} ({r['count']} molecules): MAE {r['mae']:.4f} {r['unit']}",
    )
    return 0


def _add_eval_parser(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="mean absolute error of a checkpoint on a split")
    parser.add_argument("--checkpoint", required=True, help="an equiview checkpoint or a tutorial state_dict")
    parser.add_argument("--split", choices=("test", "val", "train"), default="test")
    _add_source_arguments(parser)
    parser.add_argument("--seed", type=bounded_int("--seed"), default=420, help="split seed (default: 420)")
    parser.add_argument(
        "--batch-size",
        type=bounded_int("--batch-size"),
        default=256,
        help=f"molecules per batch, 1..{BOUNDS['--batch-size'].high} (default: 256)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=_cmd_eval, thread_role="batch")


# ----------------------------------------------------------------------------------- check-invariance
def _cmd_check_invariance(args: argparse.Namespace) -> int:
    """Every invocation runs the batched audit (core/audit.py): many molecules and poses per forward pass."""
    from equiview.core.models.registry import MODEL_KINDS

    required = args.require_invariant or []
    user_names = [text.partition("=")[0].strip() for text in args.model or []]
    unknown = [name for name in required if name != "all" and name not in (*MODEL_KINDS, *user_names)]
    if unknown:
        raise CommandError(
            f"--require-invariant {unknown[0]!r}: no such row (rows: {', '.join((*MODEL_KINDS, *user_names))}, or all)"
        )
    return _audit(args, required)


PASSING_VERDICTS = ("invariant", "equivariant")


def _rows(result: dict) -> dict[str, dict]:
    return {name: report for name, report in result.items() if isinstance(report, dict) and "verdict" in report}


def _required_rows_hold(result: dict, required: Sequence[str]) -> int:
    """0 when every row named by ``--require-invariant`` (``all``: every row) is invariant or equivariant with an
    output that is not 0 everywhere; else one line per failing row on stderr (``naive: too large for: rotation,
    reflection``) and 1."""
    rows = _rows(result)
    names = list(rows) if "all" in required else list(dict.fromkeys(required))
    failing = [name for name in names if rows[name]["verdict"] not in PASSING_VERDICTS or rows[name].get("zero_output")]
    for name in failing:
        report = rows[name]
        if report.get("zero_output"):
            print(f"{name}: {report['note']}", file=sys.stderr)
        elif report["verdict"] == "changed":
            print(f"{name}: too large for: {', '.join(report.get('too_large_for', []))}", file=sys.stderr)
        else:
            print(f"{name}: {report['verdict']}: {report['reason']}", file=sys.stderr)
    return 1 if failing else 0


def _audit(args: argparse.Namespace, required: Sequence[str]) -> int:
    """The audit of check-invariance: QM9 molecules (a seeded sample or a split), a file's or a SMILES; JSONL rows;
    under torchrun every rank takes its share and rank 0 prints the merged report."""
    from dataclasses import replace

    import torch

    from equiview.core import audit
    from equiview.core.atomic import atomic_write
    from equiview.core.output_path import check_output_path
    from equiview.core.threads import current_policy

    # under torchrun only rank 0 writes the merged file, so only it holds the output's lock
    writer = int(os.environ.get("RANK", "0") or 0) == 0
    jsonl = check_output_path(args.jsonl, "--jsonl", args, lock=writer) if args.jsonl is not None else None
    device = torch.device(args.device or "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise CommandError("--device cuda: no CUDA device is available here; use --device cpu")
    structures = read_structures(args)
    molecules = audit.choose_molecules(
        structures, args.molecule_file, args.split, args.molecules, args.seed, args.source, args.root
    )
    from equiview.core.equivariance import DTYPES

    dtype = DTYPES[args.dtype]
    subjects = audit.builtin_subjects(args.checkpoint or [], args.seed, device, dtype)
    subjects += [audit.user_subject(model, device, dtype) for model in load_user_models(args.model or [])]
    if args.layer is not None:  # judge that one layer, in every row that has it
        if not any(args.layer in subject.layers for subject in subjects):
            raise audit.unknown_layer_error(args.layer, {subject.name: subject.layers for subject in subjects})
        subjects = [replace(s, layers=tuple(n for n in s.layers if n == args.layer)) for s in subjects]
    run = audit.Audit(
        subjects,
        molecules,
        audit.audit_poses(args.trials, args.seed),
        device,
        args.dtype,
        args.batch_graphs,
        layers=args.layers or args.layer is not None,
    )
    shard = audit.distributed_shard()  # torchrun --nproc-per-node N: every rank takes its share of the chunks
    progress = audit.Progress(len(molecules), enabled=args.progress if shard is None or shard[0] == 0 else False)
    order = {subject.name: index for index, subject in enumerate(subjects)}
    rows = [
        (k, order[subject.name], result) for k, subject, result in run.run(progress=progress, shard=shard or (0, 1))
    ]
    if shard is not None:
        rows = audit.gather_results(rows, shard, len(molecules) * len(subjects))
        if rows is None:
            return 0  # rank 0 writes and prints the merged report
    by_model: dict[str, list] = {}
    lines = []
    for k, index, result in rows:
        subject = subjects[index]
        by_model.setdefault(subject.name, []).append((k, result))
        if jsonl is not None:
            lines.append(json.dumps(audit.molecule_row(run, k, subject, result)))
    if jsonl is not None:
        with atomic_write(jsonl, "w", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
    result = {
        "molecules": len(molecules),
        "trials": args.trials,
        "dtype": args.dtype,
        "poses": len(run.poses) - 1,
        "split": args.split if structures is None else None,
        "device": str(device),
        "threads": current_policy("batch"),
        **audit.summarize(run, by_model, args.worst),
    }
    _print_result(result, args.json, _invariance_table)
    return _required_rows_hold(result, required)


def _invariance_table(result: dict) -> str:
    """One line per row (verdict, max error, per case), then per row its worst molecules with ``equiview gui …``."""
    rows = _rows(result)
    lines = []
    for name, report in rows.items():
        if report["verdict"] in ("unsupported", "failed"):  # unsupported reads as the window's row does
            said = "not available" if report["verdict"] == "unsupported" else "failed"
            lines.append(f"{name:<12} {said}: {report['reason']}  ({report['model']})")
            continue
        cases = "  ".join(f"{case} {report.get(case, 0.0):.1e}" for case in ("rotation", "reflection", "translation"))
        vectors = f"  vectors {report['vector_max_error']:.1e}" if "vector_max_error" in report else ""
        lines.append(
            f"{name:<12} {report['verdict']:<11} max|h(g·x) − h(x)| = {report['max_error']:.3e}  "
            f"({cases}{vectors})  ({report['model']})"
        )
        if report.get("zero_output"):
            lines.append(f"{'':<12} but {report['note']}")
    for name, report in rows.items():
        if report.get("worst_molecules"):
            changed = report.get("changed_molecules", 0)
            breaks = f", breaks at {report['first_breaking_layer']}" if report.get("first_breaking_layer") else ""
            lines.append(
                f"{name}: {report['verdict']} ({changed} of {report['molecules']} molecules changed{breaks}); worst:"
            )
            lines += [
                f"  {item['molecule']}  {item.get('max_error', 0):.2e}  {item.get('gui') or ''}"
                for item in report["worst_molecules"]
            ]
    return "\n".join(lines)


def read_structures(args: argparse.Namespace):
    """The molecules named by ``--molecule-file`` or ``--smiles``, or None (QM9)."""
    if getattr(args, "molecule_file", None):
        from equiview.core.molecule_files import read_molecule_file

        return read_molecule_file(args.molecule_file)
    if getattr(args, "smiles", None):
        from equiview.core.smiles import molecule_from_smiles

        return [molecule_from_smiles(args.smiles)]
    return None


def load_user_models(specs: Sequence[str]) -> list:
    """Load every ``--model NAME=...`` (this runs the user's code); names must differ."""
    from equiview.core.user_input_errors import UserModelError
    from equiview.core.user_models import ModelSpec, load_user_model

    parsed = [ModelSpec.parse(text) for text in specs]
    names = [spec.name for spec in parsed]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise UserModelError(f"--model: the name {duplicate!r} is given twice")
    return [load_user_model(spec) for spec in parsed]


MODEL_OPTION_HELP = (
    "your own model as NAME=FILE.py:FACTORY or NAME=package.module:FACTORY (repeatable); FACTORY() returns a "
    "torch.nn.Module with forward(z, pos, batch) -> features [n, d], (features, vectors [n, 3]) or a dict with "
    "features, vectors and irreps (docs/own-models.md). "
    "WARNING: this imports and runs that Python code"
)


def add_molecule_arguments(parser: argparse.ArgumentParser) -> None:
    """``--molecule-file`` and ``--smiles`` (one or the other), shared by the commands that show a molecule."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--molecule-file",
        metavar="PATH",
        default=None,
        help="a molecule file instead of QM9: xyz, extxyz, sdf, mol, pdb, cif, ... (several molecules: all of them)",
    )
    group.add_argument(
        "--smiles", metavar="SMILES", default=None, help="a molecule from a SMILES string (3D by ETKDG + MMFF)"
    )


def _add_check_invariance_parser(subparsers) -> None:
    from equiview.core.tolerance import DEFAULT_DTYPE, DTYPE_NAMES, TOLERANCE_TEXT  # no torch: --help stays fast

    parser = subparsers.add_parser(
        "check-invariance",
        help="largest per-atom embedding change under random rotations, reflections and translations, and a verdict",
        description="Largest change of every model's outputs under random rotations, reflections and translations, "
        f"per case, with a verdict per row (invariant, equivariant, changed, unsupported, failed): {TOLERANCE_TEXT}. "
        "See docs/verdicts.md.",
    )
    parser.add_argument(
        "--checkpoint",
        action="append",
        metavar="PATH",
        help="a checkpoint to test (repeatable, one per model kind); "
        "without it the seed's untrained demo models are used",
    )
    parser.add_argument("--model", action="append", metavar="NAME=FILE.py:FACTORY", help=MODEL_OPTION_HELP)
    parser.add_argument(
        "--molecules",
        type=bounded_int("--molecules"),
        default=None,
        help=f"molecules to test, 1..{BOUNDS['--molecules'].high}: drawn from QM9 with --seed (default: 10), or "
        "the first of a --molecule-file (default: all of them)",
    )
    parser.add_argument(
        "--trials",
        type=bounded_int("--trials"),
        default=20,
        help=f"random E(3) elements per case, 1..{BOUNDS['--trials'].high} (default: 20)",
    )
    parser.add_argument(
        "--seed", type=bounded_int("--seed"), default=0, help="seed for molecules, transforms and demo models"
    )
    parser.add_argument(
        "--dtype",
        choices=DTYPE_NAMES,
        default=DEFAULT_DTYPE,
        help="precision the models run in; float64 tightens the tolerance (default: float32)",
    )
    parser.add_argument(
        "--require-invariant",
        action="append",
        metavar="NAME",
        help="exit 1, with one line per row, unless row NAME is invariant or equivariant (repeatable; all: every row)",
    )
    add_molecule_arguments(parser)
    _add_source_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    audit = parser.add_argument_group("dataset scale (every check runs batched: many molecules and poses per pass)")
    audit.add_argument(
        "--split",
        choices=("test", "val", "train", "all"),
        default=None,
        help="audit a whole QM9 split (the training split seed 420) or all of the set",
    )
    audit.add_argument("--jsonl", metavar="PATH", default=None, help="write one JSON line per molecule and model")
    audit.add_argument("--device", choices=("cpu", "cuda"), default=None, help="where the models run (default cpu)")
    audit.add_argument(
        "--worst", type=bounded_int("--worst"), default=5, help="worst molecules listed per model (default 5)"
    )
    audit.add_argument(
        "--layers",
        action="store_true",
        help="also judge every layer's per-atom output (built-in models; a user model's `layers = [names]`) and "
        "name the first_breaking_layer",
    )
    audit.add_argument(
        "--layer",
        metavar="NAME",
        default=None,
        help="judge one layer's per-atom output (e.g. f_pos_embed), in every row that has it",
    )
    audit.add_argument(
        "--batch-graphs",
        type=bounded_int("--batch-graphs"),
        default=512,
        metavar="N",
        help="molecule-poses per forward pass (default 512; memory grows with it)",
    )
    audit.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on stderr (default: when stderr is a terminal)",
    )
    parser.set_defaults(handler=_cmd_check_invariance, thread_role="batch")


# --------------------------------------------------------------------------------------------- train
def _add_train_parser(subparsers) -> None:
    from equiview.core.training.cli import add_train_arguments, run_train

    parser = subparsers.add_parser("train", help="train a model and write a checkpoint")
    add_train_arguments(parser)
    parser.set_defaults(handler=run_train)


# ---------------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    """The parser with the headless subcommands; ``parser.subcommands`` lets the viewer add its own."""
    parser = OneLineArgumentParser(
        prog="equiview",
        description="See E(3) invariance in graph neural networks on QM9 molecules.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.subcommands = subparsers
    _add_data_parser(subparsers)
    _add_eval_parser(subparsers)
    _add_check_invariance_parser(subparsers)
    _add_train_parser(subparsers)
    return parser


def user_errors() -> tuple[type[BaseException], ...]:
    """Exception types whose message is meant for the user (printed as one line, exit 2); all else is a bug."""
    return (EquiviewError, OSError)


def error_message(exc: BaseException) -> str:
    """The one line shown for a user error; an ``OSError`` names its file (``strerror: filename``)."""
    if isinstance(exc, KeyError) and exc.args:  # KeyError wraps its message in quotes; show the plain sentence
        return one_line(Exception(exc.args[0]))
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return one_line(exc)


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run the chosen subcommand, turning user errors into exit code 2."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, or a malformed command line (one line already printed)
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from equiview.core.interrupt_safe_import import hold_interrupts_while_importing

    hold_interrupts_while_importing()  # Ctrl+C during PyTorch's import: "interrupted", not an abort
    role = getattr(args, "thread_role", None)
    if role is not None:
        from equiview.core.threads import apply_thread_policy

        apply_thread_policy(role)  # the one thread policy, before the command imports torch
    from equiview.core.output_path import outputs_released
    from equiview.core.termination import termination_as_interrupt

    # SIGTERM/SIGHUP unwind like Ctrl+C (temporary files removed); the window handles its own signals
    signals = contextlib.nullcontext() if getattr(args, "own_signals", False) else termination_as_interrupt()
    try:
        with signals, outputs_released():  # output locks (core.output_path) last as long as the command
            return int(handler(args) or 0)
    except user_errors() as exc:
        if os.environ.get("EQUIVIEW_DEBUG"):
            raise  # the full traceback, for bug reports
        print(f"equiview: error: {error_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as interrupt:
        if os.environ.get("EQUIVIEW_DEBUG"):
            raise
        from equiview.core.termination import Terminated

        if isinstance(interrupt, Terminated):  # SIGTERM/SIGHUP: 143/129, like a shell reports them
            print(f"equiview: {interrupt}", file=sys.stderr)
            return interrupt.exit_code
        print("equiview: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
