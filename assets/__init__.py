"""Installed as the package ``equiview_assets`` (see setup.py); read its files through ``core.assets``."""
