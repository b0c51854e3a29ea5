"""Package layout; everything else about the project is in pyproject.toml.

``assets/`` (the bundled QM9 subset, the shipped checkpoints) and ``resources/`` (icon, style sheet) stay at the
repository root and are installed as the packages ``equiview_assets`` and ``equiview_resources``; ``core.assets``
finds them with importlib.resources. pyproject.toml alone cannot combine package discovery with this mapping.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["core", "core.*", "viewer", "viewer.*"]),
        "equiview_assets",
        "equiview_resources",
    ],
    package_dir={"equiview_assets": "assets", "equiview_resources": "resources"},
    package_data={
        "equiview_assets": ["*.npz", "*.md", "checkpoints/*.pt", "checkpoints/*.json", "checkpoints/*.png"],
        "equiview_resources": ["*.svg", "*.png", "*.qss"],
    },
)
