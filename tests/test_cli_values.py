"""Command-line value parsing: angle/shift triples, image sizes and output files (no window, no data)."""

from __future__ import annotations

import os

import pytest

from equiview.core.cli import CommandError
from equiview.core.output_path import check_output_path, outputs_released
from equiview.viewer.model.cli_values import parse_size, parse_triple


def test_triples_parse_within_bounds():
    assert parse_triple("30,0,-45", "--rotate", (-180, 180), "degrees") == (30.0, 0.0, -45.0)
    assert parse_triple(" 1.5 , -2,0 ", "--translate", (-10, 10), "Å") == (1.5, -2.0, 0.0)
    assert parse_triple("180,-180,0", "--rotate", (-180, 180), "degrees") == (180.0, -180.0, 0.0)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("1,2", "--rotate expects three"),
        ("1,2,3,4", "expects three"),
        ("a,b,c", "expects three"),
        ("0,nan,0", "expects three"),
        ("inf,0,0", "expects three"),
        ("0,0,270", "must lie in -180..180 degrees"),
    ],
)
def test_bad_triples_name_the_option(text, fragment):
    with pytest.raises(CommandError, match=fragment) as error:
        parse_triple(text, "--rotate", (-180, 180), "degrees")
    assert "\n" not in str(error.value) and repr(text) in str(error.value)


def test_sizes():
    assert parse_size("1280x800") == (1280, 800)
    assert parse_size("640X480") == (640, 480)
    assert parse_size("1200×900") == (1200, 900)
    assert parse_size("64x8192") == (64, 8192)
    for bad, fragment in (
        ("big", "--size expects WIDTHxHEIGHT"),
        ("10x10", "between 64 and 8192"),
        ("9000x100", "between 64 and 8192"),
        ("1x2x3", "expects"),
    ):
        with pytest.raises(CommandError, match=fragment):
            parse_size(bad)
    with pytest.raises(CommandError, match="^--grid expects"):
        parse_size("big", option="--grid")


def test_output_paths(tmp_path):
    with outputs_released():  # the lock it takes ends with the block, as with a command
        target = check_output_path(str(tmp_path / "a.png"), "--out")
        assert (tmp_path / ".a.png.lock").exists()
    assert target == tmp_path / "a.png" and list(tmp_path.iterdir()) == []
    with pytest.raises(CommandError, match="--out needs a file name"):
        check_output_path("  ", "--out")
    with pytest.raises(CommandError, match="is a folder, not a file name"):
        check_output_path(str(tmp_path), "--out")
    with pytest.raises(CommandError, match="--screenshot: folder .* does not exist"):
        check_output_path(str(tmp_path / "missing" / "a.png"), "--screenshot")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unwritable_folder_is_reported(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(CommandError, match="is not writable"):
            check_output_path(str(locked / "a.png"), "--out")
    finally:
        locked.chmod(0o700)
