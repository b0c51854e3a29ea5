"""What a movie export records (axis, angle range, frames, fps, size, scale) and what it reports; no Qt, no VTK."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from equiview.viewer.model.movie_file import check_movie_settings
from equiview.viewer.model.sweep_settings import check_axis

DEFAULT_MOVIE_SIZE = (1280, 800)
MIN_DEGREES, MAX_DEGREES = 1.0, 3600.0


@dataclass(frozen=True)
class MovieSettings:
    """What to record: ``frames`` poses spinning ``degrees`` about ``axis``, played at ``fps``."""

    axis: str = "z"
    frames: int = 72
    fps: int = 24
    degrees: float = 360.0
    size: tuple[int, int] = DEFAULT_MOVIE_SIZE
    scale: int = 1

    @property
    def pixels(self) -> tuple[int, int]:
        return self.size[0] * self.scale, self.size[1] * self.scale

    def check(self, path: str | Path) -> str:
        """The movie format of ``path`` after checking every setting; ``ValueError`` with one line otherwise."""
        check_axis(self.axis)
        if not MIN_DEGREES <= float(self.degrees) <= MAX_DEGREES:
            raise ValueError(f"the spin must cover {MIN_DEGREES:g} to {MAX_DEGREES:g} degrees; got {self.degrees:g}")
        if not 1 <= int(self.scale) <= 4:
            raise ValueError(f"scale must be 1, 2, 3 or 4; got {self.scale}")
        width, height = self.pixels
        if min(self.size) < 64 or max(width, height) > 8192:
            raise ValueError(f"movie size {width}x{height} is outside 64..8192 pixels per side")
        return check_movie_settings(path, self.frames, self.fps, width, height)

    def angles(self) -> list[float]:
        """Angle of every frame in degrees; a full turn leaves out 360° so the movie loops without a repeated frame."""
        return [float(self.degrees) * k / self.frames for k in range(self.frames)]


@dataclass(frozen=True)
class MovieResult:
    out: Path
    frames: int
    fps: int
    width: int
    height: int
    seconds: float  # wall time of the whole export

    def as_json(self) -> dict:
        return {
            "out": str(self.out),
            "frames": self.frames,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "seconds": round(self.seconds, 3),
        }
