"""The panels of the main window: they write to the view state and follow its one change signal."""
