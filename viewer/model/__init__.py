"""The viewer's logic without a window: state, frames, models, colours, camera direction, command values.

Nothing in this package imports Qt, qtpy, PyVista or VTK (an import-linter contract in
``pyproject.toml`` checks it), so ``equiview render``, the tests and the window share it.
"""
