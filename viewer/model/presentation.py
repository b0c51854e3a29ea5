"""Presentation mode (F5, ``gui --present``): text, badges and colour bars grow with the views.

At 1366×768 with three rows a view is about 683×256 logical pixels: the scene's text sizes are made for that. A
bigger view (a projector, 2560×1440, a hidden side panel) multiplies every text size by how much larger the view
is, so the back row reads the badge as the front row reads it on a laptop.
"""

from __future__ import annotations

REFERENCE_VIEW = (683.0, 256.0)
"""Logical pixels of one view at 1366×768 with three rows: the size the scene's text sizes are chosen for."""
MAX_TEXT_SCALE = 4.0


def presentation_text_scale(view_width: float, view_height: float) -> float:
    """How much larger than the reference a view is (the smaller of width and height ratio), 1 to 4."""
    ratio = min(view_width / REFERENCE_VIEW[0], view_height / REFERENCE_VIEW[1])
    return float(min(max(ratio, 1.0), MAX_TEXT_SCALE))
