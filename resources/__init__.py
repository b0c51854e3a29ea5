"""Installed as the package ``equiview_resources`` (see setup.py); read its files through ``core.assets``."""
