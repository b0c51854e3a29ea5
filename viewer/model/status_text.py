"""The window's status bar in words a student reads: which molecule, and what to try with the rows shown.

Render timings are not for the user (they live in ``SceneController.last_frame_ms``, the benches and the debug log).
"""

from __future__ import annotations

from equiview.viewer.model.pipeline import Frame

INTRO_START = "Drag the molecule in a g·x view (right column) or move a slider"
ROW_PROMISES = {
    "egnn": "the EGNN keeps its colours",
    "naive": "the naive GNN does not",
}
"""What each built-in row shows when g moves the input, in the order the sentence names them."""


def intro_message(frame: Frame | None) -> str:
    """The first hint: what dragging does, naming only the built-in rows that have a model output now.

    A row that is "not available" (elements its model does not know) or still loading is not promised anything.
    """
    rows = frame.rows if frame is not None else {}
    promises = [text for name, text in ROW_PROMISES.items() if name in rows and rows[name].available]
    if promises == [ROW_PROMISES["naive"]]:
        promises = ["the naive GNN's colours change"]  # "does not" needs the EGNN before it
    if not promises:
        return f"{INTRO_START}: g moves the input of every row."
    return f"{INTRO_START}: {', '.join(promises)}."


def molecule_status(frame: Frame) -> str:
    """The permanent status text: the molecule shown and its size."""
    molecule = frame.molecule
    return f"{short_name(molecule.name)} ({molecule.formula}) · {molecule.num_atoms} atoms"


def short_name(name: str, limit: int = 32) -> str:
    """A molecule's name for the title and status bar (a long SMILES would push the panels aside)."""
    return name if len(name) <= limit else name[: limit - 1] + "…"
