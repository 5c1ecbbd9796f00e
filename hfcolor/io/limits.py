"""How big a photo may be, checked from its file header before any pixel is decoded."""

import threading

from PIL import Image

from hfcolor.errors import ColorizeError

MAX_PIXELS = 60_000_000
"""Default pixel limit: a 50 MP camera photo (8660x5773) fits, a 108 MP one does not."""

MAX_ASPECT_RATIO = 20.0
"""Longer side / shorter side above this is refused (very long panoramas)."""

_PILLOW_LIMIT_LOCK = threading.Lock()


def open_header(file) -> Image.Image:
    """Image.open (the header only) with `max_pixels` as the only decompression-bomb limit:
    Pillow's own (PIL.Image.MAX_IMAGE_PIXELS, 89 MP) would refuse a 100 MP scan that
    max_pixels=None lets in, and warn on stderr about photos that check_size refuses anyway.
    The setting is process-wide, so it is swapped under a lock, for the header read only."""
    with _PILLOW_LIMIT_LOCK:
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            return Image.open(file)
        finally:
            Image.MAX_IMAGE_PIXELS = limit


def header_size(file) -> tuple[int, int] | None:
    """(width, height) from an image file's header, however big (no decompression-bomb
    refusal); None when Pillow cannot read it (load_image explains why)."""
    try:
        with open_header(file) as image:
            return image.size
    except (OSError, ValueError, SyntaxError):
        return None


def _pixel_count(pixels: int, spec: str, limit: bool = False) -> str:
    """'12.0 MP', or for a tiny count '200 pixels' ('200-pixel' as a limit)."""
    if pixels >= 100_000:
        return f"{pixels / 1e6:{spec}} MP"
    return f"{pixels:,}-pixel" if limit else f"{pixels:,} pixels"


def check_size(width: int, height: int, label: str, max_pixels: int | None) -> None:
    """Refuse empty photos, photos over the pixel limit and extreme aspect ratios."""
    if width == 0 or height == 0:
        raise ColorizeError(
            f"{label} is empty ({width}x{height} pixels); give a photo with pixels in it."
        )
    pixels = width * height
    if max_pixels is not None and pixels > max_pixels:
        raise ColorizeError(
            f"{label} is {width}x{height} ({_pixel_count(pixels, '.1f')}), above the "
            f"{_pixel_count(max_pixels, 'g', limit=True)} limit; resize it first, or raise "
            "the limit: "
            f"max_pixels={pixels} in Python (None for no limit), --max-pixels {pixels} on "
            "the command line (0 for no limit)."
        )
    ratio = max(width, height) / min(width, height)
    if ratio > MAX_ASPECT_RATIO:
        raise ColorizeError(
            f"{label} is {width}x{height} ({ratio:.1f}:1); panoramas over "
            f"{MAX_ASPECT_RATIO:g}:1 are not supported; crop it into shorter pieces first."
        )
