"""save_image(): a colorized photo written atomically, in the format its extension names, with
the photo's DPI and EXIF (16-bit PNG and TIFF through sixteen_bit.py)."""

import errno
import functools
import os
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from hfcolor.errors import ColorizeError
from hfcolor.io import sixteen_bit
from hfcolor.io.metadata import SOFTWARE, main_ifd_only
from hfcolor.io.pixels import describe, to_uint8

JPEG_QUALITY = 95
WEBP_QUALITY = 95
_SAVE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
_FORMATS_WITH_ALPHA = frozenset({"PNG", "WEBP", "TIFF"})


def keeps_alpha(path) -> bool:
    """Whether save_image writes transparency into a file of this name (PNG, WebP, TIFF)."""
    return _SAVE_FORMATS.get(Path(path).suffix.lower()) in _FORMATS_WITH_ALPHA


def save_image(rgb: np.ndarray, path, alpha: np.ndarray | None = None,
               dpi: tuple[float, float] | None = None, exif: bytes | None = None) -> Path:
    """Write uint8 or uint16 (H, W, 3) RGB to `path` atomically and return the path written.

    The format follows the extension: .png (lossless; added when there is no extension),
    .jpg/.jpeg (quality 95), .webp (quality 95), .bmp, .tif/.tiff. uint16 pixels (what a
    16-bit photo gives) stay 16-bit in PNG and TIFF; JPEG, WebP and BMP hold 8 bits, so they
    get to_uint8 of them. `alpha` ((H, W), the dtype of rgb) is put back for PNG, WebP and
    TIFF and dropped for JPEG and BMP. `dpi` (LoadedImage.dpi) is recorded by every format but
    WebP, `exif` (LoadedImage.exif) by every format but BMP (TIFF keeps its main tags: caption,
    date, artist, copyright). Parent folders are created.
    """
    _check_rgb_for_saving(rgb, alpha)
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".png")
    image_format = _SAVE_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise ColorizeError(
            f"Cannot save {path}: unknown extension {path.suffix!r}; use "
            ".png, .jpg, .jpeg, .webp, .bmp, .tif or .tiff."
        )
    _check_format_limits(path, image_format, rgb.shape, exif)
    keep_alpha = alpha is not None and image_format in _FORMATS_WITH_ALPHA
    pixels = np.dstack([rgb, alpha]) if keep_alpha else rgb
    if pixels.dtype == np.uint16 and image_format not in ("PNG", "TIFF"):
        pixels = to_uint8(pixels)
    if pixels.dtype == np.uint16:
        encoded = sixteen_bit.png_bytes(pixels, dpi, exif) if image_format == "PNG" else \
            sixteen_bit.tiff_bytes(pixels, dpi, exif and main_ifd_only(exif), SOFTWARE)
        write = functools.partial(_write_bytes, encoded)
    else:
        image, options = Image.fromarray(pixels), _save_options(image_format, dpi, exif)
        write = functools.partial(image.save, format=image_format, **options)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(write, path)
    except OSError as exc:
        advice = "free some space on its disk" if exc.errno in (errno.ENOSPC, errno.EDQUOT) \
            else "check that the folder is writable"
        raise ColorizeError(f"Cannot write {path} ({exc}); {advice}.") from exc
    return path


def _check_rgb_for_saving(rgb, alpha) -> None:
    if not (
        isinstance(rgb, np.ndarray)
        and rgb.dtype in (np.uint8, np.uint16)
        and rgb.ndim == 3
        and rgb.shape[2] == 3
        and rgb.size
    ):
        raise ColorizeError(
            f"save_image needs a non-empty uint8 or uint16 (H, W, 3) RGB array, got "
            f"{describe(rgb)}; convert it first (LoadedImage.rgb has the right form)."
        )
    if alpha is not None and not (
        isinstance(alpha, np.ndarray) and alpha.dtype == rgb.dtype and alpha.shape == rgb.shape[:2]
    ):
        raise ColorizeError(
            f"save_image needs alpha as {rgb.dtype} {rgb.shape[:2]} (the dtype of the RGB "
            f"array, the photo's height and width), got {describe(alpha)}; pass the alpha "
            "colorize returned, or None."
        )


WEBP_MAX_SIDE = 16383
JPEG_MAX_EXIF = 65533  # the bytes of one JPEG marker segment, b"Exif\0\0" included


def _check_format_limits(path: Path, image_format: str, shape: tuple, exif: bytes | None):
    """What the format cannot hold, as an error naming a format that can (before encoding)."""
    if image_format == "WEBP" and max(shape[:2]) > WEBP_MAX_SIDE:
        raise ColorizeError(f"Cannot save {path}: {shape[1]}x{shape[0]} is larger than WebP "
                            f"allows ({WEBP_MAX_SIDE} px a side); save it as .png or .tif.")
    if image_format == "JPEG" and exif and len(exif) > JPEG_MAX_EXIF:
        raise ColorizeError(f"Cannot save {path}: the photo's EXIF ({len(exif) // 1024} KB) is "
                            "more than JPEG can hold (64 KB); save it as .png or .tif.")


def _save_options(image_format: str, dpi: tuple[float, float] | None, exif: bytes | None) -> dict:
    options = {"dpi": dpi} if dpi else {}
    if exif and image_format != "BMP":
        options["exif"] = main_ifd_only(exif) if image_format == "TIFF" else exif
    if image_format == "JPEG":
        options["quality"] = JPEG_QUALITY
    elif image_format == "WEBP":
        options["quality"] = WEBP_QUALITY
    elif image_format == "TIFF":
        options["compression"] = "tiff_lzw"
    return options


def _write_bytes(encoded: bytes, file) -> None:
    file.write(encoded)


def _write_atomically(write, path: Path) -> None:
    """Write to a hidden temporary file beside `path`, then rename it over `path`.

    Readers never see a half-written photo, and an interrupted save leaves the old file.
    os.open with mode 0o666 lets the umask decide permissions, as for any new file
    (tempfile.mkstemp would leave the photo readable by its owner only).
    """
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(temp, flags, 0o666), "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
