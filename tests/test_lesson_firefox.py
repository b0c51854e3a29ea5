"""``equiview html`` in a real Firefox (Debian's ``firefox-esr``), offline, driven over Marionette.

geckodriver is not packaged by Debian, so the test talks to Firefox's own remote protocol with Mozilla's
``marionette_driver`` (PyPI): it starts ``firefox-esr --marionette`` on the test's X display (WebGL needs one:
headless Firefox has no software GL here), switches the browser offline (``Services.io.offline``), opens the lesson
file, moves the x slider with the keyboard and reads what each 3D view's WebGL canvas drew (3Dmol's ``pngURI``): the
naive row's g·x atoms change colour, the EGNN row's do not, the badges say so, and no script error is logged.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import time

import numpy as np
import pytest

from equiview.viewer.cli import main

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
try:
    import marionette_driver  # noqa: F401

    HAVE_MARIONETTE = True
except ImportError:
    HAVE_MARIONETTE = False
pytestmark = pytest.mark.skipif(
    FIREFOX is None or not HAVE_MARIONETTE or not os.environ.get("DISPLAY"),
    reason="Debian firefox-esr (make system-deps), marionette-driver (.[test]) and an X display (xvfb-run) are needed",
)


@pytest.fixture(scope="module")
def small_lesson(tmp_path_factory):
    """Naive and EGNN rows and the equivariant dipole's arrows on a 90° grid, g = R(0°, 0°, 90°)."""
    out = tmp_path_factory.mktemp("firefox") / "lesson.html"
    assert main(["html", "--out", str(out), "--rows", "naive,egnn,dipole", "--step", "90", "--rotate", "0,0,90"]) == 0
    return out


@pytest.fixture
def firefox(tmp_path):
    from marionette_driver.marionette import Marionette

    client = Marionette(
        bin=FIREFOX,
        port=0,  # a free port: tests may run beside each other
        headless=False,  # on the X display: headless Firefox finds no GL driver for WebGL
        startup_timeout=180,
        gecko_log=str(tmp_path / "gecko.log"),
        prefs={"webgl.force-enabled": True, "webgl.disable-fail-if-major-performance-caveat": True},
    )
    client.start_session()
    try:
        with client.using_context(client.CONTEXT_CHROME):  # no network at all: the file must carry everything
            client.execute_script("Services.io.manageOfflineStatus = false; Services.io.offline = true;")
        client.set_window_rect(width=1366, height=768)
        client.timeout.script = 300  # llvmpipe redraws every WebGL view per move: slow on a loaded CPU, not wrong
        yield client
    finally:
        client.delete_session()
        client.cleanup()


def page(client, script: str):
    """``script`` run in the page itself (Marionette's default sandbox cannot see the page's own globals)."""
    return client.execute_script(script, sandbox=None)


def view_pixels(client) -> dict[str, np.ndarray]:
    from PIL import Image

    uris = page(client, "return window.equiview.views.map(v => [v.canvas.id, v.viewer.pngURI()])")
    return {
        name: np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"), np.int16)
        for name, uri in uris
    }


def changed_fraction(before: np.ndarray, after: np.ndarray) -> float:
    molecule = (before.min(axis=2) < 250) | (after.min(axis=2) < 250)
    changed = np.abs(before - after).max(axis=2) > 8
    return float(changed[molecule].mean()) if molecule.any() else 0.0


def script_errors(client) -> list[str]:
    """Errors (not warnings) the page's scripts logged to Firefox's console."""
    with client.using_context(client.CONTEXT_CHROME):
        return client.execute_script(
            "return Services.console.getMessageArray()"
            ".filter(m => m instanceof Ci.nsIScriptError && !(m.flags & Ci.nsIScriptError.warningFlag)"
            " && m.category.startsWith('content'))"
            ".map(m => m.errorMessage + ' @ ' + m.sourceName)"
        )


def test_lesson_in_firefox_offline_naive_colours_change_egnn_colours_do_not(firefox, small_lesson, tmp_path):
    from marionette_driver.by import By
    from marionette_driver.keys import Keys

    assert firefox.execute_script("return navigator.onLine") is False
    firefox.navigate(small_lesson.as_uri())
    deadline = time.monotonic() + 240  # llvmpipe draws a dozen WebGL views on a loaded CPU
    while not page(firefox, "return !!window.equiview && (window.equiview.ready || window.equiview.errors.length > 0)"):
        assert time.monotonic() < deadline, "the lesson did not finish loading"
        time.sleep(0.5)
    assert page(firefox, "return window.equiview.errors") == []
    first = page(firefox, "return window.equiview.badges()")
    assert first["naive"].startswith("changed") and first["egnn"].startswith("invariant")
    before = view_pixels(firefox)
    assert all(image.min() < 250 for image in before.values())  # WebGL drew a molecule in every view

    firefox.find_element(By.ID, "rotate-x").send_keys(Keys.ARROW_RIGHT)  # rx 0° -> 90°
    assert page(firefox, "return window.equiview.pose.angles") == [90, 0, 90]
    after = view_pixels(firefox)
    (tmp_path / "firefox.png").write_bytes(firefox.screenshot(format="binary"))

    assert changed_fraction(before["view-naive-transformed"], after["view-naive-transformed"]) > 0.05
    assert changed_fraction(before["view-egnn-transformed"], after["view-egnn-transformed"]) == 0.0
    now = page(firefox, "return window.equiview.badges()")
    assert now["naive"].startswith("changed") and now["naive"] != first["naive"]
    assert now["egnn"].startswith("invariant")
    assert now["dipole"].startswith("equivariant")
    assert page(firefox, "return !!window.equiview.views.find(v => v.arrowViewer)")  # the dipole's arrow layers
    assert script_errors(firefox) == []
    assert page(firefox, "return window.equiview.errors") == []
