"""The viewer's icon and style sheet (``equiview.resources``; read through ``equiview.core.assets``)."""
