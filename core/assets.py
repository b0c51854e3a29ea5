"""Where equiview's shipped files are: the bundled QM9 subset, the trained checkpoints, the viewer's resources.

The repository keeps them in ``assets/`` and ``resources/`` at its root; ``pyproject.toml`` installs those folders
as the subpackages ``equiview.assets`` and ``equiview.resources``, so that a wheel carries them and
:mod:`importlib.resources` finds them wherever the wheel was installed; an editable install (``make install``)
maps the same package names back onto the checkout's folders. This module is the only place that knows this.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

ASSETS_PACKAGE = "equiview.assets"
RESOURCES_PACKAGE = "equiview.resources"
BUNDLE_NAME = "qm9_filtered.npz"
CHECKPOINT_FOLDER = "checkpoints"


def _package_folder(package: str) -> Path:
    folder = resources.files(package)
    # Checkpoints and the bundle are opened by path (torch.load, np.load, Qt): the package must be a real folder,
    # which it is for a wheel installed by pip and for the editable install (never a zip import).
    if not isinstance(folder, Path):
        raise RuntimeError(f"equiview's package {package} is not installed as a folder: {folder!r}")
    return folder


def assets_dir() -> Path:
    """The folder holding the bundle and ``checkpoints/`` (``assets/`` in the repository)."""
    return _package_folder(ASSETS_PACKAGE)


def bundle_path() -> Path:
    """The bundled filtered QM9 (21,800 molecules with at most 8 heavy atoms)."""
    return assets_dir() / BUNDLE_NAME


def checkpoint_dir() -> Path:
    """The folder of the shipped checkpoints (``naive.pt``, ``egnn.pt`` and their metrics)."""
    return assets_dir() / CHECKPOINT_FOLDER


def checkpoint_path(kind: str) -> Path:
    """The shipped checkpoint of model ``kind`` (which may not exist for every kind)."""
    return checkpoint_dir() / f"{kind}.pt"


def resources_dir() -> Path:
    """The viewer's icon and style sheet (``resources/`` in the repository)."""
    return _package_folder(RESOURCES_PACKAGE)


def resource_path(name: str) -> Path:
    """One file of the viewer's resources, e.g. ``resource_path("style.qss")``."""
    return resources_dir() / name
