"""hfcolor demo: bring colour back to black-and-white photos (a Gradio app / Hugging Face Space).

Run `python app.py [--model FOLDER]` and open http://127.0.0.1:7860 (GRADIO_SERVER_NAME and
GRADIO_SERVER_PORT change where it listens). It runs offline, on the GPU when there is one.

On the page, a new photo, a colour hint (pick a colour, click the photo) or a changed setting
colorizes the photo again by itself; the result is a before/after slider and a full-resolution
PNG to download.

API: the "Colorize" button is the endpoint `/colorize`.

    from gradio_client import Client, handle_file

    client = Client("http://127.0.0.1:7860/")
    comparison, samples, files = client.predict(
        handle_file("grey.jpg"),  # image: JPEG, PNG, WebP, TIFF or BMP (25 MB, 60 MP at most)
        "hfcolor-unet-lite0",     # model: a bundled model name, as in the Model dropdown
        192,                      # render_size: 128-768, the long side the network sees
        0.38,                     # temperature: 0.05-1, classifier decodes (low: likeliest colours)
        "auto",                   # decode: auto, regression, annealed_mean, mode, top_k, sample
        1,                        # num_samples: 1-8 different colourings
        0,                        # seed: 0 = the model's most typical colours; others vary them
        "",                       # hints: "x, y, #rrggbb" per line, in the photo's own pixels
        1.0,                      # saturation: 0-2, scales the colours (0 grey, 1 the model's)
        api_name="/colorize",
    )

Every parameter after the image has the default shown and can be passed by name instead
(`client.predict(image=handle_file("grey.jpg"), seed=7, api_name="/colorize")`).
Returns `comparison`: (grey, colour) PNG paths, previews at most 2048 px on the long side;
`samples`: the gallery, a list of {"image": PNG path, "caption": "Sample i"}; `files`: a list of
full-resolution PNG paths, one per sample. A bad photo or setting raises an error whose
message says what to change.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import math
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from gradio.data_classes import ImageData
from gradio.utils import get_upload_folder, is_in_or_equal
from PIL import Image, ImageDraw
from pydantic import ConfigDict, ValidationError

from hfcolor import hub
from hfcolor.errors import ColorizeError
from hfcolor.hints import Hint, parse_color, parse_position
from hfcolor.io import (
    MAX_PIXELS,
    LoadedImage,
    header_size,
    load_image,
    output_exif,
    save_image,
    to_uint8,
)
from hfcolor.loading import cached_model
from hfcolor.pipeline import DECODERS, Settings, colorize, decode_method, recombine

EXAMPLES = Path(__file__).resolve().parent / "examples"
OUTPUTS = Path(tempfile.gettempdir()) / "hfcolor-demo"
KEEP_OUTPUTS_S = 3600  # a download link stays valid this long
# Gradio's ImageSlider draws its images at most 500 px tall; a shorter box crops and shifts
# the two layers apart, so both photo panels are this tall.
PANEL_HEIGHT = 500
PREVIEW_SIDE = 2048  # the before/after view and gallery; downloads are full resolution
PREVIEW_MIN_SIDE = 64  # tinier photos are enlarged (nearest neighbour), so hint dots fit
MAX_UPLOAD = "25mb"
RENDER_SIZES = (128, 768)
TEMPERATURES = (0.05, 1.0)
SATURATIONS = (0.0, 2.0)
MAX_SAMPLES = 8
RECENT_SESSIONS = 256  # sessions whose last automatic run is remembered
PROGRESS = gr.Progress()  # Gradio gives each call its own tracker in place of this default
NO_PHOTO = "Upload a black-and-white photo first, or pick one of the examples."
NOT_UPLOADED = ("The photo was not uploaded to this demo: upload it on the page, or pass "
                "handle_file(path) through the API.")
SHOWN_CHARACTERS = 60  # an error message quotes at most this much of a value

DESCRIPTION = """
<div class="hf-header">
<h1>hfcolor</h1>
<p>Bring colour back to black-and-white photographs. Drop in a photo, and a small neural network
guesses its colours at the photo's full resolution.</p>
</div>
"""

HINTS_HELP = (
    "**Colour hints** — pick a colour, then click the photo where that colour belongs. "
    "The result updates after each click, with each hint a dot on its *before* side; after "
    "typing hints, press Colorize. A colour that spills past its region stops at a hint of "
    "the colour that belongs there (grey keeps a spot uncoloured)."
)


@dataclass(frozen=True)
class ModelChoice:
    """A model the demo may load: what the dropdown shows, and what it loads."""

    label: str
    value: str  # a bundled model name, or a folder path given to build_demo


# --------------------------------------------------------------------------- models


def model_choices(model: str | Path | None) -> tuple[list[ModelChoice], str]:
    """The dropdown's choices and the one selected at start-up.

    Raises ColorizeError when no model can be found, with what to do about it.
    """
    choices = [ModelChoice(name, name) for name in hub.bundled_model_names()]
    if model is not None:
        path = Path(model)
        if path.is_dir():
            chosen = ModelChoice(path.name, str(path.resolve()))
            return [chosen, *[c for c in choices if c.label != chosen.label]], chosen.value
        if str(model) in {c.value for c in choices}:
            return choices, str(model)
        raise ColorizeError(f"Model {model} is neither a model folder nor a bundled model "
                            f"({', '.join(c.value for c in choices) or 'none installed'}).")
    if not choices:
        raise ColorizeError(
            f"The default model is missing: {hub.BUNDLED_MODELS / hub.DEFAULT_MODEL} has no "
            f"{hub.WEIGHTS_NAME}, and no other model is bundled. Train or download it into that "
            "folder, or start the demo on another model folder: python app.py --model FOLDER"
        )
    if choices[0].value != hub.DEFAULT_MODEL:
        print(f"hfcolor demo: the default model {hub.DEFAULT_MODEL} is missing; "
              f"using {choices[0].value} instead.", file=sys.stderr)
    return choices, choices[0].value


def device_name() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(value: str, allowed: list[ModelChoice]) -> torch.nn.Module:
    """A listed model, loaded once per process; anything else is refused (API callers too)."""
    if not isinstance(value, str) or value not in {c.value for c in allowed}:
        names = ", ".join(c.label for c in allowed)
        raise ColorizeError(f"Unknown model {shown(value)}; choose one of: {names}.")
    return cached_model(value, device_name())


def describe_model(value: str, allowed: list[ModelChoice]) -> str:
    """One line about a model, shown under the dropdown."""
    net = load_model(value, allowed)
    millions = sum(p.numel() for p in net.parameters()) / 1e6
    kind = getattr(net, "head", None) or "classifier"
    head = "regression + classifier heads" if kind == "both" else f"{kind} head"
    hints = "takes colour hints" if getattr(net, "hints", False) else "no colour hints"
    return f"{type(net).__name__} · {millions:.1f} M parameters · {head} · {hints}"


def toast_error(title: str, message: str, print_exception: bool = False) -> gr.Error:
    """An error the page shows as a toast. Gradio 6.31 heads every error toast "Error" and
    ignores the title, so the message itself starts with what failed (API callers see it too).
    """
    return gr.Error(f"{title}: {message}", title=title, print_exception=print_exception)


def decode_choices(value: str, allowed: list[ModelChoice]) -> list[str]:
    """The decodes a model can honour, as colorize() itself decides (pipeline.decode_method)."""
    net = load_model(value, allowed)
    return [decode for decode in DECODERS if _honours(net, Settings(decode=decode))]


def _honours(net, settings: Settings) -> bool:
    try:
        decode_method(net, settings)
    except ColorizeError:
        return False
    return True


def model_update(value: str, decode: str, allowed: list[ModelChoice]) -> tuple:
    """For the model just chosen (loading it now): the dropdown's description, the decodes it
    offers (auto when the one chosen no longer fits), and a re-run with both in place."""
    try:
        info, decodes = describe_model(value, allowed), decode_choices(value, allowed)
    except ColorizeError as err:
        raise toast_error("Cannot load the model", str(err)) from err
    decode = gr.Dropdown(choices=decodes, value=decode if decode in decodes else "auto")
    return gr.Dropdown(info=info), decode, rerun_token()


# --------------------------------------------------------------------------- inputs


def normalize_color(color) -> str:
    """A colour picker value ('#rrggbb', 'rgb(...)', 'hsl(...)', maybe with alpha) -> '#rrggbb'."""
    red, green, blue = parse_color(color)
    return f"#{red:02x}{green:02x}{blue:02x}"


def parse_hints(text: str | None) -> list[Hint]:
    """Hint lines 'x, y, colour' (photo pixels) -> Hints; blank lines are skipped."""
    if text is not None and not isinstance(text, str):
        raise ColorizeError(f"Hints must be text, one 'x, y, #rrggbb' per line, not {shown(text)}.")
    hints = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",", 2)]
        try:
            x, y = parse_position(parts[0]), parse_position(parts[1])
            color = normalize_color(parts[2])
        except (ValueError, IndexError, ColorizeError) as err:
            raise ColorizeError(f"Hint line {number} ({shown(line.strip())}) is not "
                                "'x, y, #rrggbb'; fix or clear it.") from err
        hints.append(Hint(x, y, color))
    return hints


def shown(value) -> str:
    """A value as an error message quotes it: its repr, cut short when it is long."""
    text = repr(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    size = len(value) if isinstance(value, str) else len(text)
    return f"{text[:SHOWN_CHARACTERS]}... ({size} characters)"


def format_hint(x: int, y: int, color: str) -> str:
    return f"{x}, {y}, {color}"


def as_int(value, name: str, low: int, high: int) -> int:
    """A whole number in low..high from a UI or API value, or a ColorizeError saying so."""
    bounds = f"from {low} to {_readable(high)}"
    number = _whole_number(value)
    if number is None:
        raise ColorizeError(f"{name} must be a whole number {bounds}, not {shown(value)}.")
    if not low <= number <= high:
        raise ColorizeError(f"{name} must be {bounds}, not {_readable(number)}.")
    return number


def _whole_number(value) -> int | None:
    """An int as it is (through float, seeds above 2**53 would lose their last digits), a
    whole float or numeric text as an int; None for anything else (2.5, inf, nan, True)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _readable(number: int) -> str:
    """A bound or value as a person reads it: 2^63 - 1, not 9223372036854775807."""
    if number == 2**63 - 1:
        return "2^63 - 1"
    if abs(number) < 10**15:
        return str(number)
    try:
        return f"{number:.3g}"
    except OverflowError:  # past what a float holds
        return f"a {len(str(abs(number)))}-digit number"


def as_float(value, name: str, low: float, high: float) -> float:
    """A number in low..high from a UI or API value, or a ColorizeError saying so."""
    number = _real_number(value)
    if number is None:
        raise ColorizeError(f"{name} must be a number from {low:g} to {high:g}, not "
                            f"{shown(value)}.")
    if not low <= number <= high:  # False for NaN too
        typed = _readable(value) if isinstance(value, int) else f"{number:g}"
        raise ColorizeError(f"{name} must be from {low:g} to {high:g}, not {typed}.")
    return number


def _real_number(value) -> float | None:
    """A number or numeric text as a float (ints past a float's range as inf); None for
    anything else (True, 'hot')."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        return None


def as_decode(value) -> str:
    if value not in DECODERS:
        raise ColorizeError(f"Decode {shown(value)} is not one of {', '.join(DECODERS)}; "
                            "pick one of those.")
    return value


def upload_path(image) -> tuple[str, str]:
    """(server path, the name the user knows) of the uploaded photo (a Gradio FileData dict)."""
    if not image:
        raise ColorizeError(NO_PHOTO)
    path = image.get("path") if isinstance(image, dict) else str(image)
    if not path:
        raise ColorizeError("The upload did not arrive; upload the photo again.")
    check_uploaded(path)
    name = (image.get("orig_name") if isinstance(image, dict) else None) or Path(path).name
    return path, name


def check_uploaded(path) -> None:
    """Read only files Gradio received: it checks a FileData with meta, but not one without."""
    try:
        inside = is_in_or_equal(path, get_upload_folder())
    except (OSError, TypeError, ValueError):
        inside = False
    if not inside:
        raise ColorizeError(NOT_UPLOADED)


def check_pixel_limit(path: str, name: str, max_pixels: int | None) -> None:
    """Refuse photos over the demo's limit from the header, before decoding a single pixel."""
    size = header_size(path) if max_pixels is not None else None
    if size is None:
        return  # no limit, or load_image explains what is wrong with the file
    width, height = size
    if width * height > max_pixels:
        raise ColorizeError(
            f"{name} is {width}x{height} ({width * height / 1e6:.1f} MP), above this demo's "
            f"{max_pixels / 1e6:g} MP limit; make it smaller and try again."
        )


def read_photo(image, max_pixels: int | None) -> tuple[LoadedImage, str]:
    """Load the uploaded photo; errors name the file as the user knows it, not the server path."""
    path, name = upload_path(image)
    check_pixel_limit(path, name, max_pixels)
    try:
        return load_image(path, max_pixels), name
    except ColorizeError as err:
        raise ColorizeError(str(err).replace(path, name)) from err


# --------------------------------------------------------------------------- outputs


def new_output_folder() -> Path:
    """A fresh folder for one request's files; folders older than KEEP_OUTPUTS_S are removed."""
    OUTPUTS.mkdir(parents=True, exist_ok=True)
    for old in OUTPUTS.iterdir():
        try:
            expired = time.time() - old.stat().st_mtime > KEEP_OUTPUTS_S
        except FileNotFoundError:  # a concurrent request removed it first
            continue
        if expired:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=OUTPUTS))


def file_stem(name: str) -> str:
    stem = re.sub(r"[^\w-]+", "_", Path(name).stem).strip("_")[:60]
    return stem or "photo"


def save_preview(pixels: np.ndarray, path: Path, hints: list[Hint] = ()) -> str:
    """A PNG at most PREVIEW_SIDE pixels on its long side, for the page, with a dot per hint."""
    image = Image.fromarray(to_uint8(pixels))
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.LANCZOS)
    if max(image.size) < PREVIEW_MIN_SIDE:  # blocks, not a blur, and a dot covers one pixel
        factor = -(-PREVIEW_MIN_SIDE // max(image.size))
        image = image.resize((image.width * factor, image.height * factor), Image.NEAREST)
    draw_hint_dots(image, hints, scale=image.width / pixels.shape[1])
    image.save(path, format="PNG", compress_level=3)
    return str(path)


def draw_hint_dots(image: Image.Image, hints: list[Hint], scale: float) -> None:
    """Each hint as a dot of its colour, ringed white and black so it shows on any photo."""
    radius = max(5, round(max(image.size) / 90))
    draw = ImageDraw.Draw(image)
    for hint in hints:
        x, y = (int(hint.x) + 0.5) * scale, (int(hint.y) + 0.5) * scale  # the pixel's centre
        for ring, fill in ((radius + 2, (0, 0, 0)), (radius + 1, (255, 255, 255)),
                           (radius - 1, parse_color(hint.color))):
            draw.ellipse((x - ring, y - ring, x + ring, y + ring), fill=fill)


def save_full(pixels: np.ndarray, path: Path, photo: LoadedImage) -> str:
    """The download: full resolution, with the photo's DPI and EXIF (caption, date, copyright)."""
    rgb, alpha = (pixels[..., :3], pixels[..., 3]) if pixels.shape[2] == 4 else (pixels, None)
    return str(save_image(np.ascontiguousarray(rgb), path, alpha, dpi=photo.dpi,
                          exif=output_exif(photo.exif)))


def grey_version(photo: LoadedImage) -> np.ndarray:
    """The photo as the network sees it: its own lightness, no colour."""
    return recombine(photo, torch.zeros(2, 1, 1))


# --------------------------------------------------------------------------- colorizing


def colorize_photo(image, model, render_size, temperature, decode, num_samples, seed, hints,
                   saturation=1.0, *, allowed: list[ModelChoice], max_pixels: int | None,
                   progress: gr.Progress):
    """Everything the Colorize button does; returns (comparison, gallery, files)."""
    progress(0.05, desc="Reading the photo")
    photo, name = read_photo(image, max_pixels)
    net = load_model(model, allowed)
    samples = as_int(num_samples, "Number of samples", 1, MAX_SAMPLES)
    hint_list = parse_hints(hints)
    progress(0.2, desc="Colorizing")
    results = colorize(
        photo, net,
        render_size=as_int(render_size, "Render size", *RENDER_SIZES),
        temperature=as_float(temperature, "Temperature", *TEMPERATURES), decode=as_decode(decode),
        num_samples=samples, saturation=as_float(saturation, "Saturation", *SATURATIONS),
        seed=as_int(seed, "Seed", 0, 2**63 - 1) or None, hints=hint_list,
        max_pixels=max_pixels,
    )
    results = results if samples > 1 else [results]
    progress(0.8, desc="Saving the PNG")
    return save_results(photo, results, file_stem(name), hint_list)


def save_results(photo: LoadedImage, results: list[np.ndarray], stem: str,
                 hints: list[Hint] = ()):
    folder = new_output_folder()
    grey = save_preview(grey_version(photo), folder / f"{stem}-grey.png", hints)
    previews = [save_preview(rgb, folder / f"{stem}-preview-{i + 1}.png")
                for i, rgb in enumerate(results)]
    suffixes = [""] if len(results) == 1 else [f"-{i + 1}" for i in range(len(results))]
    files = [save_full(rgb, folder / f"{stem}-colorized{suffix}.png", photo)
             for rgb, suffix in zip(results, suffixes, strict=True)]
    gallery = [(path, f"Sample {i + 1}") for i, path in enumerate(previews)]
    return (grey, previews[0]), gallery, files


class ShownResults:
    """The inputs behind the result each session has on screen (the newest sessions only)."""

    def __init__(self):
        self._inputs: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()  # the queue runs two colorizations at once

    def shows(self, request: gr.Request | None, inputs: tuple) -> bool:
        with self._lock:
            return self._inputs.get(_session(request)) == inputs

    def record(self, request: gr.Request | None, inputs: tuple | None) -> None:
        session = _session(request)
        with self._lock:
            self._inputs.pop(session, None)
            if inputs is not None:
                self._inputs[session] = inputs
                while len(self._inputs) > RECENT_SESSIONS:
                    self._inputs.popitem(last=False)


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or ""


def _photo_key(image) -> str | None:
    return image.get("path") if isinstance(image, dict) else image


def make_handler(allowed: list[ModelChoice], max_pixels: int | None, shown: ShownResults):
    """The /colorize function; ColorizeError becomes a gr.Error the page shows as a toast."""

    def colorize_endpoint(image, model, render_size, temperature, decode, num_samples, seed,
                          hints, saturation=1.0, request: gr.Request = None, progress=PROGRESS):
        """Colorize a black-and-white photo at its full resolution.

        Parameters:
            image: the photo: JPEG, PNG, WebP, TIFF or BMP.
            model: a bundled model name, as listed in the Model dropdown.
            render_size: 128-768, the long side the network sees.
            temperature: 0.05-1, for classifier decodes; low reads the most likely colours.
            decode: auto, regression, annealed_mean, mode, top_k or sample.
            num_samples: 1-8 different colourings.
            seed: 0 for the model's most typical colours; other seeds vary them.
            hints: colour hints, one "x, y, #rrggbb" per line, in the photo's own pixels.
            saturation: 0-2, scales the colours: 0 grey, 1 the model's own, 2 twice as bold.
        Returns:
            (grey, colour) PNG previews; the gallery of samples; full-resolution PNG files.
        """
        inputs = (_photo_key(image), model, render_size, temperature, decode, num_samples,
                  seed, hints, saturation)
        shown.record(request, None)  # until this run succeeds, the screen shows no result
        try:
            result = colorize_photo(image, model, render_size, temperature, decode, num_samples,
                                    seed, hints, saturation, allowed=allowed,
                                    max_pixels=max_pixels, progress=progress)
            shown.record(request, inputs)
            return result
        except ColorizeError as err:
            raise toast_error("Cannot colorize", str(err)) from err
        except (MemoryError, torch.OutOfMemoryError) as err:
            raise toast_error("Cannot colorize", "out of memory: try a smaller photo, render "
                              "size or fewer samples.", print_exception=True) from err

    return colorize_endpoint


def clamp(value, low, high):
    """A slider value as the slider shows it: a number typed in its box arrives as typed, and
    the slider pulls it into its range only afterwards."""
    try:
        return min(max(float(value), low), high)
    except (TypeError, ValueError):
        return value  # the endpoint says what is wrong with it


def whole(value):
    """A whole-number slider's value as it shows it (a typed 2.5 becomes 3)."""
    return int(value + 0.5) if isinstance(value, int | float) and math.isfinite(value) else value


def make_auto_handler(colorize_endpoint, shown: ShownResults):
    """Re-colorize after the photo, a hint or a setting changes; nothing to do without a
    photo, nor when the screen already shows these inputs' result (some browser events fire
    twice for one pick)."""

    def recolorize(image, model, render_size, temperature, decode, num_samples, seed, hints,
                   saturation, request: gr.Request, progress=PROGRESS):
        render_size = whole(clamp(render_size, *RENDER_SIZES))
        num_samples = whole(clamp(num_samples, 1, MAX_SAMPLES))
        temperature = clamp(temperature, *TEMPERATURES)
        saturation = clamp(saturation, *SATURATIONS)
        settings = (model, render_size, temperature, decode, num_samples, seed, hints, saturation)
        if not image or shown.shows(request, (_photo_key(image), *settings)):
            return gr.skip(), gr.skip(), gr.skip()
        return colorize_endpoint(image, *settings, request=request, progress=progress)

    return recolorize


# --------------------------------------------------------------------------- small handlers


def make_clear_handler(shown: ShownResults):
    """The photo's x: its hints and its result go with it (and uploading it again redoes it)."""

    def clear(request: gr.Request):
        shown.record(request, None)
        return "", None, [], None

    return clear


def rerun_token() -> int:
    """A new value for the hidden state whose change re-colorizes the photo."""
    return time.monotonic_ns()


def add_hint(hints: str, color: str, event: gr.SelectData) -> tuple[str, int]:
    """Append a hint at the clicked pixel (Gradio gives it in the photo's own pixels)."""
    if not event.index:
        return gr.skip(), gr.skip()
    x, y = (int(v) for v in event.index)
    try:
        line = format_hint(x, y, normalize_color(color))
    except ColorizeError as err:
        raise toast_error("Cannot add the hint", str(err)) from err
    return "\n".join(filter(None, [(hints or "").strip(), line])), rerun_token()


def show_gallery(count) -> gr.Gallery:
    """The gallery only for several samples (a count typed out of range arrives as typed)."""
    number = clamp(count, 1, MAX_SAMPLES)
    return gr.Gallery(visible=isinstance(number, int | float) and number > 1)


TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


def make_displayable(max_pixels: int | None):
    """Browsers cannot show a TIFF, so an uploaded TIFF would leave nothing to click hints on:
    put a PNG of the same pixels (a grey scan's 16 bits, DPI and EXIF kept) in its place;
    other photos stay."""

    def displayable(image):
        try:
            path, _ = upload_path(image)
            with open(path, "rb") as file:
                if file.read(4) not in TIFF_MAGIC:
                    return gr.skip()
            photo, name = read_photo(image, max_pixels)
        except (ColorizeError, OSError):
            return gr.skip()  # colorizing it says what is wrong
        path = new_output_folder() / f"{file_stem(name)}.png"
        if photo.deep is None:
            pixels = photo.rgb if photo.alpha is None else np.dstack([photo.rgb, photo.alpha])
            return save_full(pixels, path, photo)
        # Pillow reads a 48-bit PNG back at 8 bits, but a 16-bit grey one at 16
        grey = photo.deep[..., 0]
        if photo.alpha is not None or not (photo.deep == grey[..., None]).all():
            return gr.skip()  # a colour or transparent 16-bit TIFF: its 16 bits come first
        dpi = {"dpi": photo.dpi} if photo.dpi else {}
        Image.fromarray(grey).save(path, format="PNG", exif=output_exif(photo.exif), **dpi)
        return str(path)

    return displayable


def forget_hints() -> tuple[str, int]:
    return "", rerun_token()


def roll_seed() -> tuple[int, int]:
    return random.randint(1, 2**31 - 1), rerun_token()


def show_sample(comparison, event: gr.SelectData):
    """Put the sample picked in the gallery into the before/after view."""
    if not comparison or not event.value:
        return gr.skip()
    return comparison[0], event.value["image"]["path"]


# --------------------------------------------------------------------------- layout


CSS = """
.hf-header { text-align: center; margin: 0.4rem 0 0.2rem; }
.hf-header h1 {
  display: inline-block; font-size: 2.6rem; font-weight: 800; margin: 0; letter-spacing: -0.02em;
  background: linear-gradient(90deg, #6b7280 0%, #f97316 35%, #eab308 55%, #22c55e 75%, #0ea5e9);
  -webkit-background-clip: text; background-clip: text; color: transparent;
}
.hf-header p { max-width: 46rem; margin: 0.3rem auto 0; opacity: 0.85; }
#hint-list textarea { font-family: var(--font-mono); }
#dice { align-self: end; }
#download .empty { min-height: 5rem; height: 5rem; }
/* The samples gallery keeps a tall box whatever it holds: fit it to its thumbnails instead. */
#samples .grid-wrap { min-height: 0; height: auto; max-height: none; }
#samples .grid-container { padding-top: var(--size-10); }  /* clear of the floating label */
#samples .caption-label { font-size: var(--text-xs); padding: 0 var(--size-1-5); }
/* One column on a phone: the result right under the photo and its button, not below the
   examples and hints (a phone user saw nothing happen after an upload). */
@media (max-width: 767px) {
  #workspace { flex-direction: column; }
  #workspace > .column { display: contents; }
  #workspace > .column > * { order: 4; }
  #workspace > .column > #photo, #workspace > .column > #colorize { order: 1; }
  #workspace > .column > #comparison, #workspace > .column > #samples { order: 2; }
  #workspace > .column > #download { order: 3; }
  /* A 500 px box left bands as tall as the photo around a landscape photo; both slider layers
     get the same cap as the box, so they stay aligned. */
  #photo, #comparison { height: calc(75vw + 60px) !important; }
  #comparison img { max-height: calc(75vw + 60px) !important; width: auto !important;
                    max-width: 100% !important; }
}
"""

# A slider's number box sends "release" (what the end of a drag sends, and what re-colorizes)
# when it loses focus but not on Enter; so Enter leaves the box.
HEAD = """<script>
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("input[aria-label^='number input for']")) {
    event.target.blur();
  }
});
</script>"""

THEME = gr.themes.Soft(primary_hue="orange", secondary_hue="sky", neutral_hue="stone")
LAUNCH_OPTIONS = {"max_file_size": MAX_UPLOAD, "theme": THEME, "css": CSS, "head": HEAD}
"""What `python app.py` passes to launch(); tests pass it too, beside their own host and port."""


@dataclass
class Page:
    """The components the events connect."""

    photo: gr.Image
    colorize_button: gr.Button
    examples: gr.helpers.Examples | None
    comparison: gr.ImageSlider
    files: gr.File
    gallery: gr.Gallery
    color: gr.ColorPicker
    hints: gr.Textbox
    clear_hints: gr.Button
    model: gr.Dropdown
    render_size: gr.Slider
    temperature: gr.Slider
    saturation: gr.Slider
    decode: gr.Dropdown
    num_samples: gr.Slider
    seed: gr.Number
    dice: gr.Button
    rerun: gr.State

    @property
    def inputs(self) -> list:
        """The /colorize parameters, in order."""
        return [self.photo, self.model, self.render_size, self.temperature, self.decode,
                self.num_samples, self.seed, self.hints, self.saturation]

    @property
    def outputs(self) -> list:
        return [self.comparison, self.gallery, self.files]


def build_demo(model: str | Path | None = None, max_pixels: int | None = MAX_PIXELS) -> gr.Blocks:
    """The demo, queued and ready to launch; `model` is a model folder or bundled name
    (None: the bundled default). Raises ColorizeError when the model cannot be found or loaded.
    """
    allowed, selected = model_choices(model)
    model_info = describe_model(selected, allowed)  # loads it now, so the first photo is fast
    with gr.Blocks(title="hfcolor: colorize black-and-white photos",
                   delete_cache=(KEEP_OUTPUTS_S, KEEP_OUTPUTS_S)) as demo:
        gr.HTML(DESCRIPTION)
        with gr.Row(equal_height=False, elem_id="workspace"):
            with gr.Column(scale=1):
                photo, colorize_button, examples = photo_panel()
                color, hints, clear_hints = hints_panel()
            with gr.Column(scale=1):
                comparison, files, gallery = result_panel()
                settings = settings_panel(allowed, selected, model_info,
                                          decode_choices(selected, allowed))
        page = Page(photo, colorize_button, examples, comparison, files, gallery, color, hints,
                    clear_hints, *settings, rerun=gr.State(0))
        shown = ShownResults()
        wire_events(page, make_handler(allowed, max_pixels, shown), shown, allowed, max_pixels)
    return demo.queue(default_concurrency_limit=2, max_size=16)


class UploadData(ImageData):
    """Gradio's image payload, refusing a value that is not one (a number, a bare path) with
    the demo's own message: Gradio validates it before the handler runs, and its pydantic error
    reached API callers only as "The upstream Gradio app has raised an exception"."""

    model_config = ConfigDict(title="ImageData")  # the API schema stays Gradio's own

    @classmethod
    def model_validate(cls, obj, **kwargs):
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError:
            raise toast_error("Cannot colorize", NOT_UPLOADED) from None


def photo_panel():
    photo = gr.Image(label="Black-and-white photo", type="filepath", image_mode=None,
                     format="png", sources=["upload", "clipboard"], height=PANEL_HEIGHT,
                     buttons=["fullscreen"], elem_id="photo")
    # Set on the one component, not by subclassing: Gradio writes a .pyi stub beside the
    # source file of every Component subclass.
    photo.data_model = UploadData
    colorize_button = gr.Button("Colorize", variant="primary", size="lg", elem_id="colorize")
    paths = sorted(str(p) for p in EXAMPLES.glob("*.jpg"))
    examples = gr.Examples(paths, inputs=[photo], label="Or try one of these (public domain / "
                           "CC0)", examples_per_page=max(len(paths), 1)) if paths else None
    return photo, colorize_button, examples


def result_panel():
    comparison = gr.ImageSlider(label="Before and after", format="png", type="filepath",
                                image_mode=None, height=PANEL_HEIGHT, interactive=False,
                                buttons=["fullscreen"], elem_id="comparison")
    # Clicking a sample shows it in the comparison above, so no preview of its own.
    gallery = gr.Gallery(label="Samples (click one to compare)", format="png", columns=4,
                         height="auto", object_fit="contain", allow_preview=False,
                         visible=False, interactive=False, elem_id="samples")
    files = gr.File(label="Download (full-resolution PNG)", file_count="multiple",
                    interactive=False, elem_id="download")
    return comparison, files, gallery


def hints_panel():
    with gr.Group():
        gr.Markdown(HINTS_HELP, padding=True)
        with gr.Row(equal_height=True):
            color = gr.ColorPicker("#3b82f6", label="Hint colour", scale=1, min_width=110)
            hints = gr.Textbox("", label="Hints: x, y, colour (photo pixels)", lines=3,
                               max_lines=8, scale=4, placeholder="Click the photo to add one, "
                               "e.g. 120, 80, #3b82f6", elem_id="hint-list")
    clear_hints = gr.Button("Clear hints", size="md", elem_id="clear-hints")
    return color, hints, clear_hints


def settings_panel(allowed: list[ModelChoice], selected: str, model_info: str,
                   decodes: list[str]) -> list:
    """The settings controls: model, render size, temperature, saturation, decode, samples, seed,
    dice."""
    with gr.Accordion("Settings", open=True):
        model = gr.Dropdown([(c.label, c.value) for c in allowed], value=selected, label="Model",
                            info=model_info, elem_id="model")
        render_size = gr.Slider(*RENDER_SIZES, value=192, step=32, label="Render size",
                                info="Long side the network sees; the output keeps the photo's "
                                "own resolution.")
        temperature = gr.Slider(*TEMPERATURES, value=0.38, step=0.01, label="Temperature",
                                info="Classifier decodes only: low reads each pixel's most "
                                "likely colour, 1 averages its likely colours (sample: draws "
                                "wider).")
        saturation = gr.Slider(*SATURATIONS, value=1.0, step=0.05, label="Saturation",
                               info="Scales the colours: below 1 calmer, above 1 bolder; the "
                               "lightness never changes.")
        with gr.Row():
            decode = gr.Dropdown(decodes, value="auto", label="Decode", min_width=140)
            num_samples = gr.Slider(1, MAX_SAMPLES, value=1, step=1, label="Samples",
                                    min_width=140)
        with gr.Row(equal_height=False):
            seed = gr.Number(0, precision=0, minimum=0, label="Seed", scale=3,
                             info="0: the model's most typical colours; others vary them "
                                  "(a classifier's only with decode sample, or samples > 1).")
            dice = gr.Button("Random seed", scale=1, min_width=120, elem_id="dice")
    return [model, render_size, temperature, saturation, decode, num_samples, seed, dice]


def wire_events(page: Page, endpoint, shown: ShownResults, allowed: list[ModelChoice],
                max_pixels: int | None = MAX_PIXELS) -> None:
    """Colorize on the button (the API), and again whenever the photo, a hint or a setting
    changes.

    Every automatic run goes through one listener, so always_last keeps them in order: one
    runs, the latest waiting one follows, and a stale result never overwrites a newer one.
    Steps that must finish first (resetting hints, adding one) bump `page.rerun` instead.
    """
    quick = {"api_visibility": "private", "queue": False}
    # Queued (a State changes only through the queue), but never waiting for a colorization.
    bump = {"api_visibility": "private", "concurrency_limit": None}
    page.colorize_button.click(endpoint, page.inputs, page.outputs, api_name="colorize",
                               preprocess=False, concurrency_id="colorize")
    gr.on([page.rerun.change, page.render_size.release, page.temperature.release,
           page.saturation.release,
           page.decode.select, page.num_samples.release, page.seed.submit,
           page.seed.blur, page.hints.submit],
          make_auto_handler(endpoint, shown), page.inputs, page.outputs, preprocess=False,
          trigger_mode="always_last", concurrency_id="colorize", api_visibility="private")
    forget = {"fn": forget_hints, "inputs": None, "outputs": [page.hints, page.rerun], **bump}
    # not .change: replacing a photo fires it twice
    page.photo.upload(make_displayable(max_pixels), page.photo, page.photo, preprocess=False,
                      **bump).then(**forget)
    if page.examples is not None:
        page.examples.load_input_event.then(**forget)
    page.clear_hints.click(**forget)
    page.photo.clear(make_clear_handler(shown), None, [page.hints, *page.outputs], **quick)
    page.photo.select(add_hint, [page.hints, page.color], [page.hints, page.rerun], **bump)
    page.dice.click(roll_seed, None, [page.seed, page.rerun], **bump)
    page.model.select(lambda value, decode: model_update(value, decode, allowed),
                      [page.model, page.decode], [page.model, page.decode, page.rerun],
                      api_visibility="private")
    page.num_samples.change(show_gallery, page.num_samples, page.gallery, preprocess=False,
                            **quick)
    page.gallery.select(show_sample, page.comparison, page.comparison, **quick)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The hfcolor demo (a Gradio app).")
    parser.add_argument("--model", help="a model folder or bundled model name "
                        f"(default: {hub.DEFAULT_MODEL})")
    args = parser.parse_args(argv)
    try:
        demo = build_demo(args.model)
    except ColorizeError as err:
        sys.exit(f"hfcolor demo cannot start: {err}")
    demo.launch(**LAUNCH_OPTIONS)


if __name__ == "__main__":
    main()
