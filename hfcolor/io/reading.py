"""load_image(): a photo from a path, bytes, a file object or a PIL image (arrays and tensors
go on to arrays.py), upright as its EXIF says, in sRGB, with its 16 bits when it has them."""

import errno
import functools
import io
import numbers
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from hfcolor.errors import ColorizeError
from hfcolor.io import sixteen_bit
from hfcolor.io.arrays import is_torch_tensor, load_array, load_tensor
from hfcolor.io.limits import MAX_PIXELS, check_size, open_header
from hfcolor.io.loaded_image import LoadedImage
from hfcolor.io.metadata import (
    apply_exif_orientation,
    exif_orientation,
    recorded_dpi,
    recorded_exif,
)
from hfcolor.io.pixels import grey_to_rgb, to_uint8, uint16_to_uint8

_SUPPORTED_FILES = "Give a JPEG, PNG, WebP, TIFF or BMP file."
_SIXTEEN_BIT_GREY_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_MULTI_PICTURE_FORMATS = frozenset({"GIF", "PNG", "TIFF", "WEBP"})
"""Formats whose frames are separate pictures (animations, pages). Others show one picture
first: a camera JPEG (MPO) before its previews, a Photoshop file before its layers."""

_ICC_OUTPUT_MODES = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "RGB", "I;16": "RGB"}
"""Modes that littlecms converts to sRGB (alpha kept); other modes keep their pixels."""


def load_image(source, max_pixels: int | None = MAX_PIXELS) -> LoadedImage:
    """Load a photo from a path, bytes, a binary file object, a PIL image, a numpy array or a
    torch tensor, honouring EXIF orientation.

    Paths may start with "~" (the home folder); bytes that are a printable file name are read
    as a path, other bytes as image data. Arrays: (H, W), (H, W, 1), (H, W, 2) (grey and
    alpha), (H, W, 3) or (H, W, 4), dtype uint8, uint16, bool or float in [0, 1], either byte
    order. Tensors: (C, H, W) with C in 1, 2, 3, 4, or (H, W), float in [0, 1] or uint8.
    `max_pixels` (None for no limit) is checked from the file header, before decoding.
    """
    whole = isinstance(max_pixels, numbers.Integral) and not isinstance(max_pixels, bool)
    if max_pixels is not None and not (whole and max_pixels > 0):
        raise ColorizeError(f"max_pixels must be a positive whole number or None (no limit), "
                            f"not {max_pixels!r}.")
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        raise ColorizeError(f"{source} is a URL; download the photo first and pass the file.")
    if isinstance(source, bytes) and _is_file_name(source):
        source = os.fsdecode(source)
    if isinstance(source, str | os.PathLike):
        return _load_path(source, max_pixels)
    if isinstance(source, bytes | bytearray | memoryview):
        return _load_encoded(io.BytesIO(bytes(source)), "the image data", None, max_pixels)
    if isinstance(source, Image.Image):
        return _load_pil(source, "the image", _pil_file_name(source), max_pixels)
    if isinstance(source, np.ndarray):
        return load_array(np.asarray(source), "the array", max_pixels)  # np.matrix: a plain array
    if is_torch_tensor(source):
        return load_tensor(source, max_pixels)
    if hasattr(source, "read"):
        return _load_encoded(source, "the file object", None, max_pixels)
    raise ColorizeError(
        f"Cannot load a photo from a {type(source).__name__}. Pass a file path, bytes, "
        "a PIL image, a numpy array or a torch tensor."
    )


def _is_file_name(data: bytes) -> bool:
    """Whether bytes are a path (b"photo.png"): image data always holds unprintable bytes."""
    return 0 < len(data) <= 4096 and data.decode("utf-8", "surrogateescape").isprintable()


def _load_path(source, max_pixels: int | None) -> LoadedImage:
    text = os.fsdecode(source)
    if not text:
        raise ColorizeError("The path is empty (''); give the photo's file path.")
    path = Path(os.path.expanduser(text))
    try:
        return _load_file(path, max_pixels)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            shown = text if len(text) <= 100 else f"{text[:60]}...{text[-30:]}"
            raise ColorizeError(
                f"{shown} is a path too long for this system ({len(text)} characters); rename "
                "the file or move it to a shorter path."
            ) from exc
        raise ColorizeError(f"Cannot read {path} ({exc.strerror or exc}); check the path.") from exc


def _load_file(path: Path, max_pixels: int | None) -> LoadedImage:
    text = str(path)
    if path.is_symlink() and not path.exists():
        raise ColorizeError(f"{text} is a broken link (to {os.readlink(path)}); point it at a "
                            "photo or remove it.")
    if not path.exists():
        raise ColorizeError(f"{text} does not exist; check the path.")
    if path.is_dir():
        raise ColorizeError(f"{text} is a folder; give an image file (find_images lists them).")
    try:
        with path.open("rb") as file:
            return _load_encoded(file, text, path.name, max_pixels)
    except PermissionError as exc:
        raise ColorizeError(
            f"Cannot read {text}: permission denied; check its permissions."
        ) from exc


def _load_encoded(file, label: str, name: str | None, max_pixels: int | None) -> LoadedImage:
    """Decode an image file (path already opened, bytes or file object)."""
    image = _open_image(file, label)
    with image:
        check_size(image.width, image.height, label, max_pixels)
        _check_single_frame(image, label, "Save the frame or page you want as its own file.")
        _load_pixels(image, label)
        return _pil_to_loaded(image, name, in_place=True, file=file)


def _open_image(file, label: str) -> Image.Image:
    """Read only the header, so sizes can be checked before any pixel is decoded."""
    if _is_empty(file):
        raise ColorizeError(f"{label} is empty (0 bytes). {_SUPPORTED_FILES}")
    try:
        image = open_header(file)
    except UnidentifiedImageError as exc:
        raise ColorizeError(
            f"{label} is not an image Pillow can read (unknown format). {_SUPPORTED_FILES}"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ColorizeError(
            f"{label} is not an image Pillow can read ({exc}). {_SUPPORTED_FILES}"
        ) from exc
    return image


def _is_empty(file) -> bool:
    try:
        position = file.tell()
        end = file.seek(0, io.SEEK_END)
        file.seek(position)
    except (AttributeError, OSError, ValueError):
        return False
    return end == position == 0


def _check_single_frame(image: Image.Image, label: str, advice: str) -> None:
    """Refuse animations and multi-page TIFFs rather than colorize one frame unsaid."""
    try:
        frames = getattr(image, "n_frames", 1)
    except (OSError, SyntaxError, ValueError, EOFError):
        return  # a damaged frame table: _load_pixels says what is wrong with the file
    if frames > 1 and image.format in _MULTI_PICTURE_FORMATS:
        raise ColorizeError(
            f"{label} holds {frames} frames (an animation or a multi-page file); hfcolor "
            f"colorizes one picture at a time. {advice}"
        )


def _bomb_error(label: str, reason) -> ColorizeError:
    return ColorizeError(
        f"{label} was refused as a possible decompression bomb ({reason}). Resize it first, "
        "or, if you trust the file, raise PIL.Image.MAX_IMAGE_PIXELS."
    )


def _load_pixels(image: Image.Image, label: str) -> None:
    """Decode every pixel now, so a truncated or damaged file fails here and not later."""
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb_error(label, exc) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ColorizeError(
            f"{label} could not be read completely ({exc}); the file looks truncated or "
            "damaged. Re-download or re-export it."
        ) from exc


def _load_pil(image: Image.Image, label: str, name, max_pixels: int | None) -> LoadedImage:
    _check_open(image, label)
    check_size(image.width, image.height, label, max_pixels)
    _check_single_frame(image, label, "Pass the frame you want on its own: image.seek(n), "
                        "then image.copy().")
    _load_pixels(image, label)
    return _pil_to_loaded(image, name, in_place=False, file=_source(image))


def _check_open(image: Image.Image, label: str) -> None:
    if _is_closed(image):
        raise ColorizeError(
            f"{label} is closed (image.close(), or its `with Image.open(...)` block ended "
            "before its pixels were read); pass it before closing it, or call image.load() "
            "inside the with block."
        )


def _is_closed(image: Image.Image) -> bool:
    """Pillow meets a closed image with a bare ValueError or AssertionError."""
    if getattr(image, "tile", None) and getattr(image, "fp", None) is None:
        return True  # its file was closed before the pixels were read
    try:
        image.im  # noqa: B018 (raises ValueError once image.close() has run)
    except ValueError:
        return True
    except AssertionError:  # pixels not read yet, from a file still open
        pass
    return False


def _source(image: Image.Image):
    """Where a caller's PIL image came from (its path, else its open file), for 16-bit TIFFs."""
    filename = getattr(image, "filename", None)
    return filename if isinstance(filename, str) and filename else getattr(image, "fp", None)


def _pil_file_name(image: Image.Image) -> str | None:
    filename = getattr(image, "filename", None)
    return Path(filename).name if isinstance(filename, str) and filename else None


def _pil_to_loaded(image: Image.Image, name: str | None, in_place: bool, file) -> LoadedImage:
    """in_place: rotate `image` itself (ours to change) instead of a copy (the caller's).
    file: where the image was read from, for the 16 bits of a 48- or 64-bit TIFF, which Pillow
    reads at 8 bits."""
    dpi, exif = recorded_dpi(image), recorded_exif(image)
    orientation = exif_orientation(image)
    deep_tiff = sixteen_bit.tiff_samples(image, file, upright=orientation == 1)
    image = apply_exif_orientation(image, in_place)
    stored = image
    image = _to_srgb(image)
    rgb, alpha, deep = _pil_to_rgb_and_alpha(image)
    if deep_tiff is not None and image is stored:  # an ICC conversion ran at 8 bits: keep 8
        samples = sixteen_bit.oriented(deep_tiff, orientation)
        deep, rgb = samples[..., :3], uint16_to_uint8(samples[..., :3])
        alpha = uint16_to_uint8(samples[..., 3]) if alpha is not None else None
    return LoadedImage(rgb=rgb, alpha=alpha, name=name, dpi=dpi, exif=exif, deep=deep)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert a photo with an embedded ICC profile (Adobe RGB, Gray Gamma 1.8, a press CMYK)
    to sRGB, the space the models see and untagged outputs are shown in, so the lightness kept
    is the lightness a viewer shows."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("P", "PA"):  # the profile describes the palette's colours
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    if icc and image.mode == "LA":  # littlecms would drop the alpha: convert the grey alone
        rgb = _to_srgb(image.getchannel("L"))
        if rgb.mode != "RGB":
            return image
        rgb.putalpha(image.getchannel("A"))
        return rgb
    output_mode = _ICC_OUTPUT_MODES.get(image.mode)
    if not icc or output_mode is None:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if ImageCms.getProfileDescription(profile).startswith("sRGB"):
            return image  # already sRGB (most camera JPEGs): skip half a second at 12 MP
        return ImageCms.profileToProfile(image, profile, _srgb_profile(), outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A damaged profile, or one for another colour space: keep the pixels as stored.
        return image


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _pil_to_rgb_and_alpha(image: Image.Image):
    """Any PIL mode -> uint8 RGB, uint8 alpha (or None) and 16-bit RGB (or None)."""
    mode = image.mode
    if mode in _SIXTEEN_BIT_GREY_MODES or mode == "I":
        grey = _int_grey(image)
        deep = grey_to_rgb(grey) if grey.dtype == np.uint16 else None
        return grey_to_rgb(to_uint8(grey)), None, deep
    if mode == "F":
        return grey_to_rgb(_float_grey_to_uint8(np.asarray(image))), None, None
    if mode in ("1", "L") and not image.has_transparency_data:
        return grey_to_rgb(np.asarray(_in_mode(image, "L"))), None, None
    try:
        if image.has_transparency_data:
            rgba = np.asarray(_in_mode(image, "RGBA"))
            return np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3]), None
        return np.array(_in_mode(image, "RGB")), None, None
    except ValueError as exc:
        raise ColorizeError(
            f"Image mode {mode!r} cannot be converted to RGB ({exc}); convert the photo to RGB "
            "or greyscale first."
        ) from exc


def _int_grey(image: Image.Image) -> np.ndarray:
    """A mode I;16* or I grey photo as uint16, or as uint8 when mode I values stay within
    [0, 255] (what convert("I") of an 8-bit photo gives); values above 65535 are 32-bit data,
    scaled to 16 bits as 16 bits are to 8 (65537 = (2**32 - 1) / (2**16 - 1))."""
    values = np.asarray(image)
    if image.mode != "I":
        return values.astype(np.uint16)
    if values.min() < 0:  # Pillow keeps unsigned 32-bit samples (uint32 TIFFs) wrapped round
        values = values.view(np.uint32)
    peak = values.max()
    if peak <= 255:
        return values.astype(np.uint8)
    if peak <= 65535:
        return values.astype(np.uint16)
    return np.rint(values.astype(np.float32) / 65537.0).astype(np.uint16)


def _in_mode(image: Image.Image, mode: str) -> Image.Image:
    # convert() copies even when the mode already matches; photos are big enough to care.
    return image if image.mode == mode else image.convert(mode)


def _float_grey_to_uint8(values: np.ndarray) -> np.ndarray:
    """Mode F (float32) grey to uint8, guessing the range from the values.

    Values that stay within [0, 1] are [0, 1] data; values within [0, 255] are 8-bit data
    (what convert("F") of an 8-bit photo gives); anything larger is 16-bit data (scaled by
    1/257, clipped at 65535).
    """
    values = np.nan_to_num(values.astype(np.float64), nan=0.0).clip(min=0.0)
    peak = float(values.max()) if values.size else 0.0
    if peak <= 1.0:
        scaled = values * 255.0
    elif peak <= 255.0:
        scaled = values
    else:
        scaled = values.clip(max=65535.0) / 257.0
    return np.rint(scaled).astype(np.uint8)
