"""GIF and MP4 files from frames (viewer.model.movie_file): read back, one palette, nothing left by a failed export."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from equiview.viewer.model.movie_file import MovieCancelled, MovieFile, check_movie_settings, read_frames


def synthetic_frames(count: int, width: int = 96, height: int = 64) -> list[np.ndarray]:
    """A gradient whose tint changes every frame (more colours than one GIF palette holds over the movie) and a
    fixed bright square (one constant colour)."""
    frames = []
    for k in range(count):
        frame = np.zeros((height, width, 3), dtype=np.uint8)
        frame[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
        frame[..., 1] = (37 * k) % 256
        frame[height // 2 :, :, 2] = 160
        frame[8:24, 8:24] = (250, 200, 10)
        frames.append(frame)
    return frames


def gif_colour_tables(path: Path) -> tuple[bool, int]:
    """(has a global colour table, number of frames with a local one), read from the GIF blocks themselves."""
    data = path.read_bytes()
    assert data[:6] in (b"GIF87a", b"GIF89a")
    flags = data[10]
    position = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    local_tables = 0
    while position < len(data):
        block = data[position]
        if block == 0x3B:  # trailer
            break
        if block == 0x21:  # extension: label, then sub-blocks
            position += 2
            while data[position]:
                position += data[position] + 1
            position += 1
        elif block == 0x2C:  # image descriptor
            packed = data[position + 9]
            position += 10
            if packed & 0x80:
                local_tables += 1
                position += 3 * 2 ** ((packed & 7) + 1)
            position += 1  # LZW minimum code size
            while data[position]:
                position += data[position] + 1
            position += 1
        else:
            raise AssertionError(f"unexpected GIF block 0x{block:02x}")
    return bool(flags & 0x80), local_tables


def write(path: Path, frames: list[np.ndarray], fps: int = 10) -> None:
    height, width = frames[0].shape[:2]
    with MovieFile(path, len(frames), fps, width, height) as movie:
        movie.set_palette(frames)
        for frame in frames:
            movie.append(frame)
        movie.finish()


def test_gif_has_the_frames_the_size_and_one_palette(tmp_path):
    frames = synthetic_frames(7)
    path = tmp_path / "spin.gif"
    write(path, frames, fps=20)
    back = list(read_frames(path))
    assert len(back) == 7
    assert all(frame.shape == (64, 96, 3) for frame in back)
    has_global, local = gif_colour_tables(path)
    assert has_global and local == 0
    colours = np.unique(np.concatenate([frame.reshape(-1, 3) for frame in back]), axis=0)
    assert len(colours) <= 256
    # the constant square keeps exactly one colour in every frame: no flicker
    square = {tuple(frame[16, 16]) for frame in back}
    assert len(square) == 1
    assert np.abs(np.array(square.pop(), dtype=int) - (250, 200, 10)).max() <= 8
    # and each frame is close to what was drawn (256 colours for smooth gradients)
    for original, decoded in zip(frames, back):
        assert np.abs(original.astype(int) - decoded.astype(int)).mean() < 6
    from PIL import Image

    with Image.open(path) as image:
        assert image.info["duration"] == 50
        assert image.info["loop"] == 0


def test_mp4_is_read_back_with_its_frame_count(tmp_path):
    frames = synthetic_frames(9, 128, 80)
    path = tmp_path / "spin.mp4"
    write(path, frames, fps=12)
    back = list(read_frames(path))
    assert len(back) == 9
    assert back[0].shape == (80, 128, 3)
    import imageio.v3 as iio

    meta = iio.immeta(path, plugin="FFMPEG")
    assert meta["codec"] == "h264"
    assert meta["pix_fmt"].startswith("yuv420p")
    assert meta["fps"] == 12
    # lossy, but recognisably the same pictures
    assert np.abs(frames[4].astype(int) - back[4].astype(int)).mean() < 8


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_a_cancelled_export_leaves_no_file_and_keeps_the_old_one(tmp_path, suffix):
    frames = synthetic_frames(6, 64, 64)
    fresh = tmp_path / f"new{suffix}"
    with pytest.raises(MovieCancelled):
        with MovieFile(fresh, 6, 10, 64, 64) as movie:
            movie.set_palette(frames)
            for k, frame in enumerate(frames):
                if k == 3:
                    raise MovieCancelled("stop")
                movie.append(frame)
    assert not fresh.exists()
    old = tmp_path / f"old{suffix}"
    old.write_bytes(b"previous movie")
    with pytest.raises(KeyboardInterrupt):
        with MovieFile(old, 6, 10, 64, 64) as movie:
            movie.set_palette(frames)
            movie.append(frames[0])
            raise KeyboardInterrupt
    assert old.read_bytes() == b"previous movie"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"old{suffix}"]


def test_leaving_the_block_before_finish_writes_nothing(tmp_path):
    path = tmp_path / "short.gif"
    with pytest.raises(RuntimeError, match="before finish"):
        with MovieFile(path, 4, 10, 64, 64) as movie:
            movie.set_palette(synthetic_frames(1, 64, 64))
            movie.append(synthetic_frames(1, 64, 64)[0])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="got 1 of its 4 frames"):
        with MovieFile(path, 4, 10, 64, 64) as movie:
            movie.set_palette(synthetic_frames(1, 64, 64))
            movie.append(synthetic_frames(1, 64, 64)[0])
            movie.finish()
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_ordinary_permissions(tmp_path):
    path = tmp_path / "mode.gif"
    write(path, synthetic_frames(2, 64, 64))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    ("name", "frames", "fps", "size", "fragment"),
    [
        ("a.avi", 10, 10, (64, 64), "unknown movie format '.avi'"),
        ("a", 10, 10, (64, 64), "unknown movie format"),
        ("a.gif", 1, 10, (64, 64), "frames must be an integer from 2 to 720"),
        ("a.gif", 721, 10, (64, 64), "frames must be an integer from 2 to 720"),
        ("a.gif", 10, 0, (64, 64), "fps must be an integer from 1 to 50"),
        ("a.gif", 10, 60, (64, 64), "fps must be an integer from 1 to 50 for a GIF"),
        ("a.mp4", 10, 61, (64, 64), "fps must be an integer from 1 to 60"),
        ("a.mp4", 10, 10, (65, 64), "even width and height"),
    ],
)
def test_bad_settings_raise_one_line(tmp_path, name, frames, fps, size, fragment):
    with pytest.raises(ValueError, match=fragment) as raised:
        check_movie_settings(tmp_path / name, frames, fps, *size)
    assert "\n" not in str(raised.value)
    with pytest.raises(ValueError):
        MovieFile(tmp_path / name, frames, fps, *size)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_during_a_gif_is_one_error_naming_the_file_and_leaves_nothing(small_disk):
    """Noise does not compress: 40 frames of 256x256 need ~2.6 MB, the disk has 256 KB. Before, the frames waited
    in a memory map on that disk and the export died of SIGBUS."""
    disk = small_disk("256k")
    rng = np.random.default_rng(0)
    frame_count = 40
    path = disk / "m.gif"
    with pytest.raises(OSError) as failure:
        with MovieFile(path, frame_count, 10, 256, 256) as movie:
            movie.set_palette([rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)])
            for _ in range(frame_count):
                movie.append(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8))
            movie.finish()
    assert failure.value.errno == 28 and failure.value.filename == str(path)
    assert list(disk.iterdir()) == []


def test_the_movie_command_on_a_full_disk_is_one_line_exit_2(small_disk):
    disk = small_disk("256k")
    from molecule_files_fixtures import ETHANOL, write_xyz
    from viewer_fixtures import run_equiview

    molecule = write_xyz(disk.parent / "ethanol.xyz", ETHANOL)
    out = disk / "m.gif"
    done = run_equiview(
        "movie",
        "--molecule-file",
        str(molecule),
        "--out",
        str(out),
        "--frames",
        "60",
        "--size",
        "800x600",
        env={"DISPLAY": None, "WAYLAND_DISPLAY": None},
    )
    lines = [
        line for line in done.stderr.replace("\r", "\n").splitlines() if line.strip() and not line.startswith("m.gif:")
    ]
    assert done.returncode == 2 and len(lines) == 1, (done.returncode, done.stderr[-2000:])
    assert lines[0] == f"equiview: error: {out}: No space left on device"
    assert list(disk.iterdir()) == []


def _gif_peak_bytes(path: Path, frame_count: int, side: int = 256) -> int:
    """Peak traced memory (numpy's buffers included) while ``frame_count`` fresh frames stream into a GIF."""
    import tracemalloc

    rng = np.random.default_rng(1)
    palette_sample = [rng.integers(0, 256, (side, side, 3), dtype=np.uint8) for _ in range(2)]
    tracemalloc.start()
    try:
        with MovieFile(path, frame_count, 10, side, side) as movie:
            movie.set_palette(palette_sample)
            for k in range(frame_count):
                frame = np.zeros((side, side, 3), dtype=np.uint8)
                frame[:, : (k * 7) % side + 1] = palette_sample[0][:, : (k * 7) % side + 1]  # changes every frame
                movie.append(frame)
                del frame
            movie.finish()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_gif_holds_one_frame_not_the_movie(tmp_path):
    """Eight times the frames, the same peak memory (within two frames): frames are encoded as they come. The
    old writer kept every frame (a memory map plus an index array of frames x H x W bytes)."""
    frame_bytes = 256 * 256 * 3
    few = _gif_peak_bytes(tmp_path / "few.gif", 8)
    many = _gif_peak_bytes(tmp_path / "many.gif", 64)
    assert many - few < 2 * frame_bytes, (few, many)
    assert len(list(read_frames(tmp_path / "many.gif"))) == 64
