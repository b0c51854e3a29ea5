"""``equiview sweep`` and ``equiview movie``: real checkpoints, real files read back, bad input with exit 2."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from viewer_fixtures import is_blank, read_png, run_equiview

from equiview.viewer.cli import main
from equiview.viewer.model.movie_file import MovieCancelled, read_frames


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_sweep_json_with_the_shipped_checkpoints(capsys):
    code, out, err = run_main(capsys, "sweep", "--json", "--rotate", "0,0,0")  # from the original pose
    assert code == 0, err
    result = json.loads(out)
    assert result["molecule"] == "gdb_814" and result["axis"] == "z"
    assert len(result["angles"]) == 72 and result["angles"][:2] == [0.0, 5.0]
    naive, egnn = result["models"]["naive"]["max_error"], result["models"]["egnn"]["max_error"]
    assert len(naive) == len(egnn) == 72
    assert max(egnn) <= 1e-4
    assert naive[0] == 0.0  # angle 0 is the identity
    assert min(naive[1:]) >= 1e-3
    assert result["current_angle"] == 0.0  # g is the identity: marked at 0


def test_sweep_angle_zero_is_the_identity_and_the_default_g_is_marked_at_45(capsys):
    """The issue's finding: `sweep --steps 8 --json` gave the naive GNN 0.462 at 0° and 0.0 at 315° (the sweep
    started at the default g, 45° about z)."""
    code, out, err = run_main(capsys, "sweep", "--steps", "8", "--json")
    assert code == 0, err
    result = json.loads(out)
    naive = result["models"]["naive"]["max_error"]
    assert result["current_angle"] == 45.0 and result["angles"][1] == 45.0
    assert naive[0] == 0.0 and min(naive[1:]) > 1e-3


def test_sweep_plot_and_csv(capsys, tmp_path):
    plot, table = tmp_path / "sweep.png", tmp_path / "sweep.csv"
    code, out, err = run_main(
        capsys,
        "sweep",
        "--molecule",
        "gdb_5806",
        "--axis",
        "y",
        "--steps",
        "12",
        "--plot",
        str(plot),
        "--csv",
        str(table),
    )
    assert code == 0, err
    assert "naive" in out and "egnn" in out
    image = read_png(plot)
    assert image.shape[0] > 500 and not is_blank(image)
    with open(table, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["angle_deg", "atom", "element", "naive_value", "naive_max_error", "egnn_value", "egnn_max_error"]
    assert len(rows) == 1 + 12 * 26
    assert rows[1][:3] == ["0", "0", "C"] and rows[-1][:2] == ["330", "25"]
    egnn_errors = np.array([float(row[6]) for row in rows[1:]])
    assert egnn_errors.max() <= 1e-4
    # every atom of one angle shares that angle's max|Δh|
    assert len({row[4] for row in rows[1:27]}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv", "sweep.png"]


def test_sweep_sphere_json_and_plot(capsys, tmp_path):
    plot = tmp_path / "sphere.png"
    code, out, err = run_main(capsys, "sweep", "--sphere", "4", "--steps", "6", "--json", "--plot", str(plot))
    assert code == 0, err
    result = json.loads(out)
    assert result["sphere"] == 4 and result["steps"] == 6
    egnn, naive = result["models"]["egnn"], result["models"]["naive"]
    assert np.array(egnn["errors"]).shape == (4, 8)
    assert egnn["max_error"] <= 1e-4 and naive["min_error"] >= 1e-3
    assert not is_blank(read_png(plot))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--axis", "w"], "--axis must be x, y or z"),
        (["--steps", "1"], "--steps must be an integer from 2 to 720"),
        (["--steps", "100000"], "--steps must be an integer from 2 to 720"),
        (["--sphere", "5"], "--sphere must be an even integer"),
        (["--plot", "{tmp}/sweep.gif"], "unknown image format"),
        (["--plot", "{tmp}/missing/sweep.png"], "does not exist"),
        (["--csv", "{tmp}"], "is a folder"),
        (["--sphere", "4", "--csv", "{tmp}/x.csv"], "does not apply together with --sphere"),
        (["--egnn", "{tmp}/none.pt"], "no such checkpoint file"),
        (["--molecule", "gdb_99999999"], "gdb_99999999"),
    ],
)
def test_sweep_bad_input_exits_2_with_one_line(capsys, tmp_path, args, fragment):
    code, out, err = run_main(capsys, "sweep", *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2
    assert fragment in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_movie_gif_without_a_display(tmp_path):
    out = tmp_path / "spin.gif"
    done = run_equiview(
        "movie", "--out", str(out), "--frames", "6", "--fps", "8", "--size", "320x200", "--axis", "x", "--json",
        env={"DISPLAY": None},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["out"] == str(out) and result["frames"] == 6 and result["fps"] == 8
    assert (result["width"], result["height"]) == (320, 200) and result["seconds"] > 0
    assert "6/6" in done.stderr  # the progress bar
    frames = list(read_frames(out))
    assert len(frames) == 6 and frames[0].shape == (200, 320, 3)
    assert not is_blank(frames[0])
    # the molecule turns: consecutive frames differ
    assert all(np.abs(a.astype(int) - b.astype(int)).max() > 50 for a, b in zip(frames, frames[1:]))
    assert [p.name for p in tmp_path.iterdir()] == ["spin.gif"]


def test_movie_mp4_is_read_back_with_the_requested_frames(tmp_path):
    out = tmp_path / "spin.mp4"
    done = run_equiview(
        "movie", "--out", str(out), "--frames", "8", "--size", "320x200", "--scale", "2", "--json",
        env={"DISPLAY": None},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert (result["width"], result["height"]) == (640, 400)
    frames = list(read_frames(out))
    assert len(frames) == 8 and frames[0].shape == (400, 640, 3)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--out", "{tmp}/m.gif", "--axis", "q"], "--axis must be x, y or z"),
        (["--out", "{tmp}/m.gif", "--frames", "1"], "--frames must be an integer from 2 to 720"),
        (["--out", "{tmp}/m.gif", "--frames", "5000"], "--frames must be an integer from 2 to 720"),
        (["--out", "{tmp}/m.gif", "--fps", "0"], "--fps must be an integer from 1 to 50"),
        (["--out", "{tmp}/m.mp4", "--fps", "61"], "--fps must be an integer from 1 to 60"),
        (["--out", "{tmp}/m.avi"], "unknown movie format '.avi'"),
        (["--out", "{tmp}/missing/m.gif"], "does not exist"),
        (["--out", "{tmp}/m.mp4", "--size", "321x200"], "even width and height"),
        (["--out", "{tmp}/m.gif", "--degrees", "0"], "--degrees"),
        (["--out", "{tmp}/m.gif", "--transparent"], "--transparent does not apply"),
        (["--out", "{tmp}/m.gif", "--scale", "5"], "--scale must be"),
    ],
)
def test_movie_bad_input_exits_2_with_one_line(capsys, tmp_path, args, fragment):
    code, out, err = run_main(capsys, "movie", *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2
    assert fragment in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_cancelled_movie_leaves_no_file(dataset, tmp_path):
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.movie_settings import MovieSettings
    from equiview.viewer.model.pipeline import Pipeline
    from equiview.viewer.model.snapshot import Snapshot
    from equiview.viewer.movie import record_movie

    out = tmp_path / "cancelled.mp4"
    seen = []
    with pytest.raises(MovieCancelled):
        record_movie(
            Pipeline(dataset, ModelLibrary()),
            Snapshot(),
            out,
            MovieSettings(frames=10, size=(160, 128)),
            progress=lambda done, total: seen.append(done),
            cancelled=lambda: len(seen) >= 3,
        )
    assert seen == [1, 2, 3]
    assert list(tmp_path.iterdir()) == []
