"""``equiview html``: one self-contained file, the window's numbers, and a real headless Chromium that draws it.

The browser tests load the file with the network switched off (DevTools ``Network.emulateNetworkConditions``), move
a slider with the keyboard and read the pixels each 3D view rendered (3Dmol's ``pngURI``, the WebGL canvas): in the
aligned view the naive row's g·x atoms change colour and the EGNN row's do not, and the badges say so.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import shutil
import textwrap

import numpy as np
import pytest

from equiview.viewer.cli import main
from equiview.viewer.model.lesson import PoseGrid, lesson_data
from equiview.viewer.model.pipeline import Pipeline
from equiview.viewer.model.snapshot import TransformParams

SIZE_GOAL = 3_000_000  # bytes, the default lesson with both models (issue 21)


@pytest.fixture(scope="module")
def lesson_file(tmp_path_factory):
    """The default lesson, written by the command line (molecule 800, naive and EGNN, 30° grid)."""
    out = tmp_path_factory.mktemp("lesson") / "lesson.html"
    assert main(["html", "--out", str(out)]) == 0
    return out


def payload(text: str) -> dict:
    match = re.search(r"<script id='equiview-data' type='application/octet-stream'>([A-Za-z0-9+/=]+)</script>", text)
    assert match is not None
    return json.loads(gzip.decompress(base64.b64decode(match.group(1))))


def test_default_lesson_is_one_file_within_the_size_goal(lesson_file):
    text = lesson_file.read_text(encoding="utf-8")
    assert lesson_file.stat().st_size <= SIZE_GOAL
    # nothing is loaded from elsewhere: no script, style sheet, image or frame with a source
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)\s*=", text, re.IGNORECASE)
    assert "3Dmol.js" in text and "Redistribution and use in source and binary forms" in text  # the licence
    data = payload(text)
    assert data["grid"]["count"] == 13 and len(data["input_titles"]) == 2 * 13**3
    assert [row["name"] for row in data["rows"]] == ["naive", "egnn"]


def test_lesson_values_are_the_pipelines(dataset):
    """A pose of the page is ``Pipeline.frame`` of that pose: values, colours, error and badge."""
    pipeline = Pipeline(dataset)
    from equiview.viewer.model.snapshot import Snapshot

    snapshot = Snapshot(molecule=800)
    grid = PoseGrid(90.0)
    data = lesson_data(pipeline, snapshot, grid)
    n = len(data["molecule"]["elements"])
    ix, iy, iz, mirror = 3, 1, 2, True  # rx = 90, ry = -90, rz = 0, mirrored
    index = ((1 * grid.count + iz) * grid.count + iy) * grid.count + ix
    frame = pipeline.frame(snapshot.replace(transform=TransformParams(90.0, -90.0, 0.0, reflect=mirror)), models=True)
    for row in data["rows"]:
        window = frame.rows[row["name"]]
        values = np.frombuffer(base64.b64decode(row["values"]), "<f4").reshape(-1, n)[index]
        rgb = np.frombuffer(base64.b64decode(row["rgb"]), "u1").reshape(-1, n, 3)[index]
        error = np.frombuffer(base64.b64decode(row["error"]), "<f8")[index]
        np.testing.assert_allclose(values, window.values_transformed, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(rgb, window.rgba_transformed[:, :3])
        assert error == window.max_error
        assert row["badge"][index] == window.badge
    assert data["rows"][0]["badge"][index].startswith("changed")
    assert data["rows"][1]["badge"][index].startswith("invariant")


def test_lesson_refuses_a_step_outside_the_list(tmp_path, capsys):
    assert main(["html", "--out", str(tmp_path / "x.html"), "--step", "7"]) == 2
    assert "--step" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


# ------------------------------------------------------------------------------------------------ real browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None, reason="Debian chromium and chromium-driver are needed (make system-deps)"
)


def open_browser(width: int = 1366, height: int = 768):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--use-angle=swiftshader",  # WebGL on the CPU: no GPU needed
        "--enable-unsafe-swiftshader",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    return driver


def load(driver, path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.as_uri())
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script(
            "return !!window.equiview && (window.equiview.ready || window.equiview.errors.length > 0)"
        )
    )
    assert driver.execute_script("return window.equiview.errors") == []


def view_pixels(driver) -> dict[str, np.ndarray]:
    """What every 3D view rendered: its WebGL canvas through 3Dmol's pngURI, as RGB arrays."""
    from PIL import Image

    uris = driver.execute_script("return window.equiview.views.map(v => [v.canvas.id, v.viewer.pngURI()])")
    images = {}
    for name, uri in uris:
        raw = base64.b64decode(uri.split(",", 1)[1])
        images[name] = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), dtype=np.int16)
    return images


def changed_fraction(before: np.ndarray, after: np.ndarray) -> float:
    """Fraction of the molecule's pixels (not background white in either image) whose colour changed."""
    molecule = (before.min(axis=2) < 250) | (after.min(axis=2) < 250)
    changed = np.abs(before - after).max(axis=2) > 8
    return float(changed[molecule].mean()) if molecule.any() else 0.0


def badges(driver) -> dict[str, str]:
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('.view.transformed')].filter(v => v.querySelector('.badge'))"
        ".map(v => [v.querySelector('.canvas3d').id, v.querySelector('.badge').textContent]))"
    )


def severe_console_messages(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


@needs_browser
def test_lesson_in_chromium_naive_colours_change_egnn_colours_do_not(lesson_file, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = open_browser()
    try:
        load(driver, lesson_file)
        # the first screen: aligned (both columns drawn alike), g = R(0°, 0°, 60°)
        assert driver.execute_script("return window.equiview.options.aligned") is True
        assert "camera moved with it" in driver.find_element(By.CSS_SELECTOR, ".transformed-head").text
        first = badges(driver)
        assert first["view-naive-transformed"].startswith("changed: max|Δh| = ")
        assert first["view-egnn-transformed"].startswith("invariant: ")
        before = view_pixels(driver)
        colours_before = driver.execute_script("return window.equiview.colours()")

        slider = driver.find_element(By.ID, "rotate-x")
        slider.send_keys(Keys.ARROW_RIGHT)  # one grid step: rx 0° -> 30°
        assert driver.execute_script("return window.equiview.pose.angles") == [30, 0, 60]
        after = view_pixels(driver)
        colours_after = driver.execute_script("return window.equiview.colours()")
        driver.save_screenshot(str(tmp_path / "lesson.png"))

        # the naive row's g·x atoms take other colours, the EGNN row's keep theirs, pixel for pixel
        assert changed_fraction(before["view-naive-transformed"], after["view-naive-transformed"]) > 0.05
        assert changed_fraction(before["view-egnn-transformed"], after["view-egnn-transformed"]) == 0.0
        assert colours_before["view-naive-transformed"] != colours_after["view-naive-transformed"]
        assert colours_before["view-egnn-transformed"] == colours_after["view-egnn-transformed"]
        for name in ("view-input-original", "view-naive-original", "view-egnn-original", "view-input-transformed"):
            assert changed_fraction(before[name], after[name]) == 0.0, name  # aligned: positions do not move
        now = badges(driver)
        assert now["view-naive-transformed"].startswith("changed") and now != first
        assert now["view-egnn-transformed"].startswith("invariant")

        # without the aligned view the g·x column shows the moved input: the input's g·x view turns
        driver.find_element(By.ID, "aligned").click()
        moved = view_pixels(driver)
        assert changed_fraction(after["view-input-transformed"], moved["view-input-transformed"]) > 0.05
        assert "same camera" in driver.find_element(By.CSS_SELECTOR, ".transformed-head").text

        # Δh mode: the EGNN row's g·x atoms sit at the bottom of the shared |Δh| scale
        driver.find_element(By.ID, "difference").click()
        egnn = driver.execute_script("return window.equiview.colours()['view-egnn-transformed']")
        lowest = driver.execute_script(
            "return window.equiview.rows[1].lut !== undefined && document.querySelector('#view-egnn-transformed').parentElement.querySelector('.ticks span:last-child').textContent"
        )
        assert lowest == "0"
        assert len(set(egnn)) == 1  # every atom one colour: the bottom of the scale

        # the mirror: the badges change with it
        driver.find_element(By.ID, "mirror").click()
        assert driver.execute_script("return window.equiview.pose.mirror") is True
        assert severe_console_messages(driver) == []
        assert driver.execute_script("return window.equiview.errors") == []
    finally:
        driver.quit()


@needs_browser
def test_hovering_an_atom_marks_it_in_every_view(lesson_file):
    """The mouse over atom i of one view: every view marks atom i and the readout names it with its values."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver = open_browser()
    try:
        load(driver, lesson_file)
        # where atom 3 is drawn in the EGNN row's x view (3Dmol's own projection, page coordinates) inside the view
        x, y, w, h = driver.execute_script(
            "const v = window.equiview.views.find(v => v.canvas.id === 'view-egnn-original');"
            "const a = v.viewer.getModel().selectedAtoms({index: 3})[0];"
            "const s = v.viewer.modelToScreen({x: a.x, y: a.y, z: a.z});"
            "const r = v.canvas.getBoundingClientRect();"
            "return [s.x - r.left - window.scrollX, s.y - r.top - window.scrollY, r.width, r.height];"
        )
        canvas = driver.find_element(By.ID, "view-egnn-original")
        ActionChains(driver).move_to_element_with_offset(canvas, round(x - w / 2), round(y - h / 2)).perform()
        WebDriverWait = __import__("selenium.webdriver.support.ui", fromlist=["WebDriverWait"]).WebDriverWait
        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return window.equiview.options.highlight") == 3)
        text = driver.find_element(By.CSS_SELECTOR, ".hover").text
        assert text.startswith("atom 3 (") and "|Δh|" in text
        shapes = driver.execute_script(
            "return window.equiview.views.map(v => v.viewer.getModel() && v.viewer.shapes.length)"
        )
        assert all(count == 1 for count in shapes), shapes  # the marker sphere, in all six views
        assert severe_console_messages(driver) == []
    finally:
        driver.quit()


# ------------------------------------------------------------------------------------------------ dipole arrows
ARROW_ROWS = "naive-dipole,dipole"


@pytest.fixture(scope="module")
def dipole_lesson(tmp_path_factory):
    """A lesson with both dipole models' rows (90° grid, g = R(0°, 0°, 90°)), written by the command line."""
    out = tmp_path_factory.mktemp("dipole") / "dipole.html"
    assert main(["html", "--out", str(out), "--rows", ARROW_ROWS, "--step", "90", "--rotate", "0,0,90"]) == 0
    return out


def arrow_layers(driver) -> dict[str, np.ndarray]:
    """The arrow layer of every view with arrows (its own transparent WebGL canvas), as RGBA arrays."""
    from PIL import Image

    uris = driver.execute_script(
        "return window.equiview.views.filter(v => v.arrowViewer).map(v => [v.canvas.id, v.arrowViewer.pngURI()])"
    )
    return {
        name: np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA"), np.int16)
        for name, uri in uris
    }


def arrow_masks(layer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of the model's arrow (red) and of its ghost R·v(x) (the blue sheath) in an arrow layer."""
    r, g, b, a = (layer[..., k] for k in range(4))
    drawn = a > 0
    red = drawn & (r > 90) & (r > g + 50) & (r > b + 50)
    blue = drawn & (b > 90) & (b > r + 40)
    return red, blue


def near(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` grown by ``pixels`` in each direction (a square neighbourhood)."""
    grown = mask.copy()
    for dy in range(-pixels, pixels + 1):
        for dx in range(-pixels, pixels + 1):
            grown |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return grown


def inside_ghost(layer: np.ndarray) -> float:
    """Fraction of the arrow's pixels that lie on or right beside its ghost: 1 when v(g·x) = R·v(x)."""
    red, blue = arrow_masks(layer)
    assert red.sum() > 50 and blue.sum() > 50, (red.sum(), blue.sum())  # both are drawn and visible
    return float(near(blue, 3)[red].mean())


@needs_browser
def test_dipole_arrows_in_chromium_turn_with_the_molecule_and_meet_their_ghost(dipole_lesson):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = open_browser()
    driver.set_script_timeout(300)  # SwiftShader redraws ten WebGL views per move: slow on a loaded CPU, not wrong
    try:
        load(driver, dipole_lesson)
        driver.find_element(By.ID, "aligned").click()  # the g·x column as moved: the arrows turn with it
        assert driver.execute_script("return window.equiview.options.aligned") is False
        before = arrow_layers(driver)
        assert set(before) == {
            f"view-{row}-{column}" for row in ARROW_ROWS.split(",") for column in ("original", "transformed")
        }
        # the equivariant dipole's arrow lies in its ghost; the naive dipole's points elsewhere
        assert inside_ghost(before["view-dipole-transformed"]) > 0.95
        assert inside_ghost(before["view-naive-dipole-transformed"]) < 0.6
        heading = driver.find_element(By.CSS_SELECTOR, "#view-dipole-transformed ~ .view-title").text
        assert "max |v(g·x) − R·v(x)|" in heading and heading.endswith(" D")

        driver.find_element(By.ID, "rotate-x").send_keys(Keys.ARROW_RIGHT)  # rx 0° -> 90°
        assert driver.execute_script("return window.equiview.pose.angles") == [90, 0, 90]
        after = arrow_layers(driver)
        red_before, _ = arrow_masks(before["view-dipole-transformed"])
        red_after, _ = arrow_masks(after["view-dipole-transformed"])
        overlap = (red_before & red_after).sum() / max(red_before.sum(), red_after.sum())
        assert overlap < 0.5  # the arrow turned with the molecule ...
        assert inside_ghost(after["view-dipole-transformed"]) > 0.95  # ... and stays in its ghost
        assert inside_ghost(after["view-naive-dipole-transformed"]) < 0.6
        for name in ("view-dipole-original", "view-naive-dipole-original"):  # v(x) does not move
            assert np.array_equal(before[name], after[name]), name

        # aligned: the camera moved with g, so the equivariant arrow is drawn where v(x) is, in its ghost
        driver.find_element(By.ID, "aligned").click()
        aligned = arrow_layers(driver)
        assert inside_ghost(aligned["view-dipole-transformed"]) > 0.95
        assert inside_ghost(aligned["view-naive-dipole-transformed"]) < 0.6
        assert severe_console_messages(driver) == []
        assert driver.execute_script("return window.equiview.errors") == []
    finally:
        driver.quit()


def test_lesson_arrows_are_the_pipelines(dataset):
    """A dipole row's arrows at a pose are the window's: v(g·x), the ghost R·v(x), the error and its note."""
    from equiview.viewer.model.lesson import arrow_angstrom, lesson_rows
    from equiview.viewer.model.library import ModelLibrary
    from equiview.viewer.model.snapshot import Snapshot

    library = ModelLibrary()
    pipeline = Pipeline(dataset, library)
    snapshot = lesson_rows(Snapshot(molecule=800, rows=()), library, ["naive-dipole", "dipole"])
    grid = PoseGrid(90.0)
    data = lesson_data(pipeline, snapshot, grid)
    ix, iy, iz, mirror = 3, 1, 2, True  # rx = 90, ry = -90, rz = 0, mirrored
    index = ((1 * grid.count + iz) * grid.count + iy) * grid.count + ix
    frame = pipeline.frame(snapshot.replace(transform=TransformParams(90.0, -90.0, 0.0, reflect=mirror)), models=True)
    for row in data["rows"]:
        v, vectors = frame.rows[row["name"]].vectors, row["vectors"]
        dipole, expected = (
            np.frombuffer(base64.b64decode(vectors[key]), "<f4").reshape(-1, 3)[index]
            for key in ("dipole", "dipole_expected")
        )
        np.testing.assert_allclose(dipole, v.dipole_transformed, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(expected, v.dipole_expected, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(vectors["dipole_original"], v.dipole_original)
        assert np.frombuffer(base64.b64decode(vectors["error"]), "<f8")[index] == v.max_error
        assert frame.titles[(row["name"], "transformed")] == row["titles"]["embedding"] + vectors["notes"][index]
        # long enough to see: the dipole of x reaches out of the molecule (radius: centroid to the farthest surface)
        assert vectors["angstrom"] == arrow_angstrom(v, frame.molecule, 1.0)
        assert vectors["angstrom"] * v.norm_original >= frame.molecule.radius
    naive, equivariant = (np.frombuffer(base64.b64decode(r["vectors"]["error"]), "<f8") for r in data["rows"])
    assert naive.max() > 0.1 and equivariant.max() < 1e-4


def test_a_lesson_that_needs_more_3d_views_than_a_browser_keeps_is_refused(tmp_path, capsys):
    """Four model rows that all draw arrows need 2·5 + 2·4 = 18 WebGL views; Chromium keeps 16 and blanks the
    oldest, so the command says so (one line, exit 2) before computing the grid and writes nothing."""
    from test_viewer_user_vectors import VECTOR_MODELS

    models = tmp_path / "vectors.py"
    models.write_text(textwrap.dedent(VECTOR_MODELS))
    out = tmp_path / "x.html"
    argv = ["html", "--out", str(out), "--rows", "naive-dipole,dipole"]
    argv += ["--model", f"turns={models}:equivariant", "--model", f"raw={models}:raw"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "18 3D views" in err[0] and "at most 16" in err[0]
    assert not out.exists()
