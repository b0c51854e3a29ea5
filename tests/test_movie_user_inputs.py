"""``equiview movie`` with ``--smiles``, ``--molecule-file`` and ``--model`` (issues 10 and 12): movies written without
a display, read back with imageio, frame by frame."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
from molecule_files_fixtures import METHANETHIOL, write_xyz
from user_model_fixtures import CENTRED_MODEL
from viewer_fixtures import run_equiview

NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None}


def record(tmp_path, out: str, *argv: str) -> dict:
    done = run_equiview("movie", "--out", str(tmp_path / out), "--json", *argv, env=NO_DISPLAY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def grid_rows(frame: np.ndarray) -> int:
    """How many rows of views a frame shows: each row starts with a one-pixel border line across the whole width."""
    image = frame.astype(int)
    background = image[-1, -1]
    rows = 0
    for line in image:
        typical = np.median(line, axis=0)
        uniform = (np.abs(line - typical).max(axis=1) < 12).mean() > 0.9
        rows += bool(uniform and np.abs(typical - background).max() > 8)
    return rows


def sulfur_pixels(frame: np.ndarray) -> int:
    """Pixels of the input row (the top third of a three-row grid) in sulfur's CPK yellow."""
    top = frame[: frame.shape[0] // 3].astype(int)
    return int(((top[..., 0] > 190) & (top[..., 1] > 150) & (top[..., 2] < 110)).sum())


def test_a_movie_of_a_smiles_molecule_is_read_back_with_its_frames(tmp_path):
    result = record(tmp_path, "thiol.mp4", "--smiles", "CCS", "--frames", "8", "--size", "320x240", "--axis", "x")
    assert (result["frames"], result["width"], result["height"]) == (8, 320, 240)
    frames = list(iio.imiter(tmp_path / "thiol.mp4", plugin="FFMPEG"))
    assert len(frames) == 8 and frames[0].shape == (240, 320, 3)
    # ethanethiol's sulfur is in every frame (QM9 molecules have none)
    assert all(sulfur_pixels(frame) > 3 for frame in frames)
    # the molecule turns: consecutive frames differ
    assert all(np.abs(a.astype(int) - b.astype(int)).max() > 50 for a, b in zip(frames, frames[1:]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thiol.mp4"]


def test_a_user_model_is_an_extra_row_of_every_frame(tmp_path):
    (tmp_path / "centred.py").write_text(CENTRED_MODEL)
    thiol = write_xyz(tmp_path / "thiol.xyz", METHANETHIOL, "methanethiol")
    common = ("--molecule-file", str(thiol), "--frames", "6", "--fps", "8", "--size", "320x480")
    record(tmp_path, "plain.gif", *common)
    result = record(tmp_path, "user.gif", *common, "--model", "centred=centred.py:make")
    assert (result["frames"], result["width"], result["height"]) == (6, 320, 480)
    plain = [np.asarray(f)[..., :3] for f in iio.imiter(tmp_path / "plain.gif", extension=".gif")]
    user = [np.asarray(f)[..., :3] for f in iio.imiter(tmp_path / "user.gif", extension=".gif")]
    assert len(plain) == len(user) == 6 and user[0].shape == plain[0].shape == (480, 320, 3)
    # the input row and the two built-in rows (their models do not know S: grey, "not available"), and the user's
    assert [grid_rows(frame) for frame in plain] == [3] * 6
    assert [grid_rows(frame) for frame in user] == [4] * 6
    assert all(np.abs(a.astype(int) - b.astype(int)).max() > 50 for a, b in zip(user, user[1:]))
