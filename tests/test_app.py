"""The Gradio demo (app.py) end to end: a live server on loopback, called with gradio_client.

A tiny untrained model keeps it fast; nothing here needs the network or a GPU.
"""

import io
import socket
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("gradio_client", reason="the demo extra is not installed: pip install .[demo]")
REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

import app  # noqa: E402
from hfcolor.errors import ColorizeError  # noqa: E402
from hfcolor.hints import Hint  # noqa: E402

# Gradio's own queue code trips pandas deprecation warnings; they are not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword")
PIXEL_LIMIT = 200_000  # small, so an over-the-limit photo is cheap to make


# --------------------------------------------------------------------------- fixtures
# tiny_model_dir (an untrained unet-tiny saved with save_pretrained) comes from conftest.py.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def client(tiny_model_dir):
    demo = app.build_demo(tiny_model_dir, max_pixels=PIXEL_LIMIT)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                quiet=True, **app.LAUNCH_OPTIONS)
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        demo.close()


@pytest.fixture(scope="module")
def grey_photo(tmp_path_factory) -> Path:
    """A 300x200 grey PNG: wider than the render size, so full resolution is tested."""
    ramp = np.linspace(0, 255, 300)[None, :] * np.linspace(0.3, 1.0, 200)[:, None]
    path = tmp_path_factory.mktemp("photos") / "grey.png"
    Image.fromarray(ramp.astype(np.uint8)).save(path)
    return path


def colorize(client: Client, photo: Path, **settings):
    settings = {"render_size": 128, "hints": "", **settings}
    return client.predict(image=handle_file(str(photo)), api_name="/colorize", **settings)


def colour_spread(path) -> int:
    """The largest difference between a pixel's channels: 0 for a grey image."""
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return int((rgb.max(axis=2) - rgb.min(axis=2)).max())


# --------------------------------------------------------------------------- the API


def test_colorize_returns_full_resolution_png(client, grey_photo):
    (before, after), gallery, files = colorize(client, grey_photo)
    assert len(files) == 1 and files[0].endswith("grey-colorized.png")
    with Image.open(files[0]) as result:
        assert result.format == "PNG" and result.mode == "RGB"
        assert result.size == (300, 200)
    assert colour_spread(files[0]) > 0
    assert Path(before).suffix == Path(after).suffix == ".png"
    assert colour_spread(before) == 0
    assert [item["caption"] for item in gallery] == ["Sample 1"]


def test_samples_come_back_as_gallery_and_files(client, grey_photo):
    _, gallery, files = colorize(client, grey_photo, num_samples=3, seed=7, decode="sample")
    assert len(gallery) == len(files) == 3
    assert [Path(f).name for f in files] == [f"grey-colorized-{i}.png" for i in (1, 2, 3)]
    pixels = [np.asarray(Image.open(f)) for f in files]
    assert not np.array_equal(pixels[0], pixels[1])


def test_the_download_keeps_the_scan_dpi_and_caption(client, tmp_path):
    exif = Image.Exif()
    exif[0x010E], exif[0x8298] = "Three sisters, 1860", "(c) the family"
    scan = tmp_path / "scan.jpg"
    Image.new("L", (120, 80), 128).save(scan, dpi=(600, 600), exif=exif)
    _, _, files = colorize(client, scan)
    with Image.open(files[0]) as result:
        assert np.allclose(result.info["dpi"], (600, 600), atol=0.01)
        assert result.getexif()[0x010E] == "Three sisters, 1860"
        assert result.getexif()[0x8298] == "(c) the family"


def test_a_sixteen_bit_scan_downloads_as_sixteen_bit_png(client, tmp_path):
    scan = tmp_path / "scan16.png"
    Image.fromarray((np.arange(120 * 80).reshape(80, 120) * 7).astype(np.uint16)).save(scan)
    (before, after), _, files = colorize(client, scan)
    header = Path(files[0]).read_bytes()[:26]
    assert header[24] == 16  # IHDR bit depth: the download keeps the 16 bits
    with Image.open(after) as preview:
        assert preview.mode == "RGB" and preview.size == (120, 80)


def test_saturation_zero_gives_the_grey_photo(client, grey_photo):
    assert colour_spread(colorize(client, grey_photo, saturation=0.0)[2][0]) == 0


def test_seed_makes_results_repeatable(client, grey_photo):
    first = colorize(client, grey_photo, seed=11)[2][0]
    second = colorize(client, grey_photo, seed=11)[2][0]
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(second)))


def test_a_hint_changes_the_result(client, grey_photo):
    plain = colorize(client, grey_photo)[2][0]
    hinted = colorize(client, grey_photo, hints="150, 100, #ff0000\n20, 20, rgba(0, 0, 255, 1)")
    assert not np.array_equal(np.asarray(Image.open(plain)), np.asarray(Image.open(hinted[2][0])))
    before = np.asarray(Image.open(hinted[0][0]).convert("RGB"))
    assert tuple(before[100, 150]) == (255, 0, 0) and tuple(before[20, 20]) == (0, 0, 255)
    assert tuple(before[180, 280]) == (before[180, 280, 0],) * 3  # grey away from the dots


# --------------------------------------------------------------------------- errors


def write_text_as_png(folder: Path) -> Path:
    path = folder / "notes.png"
    path.write_text("this is not a picture")
    return path


def write_truncated_jpeg(folder: Path) -> Path:
    buffer = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 256, (120, 160), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, format="JPEG", quality=90)
    path = folder / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


def write_too_big(folder: Path) -> Path:
    path = folder / "huge.png"
    Image.new("L", (600, 400), 128).save(path)  # 240 000 pixels > PIXEL_LIMIT
    return path


def write_bomb_header(folder: Path) -> Path:
    """A 100 000 x 100 000 PNG header and nothing else: Pillow refuses to open it by itself."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I",
                                                                        zlib.crc32(kind + data))

    path = folder / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(
        ">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)) + chunk(b"IDAT", b"") + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (write_text_as_png, r"notes\.png is not an image Pillow can read"),
        (write_truncated_jpeg, r"cut\.jpg could not be read completely"),
        (write_too_big, r"huge\.png is 600x400 \(0\.2 MP\), above this demo's 0\.2 MP limit"),
        (write_bomb_header, r"bomb\.png is 100000x100000 \(10000\.0 MP\), above this demo's"),
    ],
    ids=["text-file", "truncated-jpeg", "over-pixel-limit", "decompression-bomb"],
)
def test_bad_files_get_clear_errors_and_server_keeps_serving(
    client, grey_photo, tmp_path, make_file, message
):
    with pytest.raises(AppError, match=message) as caught:
        colorize(client, make_file(tmp_path))
    assert "/tmp/gradio" not in str(caught.value)  # no server paths in messages
    assert len(colorize(client, grey_photo)[2]) == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"hints": "here, #ff0000"}, r"Hint line 1 \('here, #ff0000'\) is not 'x, y, #rrggbb'"),
        ({"hints": "900, 10, #ff0000"}, r"Hint at \(900\.0, 10\.0\) lies outside the 300x200"),
        ({"model": "/etc"}, r"Unknown model '/etc'"),
        ({"render_size": 4096}, r"Render size must be from 128 to 768, not 4096"),
        ({"temperature": "hot"}, r"Temperature must be a number from 0.05 to 1, not 'hot'"),
        ({"temperature": 0}, r"Temperature must be from 0.05 to 1, not 0"),
        ({"decode": "magic"}, r"Decode 'magic' is not one of auto, regression"),
        ({"saturation": 5}, r"Saturation must be from 0 to 2, not 5"),
    ],
    ids=["bad-hint", "hint-outside", "unlisted-model", "render-size", "temperature",
         "temperature-range", "decode", "saturation"],
)
def test_bad_settings_get_clear_errors(client, grey_photo, settings, message):
    with pytest.raises(AppError, match=message):
        colorize(client, grey_photo, **settings)


def test_a_server_file_that_was_not_uploaded_is_refused(client, grey_photo):
    """A FileData without meta skips Gradio's upload check: any server path would be read."""
    with pytest.raises(AppError, match="Cannot colorize: The photo was not uploaded to this demo"):
        client.predict({"path": str(grey_photo), "orig_name": "grey.png"}, api_name="/colorize")
    assert len(colorize(client, grey_photo)[2]) == 1


@pytest.mark.parametrize("image", [123, "grey.png", {"path": 123}, [1]],
                         ids=["number", "bare-path", "bad-field", "list"])
def test_a_photo_that_is_not_an_upload_gets_the_demo_s_own_message(client, grey_photo, image):
    """Gradio validates it before the handler runs; its own failure said only "upstream error"."""
    with pytest.raises(AppError, match="^Cannot colorize: The photo was not uploaded to this demo"):
        client.predict(image, api_name="/colorize")
    assert len(colorize(client, grey_photo)[2]) == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"seed": 10**400}, r"Seed must be from 0 to 2\^63 - 1, not a 401-digit number"),
        ({"render_size": -(10**400)}, r"Render size must be from 128 to 768, not a 401-digit"),
        ({"temperature": 10**400}, r"Temperature must be from 0.05 to 1, not a 401-digit"),
        ({"temperature": True}, r"Temperature must be a number from 0.05 to 1, not True"),
        ({"saturation": False}, r"Saturation must be a number from 0 to 2, not False"),
        ({"decode": None}, r"Decode None is not one of auto, regression"),
    ],
    ids=["huge-seed", "huge-render-size", "huge-temperature", "bool-temperature",
         "bool-saturation", "no-decode"],
)
def test_odd_api_values_get_clear_errors(client, grey_photo, settings, message):
    with pytest.raises(AppError, match=message):
        colorize(client, grey_photo, **settings)
    assert len(colorize(client, grey_photo)[2]) == 1


@pytest.mark.parametrize("name", ["model", "decode", "render_size", "seed", "hints"])
def test_a_huge_value_is_shortened_in_its_message(client, grey_photo, name):
    with pytest.raises(AppError) as caught:
        colorize(client, grey_photo, **{name: "x" * 100_000})
    assert len(str(caught.value)) < 400 and "100000 characters" in str(caught.value)


def test_missing_photo_is_explained(client):
    with pytest.raises(AppError, match="^Cannot colorize: Upload a black-and-white photo first"):
        client.predict(None, api_name="/colorize")


# --------------------------------------------------------------------------- helpers, no server


@pytest.mark.parametrize(
    ("value", "expected"),
    [("#FF8000", "#ff8000"), ("#f80", "#ff8800"), ("#ff800080", "#ff8000"),
     ("rgb(255, 128, 0)", "#ff8000"), ("rgba(255, 127.6, 0, 0.5)", "#ff8000"),
     ("hsl(30, 100%, 50%)", "#ff8000"), ("hsla(120, 100%, 25%, 0.3)", "#008000")],
)
def test_colour_picker_values_are_normalized(value, expected):
    assert app.normalize_color(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    (2.5, "Seed must be a whole number from 0 to 2\\^63 - 1, not 2.5"),
    (float("inf"), "Seed must be a whole number"),
    (True, "Seed must be a whole number"),
    (1e300, "Seed must be from 0 to 2\\^63 - 1, not 1e\\+300"),
    ("ten", "Seed must be a whole number"),
])
def test_api_values_for_whole_numbers_are_refused_with_one_message(value, message):
    with pytest.raises(ColorizeError, match=message):
        app.as_int(value, "Seed", 0, 2**63 - 1)


def test_whole_numbers_arrive_as_ints_of_any_size():
    assert app.as_int(2**62 + 1, "Seed", 0, 2**63 - 1) == 2**62 + 1  # not through float
    assert app.as_int(3.0, "Samples", 1, 8) == 3 and app.as_int("4", "Samples", 1, 8) == 4


def test_api_values_of_the_wrong_type_are_refused():
    with pytest.raises(ColorizeError, match="Hints must be text"):
        app.parse_hints(["1, 1, #ff0000"])
    with pytest.raises(ColorizeError, match="Unknown model"):
        app.load_model(["hfcolor-unet-lite0"], [])


@pytest.mark.parametrize(("count", "visible"), [(1, False), (3, True), (0, False), (100, True),
                                                ("x", False), (None, False)])
def test_the_gallery_shows_for_several_samples_whatever_is_typed(count, visible):
    assert app.show_gallery(count).visible is visible


def test_a_tiff_is_shown_as_a_png_of_the_same_pixels(tmp_path, monkeypatch):
    from hfcolor.io import load_image

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # where Gradio keeps uploads
    deep = np.arange(0, 65536, 16, dtype=np.uint16).reshape(64, 64)
    Image.fromarray(deep).save(tmp_path / "scan.tif", dpi=(600, 600))
    Image.fromarray(np.full((8, 12, 3), 90, np.uint8)).save(tmp_path / "print.tif")
    displayable = app.make_displayable(None)
    for name in ("scan.tif", "print.tif"):
        shown = displayable({"path": str(tmp_path / name), "orig_name": name})
        assert shown.endswith(name.replace(".tif", ".png"))
        before, after = load_image(tmp_path / name), load_image(shown)
        assert np.array_equal(before.rgb, after.rgb)
        assert (before.deep is None) == (after.deep is None)  # 16 bits stay 16 bits
        if before.deep is not None:
            assert np.array_equal(before.deep, after.deep) and after.dpi == pytest.approx(
                (600, 600), abs=0.01)
    Image.fromarray(deep).save(tmp_path / "scan.png")
    kept = displayable({"path": str(tmp_path / "scan.png"), "orig_name": "scan.png"})
    assert not isinstance(kept, str) and kept == app.gr.skip()  # browsers show PNGs
    monkeypatch.delenv("GRADIO_TEMP_DIR")
    assert displayable({"path": str(tmp_path / "scan.tif")}) == app.gr.skip()  # not an upload


def test_every_error_toast_says_what_failed():
    """Gradio heads every error toast "Error", whatever its title: the message must say it."""
    click = app.gr.SelectData(None, {"index": [3, 4], "value": None})
    with pytest.raises(app.gr.Error) as bad_colour:
        app.add_hint("", "chartreuse", click)
    assert bad_colour.value.message.startswith("Cannot add the hint: Colour 'chartreuse'")
    with pytest.raises(app.gr.Error) as unknown_model:
        app.model_update("x", "auto", [])
    assert unknown_model.value.message.startswith("Cannot load the model: Unknown model 'x'")


def test_a_model_offers_only_the_decodes_it_can_honour(tiny_model_dir, tiny_classifier_dir):
    allowed = [app.ModelChoice("tiny", str(tiny_model_dir)),
               app.ModelChoice("classifier", str(tiny_classifier_dir))]
    assert app.decode_choices(str(tiny_model_dir), allowed) == list(app.DECODERS)
    _, decode, _ = app.model_update(str(tiny_classifier_dir), "regression", allowed)
    assert decode.choices == [(d, d) for d in app.DECODERS if d != "regression"]
    assert decode.value == "auto"  # regression was chosen: the classifier cannot honour it
    assert app.model_update(str(tiny_classifier_dir), "mode", allowed)[1].value == "mode"


def test_unreadable_colour_is_refused():
    with pytest.raises(ColorizeError, match="not understood"):
        app.normalize_color("chartreuse")


def test_hint_lines_parse_and_skip_blanks():
    hints = app.parse_hints("10, 20, #ff0000\n\n  3.5 , 4 , rgb(0, 255, 0)  \n")
    assert [(h.x, h.y, h.color) for h in hints] == [(10, 20, "#ff0000"), (3.5, 4, "#00ff00")]
    for bad in ["1e2, 3, #ff0000", "-5, 3, #ff0000", "inf, 3, #ff0000", "1_0, 3, #ff0000"]:
        with pytest.raises(ColorizeError, match="Hint line 1"):
            app.parse_hints(bad)


def test_missing_default_model_is_explained(monkeypatch, tmp_path):
    monkeypatch.setattr(app.hub, "BUNDLED_MODELS", tmp_path)
    with pytest.raises(SystemExit, match="default model is missing: .*hfcolor-unet-lite0"):
        app.main([])


def test_uploads_over_the_size_limit_are_refused(client, tmp_path):
    path = tmp_path / "huge.jpg"
    path.write_bytes(b"\xff\xd8" + bytes(26 * 1024 * 1024))  # 26 MB > the 25 MB limit
    with pytest.raises(ValueError, match="exceeds the maximum file size"):  # checked client-side
        colorize(client, path)


def test_an_automatic_run_is_skipped_when_the_screen_shows_its_result():
    shown, calls = app.ShownResults(), []

    def endpoint(image, *settings, request, progress):
        calls.append(settings)
        shown.record(request, (image["path"], *settings))
        return "comparison", "gallery", "files"

    recolorize = app.make_auto_handler(endpoint, shown)
    alice, bob = (type("Request", (), {"session_hash": name})() for name in ("a", "b"))
    settings = ("hfcolor-unet-lite0", 192, 0.38, "auto", 1, 0, "", 1.0)
    for request in (alice, alice, bob):  # one pick firing twice, then another session
        recolorize({"path": "/tmp/p.png"}, *settings, request=request)
    assert len(calls) == 2
    recolorize({"path": "/tmp/p.png"}, *settings[:3], "mode", *settings[4:], request=alice)
    assert len(calls) == 3
    shown.record(alice, None)  # a failed run: the same inputs are tried again
    recolorize({"path": "/tmp/p.png"}, *settings, request=alice)
    assert len(calls) == 4
    skipped = recolorize(None, *settings, request=alice)
    assert len(calls) == 4 and len(skipped) == 3


def test_clearing_the_photo_clears_its_result_and_hints():
    shown = app.ShownResults()
    alice = type("Request", (), {"session_hash": "a"})()
    shown.record(alice, ("/p.png", "settings"))
    assert app.make_clear_handler(shown)(alice) == ("", None, [], None)
    assert not shown.shows(alice, ("/p.png", "settings"))  # the same photo again is redone


def test_a_tiny_photo_is_enlarged_on_the_page_with_its_hint_dot_on_its_pixel(tmp_path):
    path = app.save_preview(np.zeros((2, 2, 3), np.uint8), tmp_path / "p.png",
                            [Hint(1, 0, "#3b82f6")])
    preview = np.asarray(Image.open(path))
    assert preview.shape == (64, 64, 3)
    assert (preview[32:, :32] == 0).all()  # pixel (0, 1) is not painted over
    assert tuple(preview[16, 48]) == (59, 130, 246)  # the dot sits on pixel (1, 0)


def test_the_largest_seed_is_taken_exactly():
    assert app.as_int(2**63 - 1, "Seed", 0, 2**63 - 1) == 2**63 - 1
    assert app.as_int("12.0", "Seed", 0, 2**63 - 1) == 12


def test_an_out_of_range_value_typed_in_a_slider_box_runs_as_the_slider_shows_it():
    shown, calls = app.ShownResults(), []

    def endpoint(image, *settings, request, progress):
        calls.append(settings)
        shown.record(request, (image["path"], *settings))

    recolorize = app.make_auto_handler(endpoint, shown)
    alice = type("Request", (), {"session_hash": "a"})()
    recolorize({"path": "/p.png"}, "m", 5000, 0, "auto", 9, 0, "", -1, request=alice)
    assert calls == [("m", 768, 0.05, "auto", 8, 0, "", 0)]
    recolorize({"path": "/p.png"}, "m", 768, 0.05, "auto", 8, 0, "", 0, request=alice)
    assert len(calls) == 1  # the slider's clamped value arrives next: already on screen
