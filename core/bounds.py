"""The documented bounds of every count, size and rate a user can pass on the command line.

Each option has a range; a value outside it ends the command at once with one line naming the option and the
range (exit code 2), before any data is read or memory allocated. Before these bounds, ``check-invariance
--trials 1000000000`` ran for minutes at gigabytes and ``train --layers 100000`` built a model as big as the
machine. README.md lists the same table.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass

from equiview.core.errors import CommandError

MAX_HIDDEN = 512
"""Widest hidden or embedding layer (``--hidden``; ``hidden_channels`` and ``final_embedding_size`` in files)."""
MAX_LAYERS = 16
"""Most message-passing layers (``--layers``; ``num_mp_layers`` and ``num_layers`` in files)."""
MAX_SEED = 2**32 - 1
"""Seeds are 32-bit: numpy and torch accept them everywhere, and larger numbers add nothing."""


@dataclass(frozen=True)
class IntRange:
    """An integer option's range ``low..high`` (inclusive)."""

    low: int
    high: int

    def check(self, option: str, value: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            raise CommandError(f"{option} must be an integer in {self.low}..{self.high}, got {value!r}")
        return value


@dataclass(frozen=True)
class FloatRange:
    """A finite number's range; ``low_open`` excludes ``low`` itself (a rate that must be positive)."""

    low: float
    high: float
    low_open: bool = False

    def check(self, option: str, value: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CommandError(f"{option} must be a number, got {value!r}")
        value = float(value)
        above_low = value > self.low if self.low_open else value >= self.low
        if not (math.isfinite(value) and above_low and value <= self.high):
            low = f"{'above' if self.low_open else 'from'} {self.low:g}"
            raise CommandError(f"{option} must be a finite number {low} up to {self.high:g}, got {value!r}")
        return value


BOUNDS: dict[str, IntRange] = {
    # check-invariance: molecules x trials forward passes, trials E(3) elements held at once
    "--molecules": IntRange(1, 1000),
    "--trials": IntRange(1, 1000),
    "--worst": IntRange(0, 1000),
    "--batch-graphs": IntRange(1, 65_536),
    # training and evaluation
    "--epochs": IntRange(1, 10_000),
    "--batch-size": IntRange(1, 4096),
    "--eval-batch-size": IntRange(1, 4096),
    "--hidden": IntRange(1, MAX_HIDDEN),
    "--layers": IntRange(1, MAX_LAYERS),
    "--limit-train": IntRange(1, 1_000_000),
    "--limit-val": IntRange(1, 1_000_000),
    "--limit-test": IntRange(1, 1_000_000),
    "--threads": IntRange(1, 1024),
    "--seed": IntRange(0, MAX_SEED),
    "--split-seed": IntRange(0, MAX_SEED),
    # images and movies: --size is checked in viewer.model.cli_values (64..8192 per side; x --scale <= 16384)
    "--scale": IntRange(1, 4),
    "--frames": IntRange(1, 10_000),
    "--steps": IntRange(1, 1_000_000),
}
"""Integer options and their inclusive ranges."""

RATES: dict[str, FloatRange] = {
    "--lr": FloatRange(0.0, 10.0, low_open=True),
    "--weight-decay": FloatRange(0.0, 1.0),
    "--huber-delta": FloatRange(0.0, 1e6, low_open=True),
    "--warmup-epochs": FloatRange(0.0, 10_000.0),
    "--min-lr-ratio": FloatRange(0.0, 1.0),
    "--clip-grad": FloatRange(0.0, 1e6),
}
"""Floating-point training options and their ranges (NaN and infinity are always refused)."""


def check_count(option: str, value: int) -> int:
    """``value`` if it lies within ``BOUNDS[option]``, else :class:`CommandError` (one line)."""
    return BOUNDS[option].check(option, value)


def check_rate(option: str, value: float) -> float:
    """``value`` as a float if it lies within ``RATES[option]``, else :class:`CommandError` (one line)."""
    return RATES[option].check(option, value)


def bounded_int(option: str) -> Callable[[str], int]:
    """An argparse ``type=`` that parses an integer and checks it against ``BOUNDS[option]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expects an integer, got {text!r}") from None
        try:
            return check_count(option, value)
        except CommandError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def bounded_float(option: str) -> Callable[[str], float]:
    """An argparse ``type=`` that parses a number and checks it against ``RATES[option]``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expects a number, got {text!r}") from None
        try:
            return check_rate(option, value)
        except CommandError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = "number"
    return parse
