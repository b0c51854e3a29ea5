"""``equiview.notebook`` and ``examples/T036_live.ipynb``: executed by a real kernel (nbclient), saved, read back,
and the saved cell output opened in headless Chromium: the lesson in the notebook needs neither kernel nor network."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np
import pytest
from test_lesson_html import load, needs_browser, open_browser, payload

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "T036_live.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    """The example notebook run top to bottom by an IPython kernel, then saved."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    out = tmp_path_factory.mktemp("notebook") / "T036_live.ipynb"
    nbformat.write(notebook, out)
    return out


def lesson_outputs(path: Path) -> list[str]:
    """The lesson pages in the saved notebook's cell outputs (the iframes' srcdoc, unescaped)."""
    import nbformat

    pages = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            shown = output.get("data", {}).get("text/html", "")
            match = re.search(r'<iframe srcdoc="([^"]*)"', shown)
            if match:
                pages.append(html.unescape(match.group(1)))
    return pages


def test_the_example_notebook_runs_and_keeps_its_lessons(executed):
    pages = lesson_outputs(executed)
    assert len(pages) == 4  # methane, naive, EGNN, both
    rows = [[row["name"] for row in payload(page)["rows"]] for page in pages]
    assert rows == [[], ["naive"], ["egnn"], ["naive", "egnn"]]
    methane = payload(pages[0])["molecule"]
    assert methane["formula"] == "CH4" and sorted(methane["elements"]) == ["C", "H", "H", "H", "H"]
    data = payload(pages[3])
    naive, egnn = data["rows"]
    # the naive row changes at every pose whose matrix is not the identity (R(180°, 180°, 180°) = 1 is one that is)
    matrices = np.frombuffer(base64.b64decode(data["matrices"]), "<f8").reshape(-1, 12)[:, :9]
    moved = np.abs(matrices - np.eye(3).reshape(-1)).max(axis=1) > 1e-9
    assert moved.sum() > 0.99 * len(moved)
    assert all(badge.startswith("changed") for badge, m in zip(naive["badge"], moved) if m)
    assert all(badge.startswith(("invariant", "identity")) for badge in egnn["badge"])


@needs_browser
def test_the_saved_notebook_output_runs_in_chromium(executed, tmp_path):
    """The last cell's saved output, as a page of its own: it loads offline and shows both badges."""
    page = tmp_path / "cell.html"
    page.write_text(lesson_outputs(executed)[-1], encoding="utf-8")
    driver = open_browser()
    try:
        load(driver, page)
        shown = driver.execute_script("return window.equiview.badges()")
        assert shown["naive"].startswith("changed") and shown["egnn"].startswith("invariant")
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        driver.quit()


def test_show_refuses_unknown_rows():
    from equiview.notebook import show

    with pytest.raises(ValueError, match="naive, egnn"):
        show(models=["schnet"])
    with pytest.raises(ValueError, match="colormap"):
        show(models=[], colormap="nope")
