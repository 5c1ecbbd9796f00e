"""The demo in headless Chromium: upload, colorize, hints by clicking, error toasts.

Needs Debian's chromium (`apt-get install chromium`) and the playwright package; never runs
`playwright install`. Set HFCOLOR_SCREENSHOT=path.png to keep a full-page screenshot.
"""

import io
import os
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
TIMEOUT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    # Gradio's own queue code trips pandas deprecation warnings; they are not ours to fix.
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at "
                       "/usr/bin/chromium (apt-get install chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api")

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import app  # noqa: E402


@pytest.fixture(scope="module")
def demo_url(tiny_model_dir):
    """The demo on an untrained unet-tiny (tiny_model_dir comes from conftest.py)."""
    demo = app.build_demo(tiny_model_dir)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                quiet=True, **app.LAUNCH_OPTIONS)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, demo_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(demo_url, wait_until="load")  # not networkidle: the session heartbeat stays open
    page.locator("#colorize").wait_for()
    yield page
    page.close()


def ramp(width: int, height: int) -> Image.Image:
    return Image.fromarray((np.linspace(40, 220, width)[None, :] * np.ones((height, 1)))
                           .astype(np.uint8))


@pytest.fixture(scope="module")
def grey_photo(tmp_path_factory) -> Path:
    """240x160: smaller than the input box, so Gradio shows it at its own size."""
    path = tmp_path_factory.mktemp("photos") / "ramp.png"
    ramp(240, 160).save(path)
    return path


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory) -> Path:
    """1500x1000: shown scaled down, so clicks must be mapped back to photo pixels."""
    path = tmp_path_factory.mktemp("photos") / "big.png"
    ramp(1500, 1000).save(path)
    return path


@pytest.fixture(scope="module")
def tiff_photo(tmp_path_factory) -> Path:
    """A TIFF scan: browsers cannot show one, so the demo puts a PNG of it in its place."""
    path = tmp_path_factory.mktemp("photos") / "scan.tif"
    ramp(300, 200).save(path, dpi=(600, 600))
    return path


def upload(page, path: Path) -> None:
    page.locator("#photo input[type=file]").set_input_files(str(path))


def point_on_picture(img, fx: float, fy: float) -> dict:
    """Where fraction (fx, fy) of the picture lies in the <img> box, which is larger than the
    picture: Gradio shows it with object-fit: scale-down, centred and never enlarged."""
    box = img.bounding_box()
    width, height = img.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    scale = min(box["width"] / width, box["height"] / height, 1)
    left, top = (box["width"] - width * scale) / 2, (box["height"] - height * scale) / 2
    return {"x": left + fx * width * scale, "y": top + fy * height * scale}


def result_sources(page) -> list[str]:
    images = page.locator("#comparison img")
    return [images.nth(i).get_attribute("src") or "" for i in range(images.count())]


def wait_for_result(page) -> None:
    page.locator("#download a[download$='-colorized.png']").first.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#comparison img')].filter(i => i.src).length >= 2"
    )


def test_upload_colorize_and_download(page, grey_photo):
    upload(page, grey_photo)
    page.locator("#photo img").first.wait_for()
    page.locator("#colorize").click()
    wait_for_result(page)
    assert all(src for src in result_sources(page)[:2])
    link = page.locator("#download a[download$='-colorized.png']").first
    assert link.get_attribute("download") == "ramp-colorized.png"
    png = Image.open(io.BytesIO(page.request.get(link.get_attribute("href")).body()))
    assert png.format == "PNG" and png.size == (240, 160)
    rgb = np.asarray(png.convert("RGB")).astype(int)
    assert (rgb.max(axis=2) - rgb.min(axis=2)).max() > 0  # coloured, not grey
    if os.environ.get("HFCOLOR_SCREENSHOT"):
        page.screenshot(path=os.environ["HFCOLOR_SCREENSHOT"], full_page=True)


def test_removing_the_photo_removes_its_result(page, grey_photo):
    upload(page, grey_photo)
    wait_for_result(page)
    page.locator("#photo button[aria-label='Remove Image']").first.click()
    page.wait_for_function(
        "() => !document.querySelector(\"#download a[download$='-colorized.png']\")")
    assert not any(result_sources(page))


@pytest.mark.parametrize("photo_name", ["grey_photo", "big_photo", "tiff_photo"])
def test_clicking_the_photo_adds_a_hint_and_recolorizes(page, request, photo_name):
    path = request.getfixturevalue(photo_name)
    width, height = Image.open(path).size
    upload(page, path)
    wait_for_result(page)  # the upload alone colorizes
    before = download_href(page)
    assert before.endswith(f"{path.stem}-colorized.png")
    photo = page.locator("#photo img").first
    page.wait_for_function("() => document.querySelector('#photo img').naturalWidth > 0")
    photo.click(position=point_on_picture(photo, 0.75, 0.25))
    page.wait_for_function(
        "() => document.querySelector('#hint-list textarea').value.includes('#')"
    )
    x, y, colour = (part.strip() for part in hint_text(page).split(","))
    tolerance = max(width / photo.bounding_box()["width"], 1) + 2  # one screen pixel
    assert abs(int(x) - 0.75 * width) <= tolerance and abs(int(y) - 0.25 * height) <= tolerance
    assert colour == "#3b82f6"
    page.wait_for_function(f"() => !document.querySelector('#download a[href=\"{before}\"]')")
    page.locator("#clear-hints").click()
    page.wait_for_function("() => document.querySelector('#hint-list textarea').value === ''")


def hint_text(page) -> str:
    return page.locator("#hint-list textarea").input_value()


def download_href(page) -> str:
    return page.locator("#download a[download$='-colorized.png']").first.get_attribute("href")


def test_a_bad_file_shows_an_error_toast(page, tmp_path, grey_photo):
    bad = tmp_path / "letter.png"
    bad.write_text("Dear colleague, this is not a photo.")
    upload(page, bad)
    toast = page.get_by_test_id("toast-body").filter(
        has_text="Cannot colorize: letter.png is not an image")
    toast.first.wait_for()
    assert toast.first.is_visible()
    upload(page, grey_photo)  # the server keeps serving
    wait_for_result(page)


def test_a_value_typed_in_a_slider_box_recolorizes_once(page, grey_photo, monkeypatch):
    sizes, colorize_photo = [], app.colorize_photo

    def counted(*args, **kwargs):
        sizes.append(args[2])  # the render size
        return colorize_photo(*args, **kwargs)

    monkeypatch.setattr(app, "colorize_photo", counted)
    upload(page, grey_photo)
    wait_for_result(page)
    before = download_href(page)
    box = page.get_by_label("number input for Render size")
    box.fill("5000")  # out of range: the slider shows 768, and the result is for 768
    box.press("Enter")
    page.wait_for_function(f"() => !document.querySelector('#download a[href=\"{before}\"]')")
    wait_for_result(page)
    box.click()  # focusing and leaving the box again changes nothing: no run
    page.locator("#hint-list textarea").click()
    page.wait_for_timeout(1500)
    assert [float(size) for size in sizes] == [192, 768] and box.input_value() == "768"
    assert not page.get_by_test_id("toast-body").count()


def test_the_samples_gallery_fits_its_thumbnails_and_a_click_compares_one(page, grey_photo):
    upload(page, grey_photo)
    wait_for_result(page)
    box = page.get_by_label("number input for Samples")
    box.fill("3")
    box.press("Enter")
    page.locator("#download a[download$='-colorized-3.png']").wait_for()
    page.locator("#samples .thumbnail-item").nth(2).wait_for()
    gallery = page.locator("#samples").bounding_box()
    thumbnails = page.locator("#samples .grid-container").bounding_box()
    assert gallery["height"] < thumbnails["height"] + 30  # no empty box under them
    page.locator("#samples .thumbnail-item").nth(2).click()
    page.wait_for_function("() => [...document.querySelectorAll('#comparison img')]"
                           ".some(i => i.src.includes('preview-3'))")
    assert page.locator("#samples .thumbnail-item").count() == 3  # no preview of its own


@pytest.mark.parametrize("width", [390, 1280])
def test_the_result_sits_under_the_photo_on_a_phone_beside_it_on_a_desktop(browser, demo_url,
                                                                         width):
    page = browser.new_page(viewport={"width": width, "height": 844})
    try:
        page.goto(demo_url, wait_until="load")
        page.locator("#colorize").wait_for()
        top = {name: page.locator(f"#{name}").first.bounding_box()["y"]
               for name in ("photo", "colorize", "comparison", "download", "hint-list", "model")}
        heights = [page.locator(f"#{name}").bounding_box()["height"]
                   for name in ("photo", "comparison")]
    finally:
        page.close()
    if width < 768:  # one column: photo, button, result, downloads, then hints and settings
        order = sorted(top, key=top.get)
        assert order == ["photo", "colorize", "comparison", "download", "hint-list", "model"]
        assert heights[0] == heights[1] < 0.75 * width + 61  # not 500 px of mostly blank
    else:
        assert top["comparison"] == pytest.approx(top["photo"], abs=2)
        assert heights == [app.PANEL_HEIGHT] * 2
