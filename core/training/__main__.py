"""``python -m equiview.core.training train ...``: the same command as ``equiview train``.

This entry point imports no GUI code, so ``torchrun --nproc-per-node 2 -m equiview.core.training train ...`` starts light
worker processes.
"""

import argparse
import sys

from equiview.core.cli import run
from equiview.core.training.cli import add_train_arguments, run_train


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m equiview.core.training", description="Train an equiview model.")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = subcommands.add_parser("train", help="train a model and write a checkpoint")
    add_train_arguments(train)
    train.set_defaults(handler=run_train)
    return parser


if __name__ == "__main__":
    sys.exit(run(build_parser(), sys.argv[1:]))
