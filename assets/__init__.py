"""Shipped files: the bundled QM9 subset and the trained checkpoints (``equiview.assets``; read through ``equiview.core.assets``)."""
