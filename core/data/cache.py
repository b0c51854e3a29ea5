"""Where processed datasets are cached: ``$EQUIVIEW_CACHE_DIR`` or the platform's user cache dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CACHE_ENV_VAR = "EQUIVIEW_CACHE_DIR"


def cache_dir() -> Path:
    """The cache directory (not created here); ``EQUIVIEW_CACHE_DIR`` overrides the default."""
    override = os.environ.get(CACHE_ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("equiview"))
