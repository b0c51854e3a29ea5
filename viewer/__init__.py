"""The equiview viewer: the window (PySide6 + pyvistaqt) and the commands that draw (gui, render, movie, sweep)."""
