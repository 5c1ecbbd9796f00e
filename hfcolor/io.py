"""Loading and saving photos, and the input checks that come with them.

Every way a photo can arrive (a path, bytes, a PIL image, a numpy array, a torch tensor) ends
up as a `LoadedImage`: uint8 RGB plus the alpha channel kept aside, and the 16-bit pixels too
when the photo has them. Anything that cannot be used raises `ColorizeError` with a message
that says what to do.

Only numpy and Pillow are imported here; torch is only touched when a tensor is passed in.
"""

import errno
import functools
import io
import numbers
import os
import struct
import sys
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from hfcolor import __version__, sixteen_bit
from hfcolor.errors import ColorizeError

MAX_PIXELS = 60_000_000
"""Default pixel limit: a 50 MP camera photo (8660x5773) fits, a 108 MP one does not."""

MAX_ASPECT_RATIO = 20.0
"""Longer side / shorter side above this is refused (very long panoramas)."""

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".tif",
                              ".tiff", ".gif"})
"""What folder searches take (.jfif: how Windows browsers save JPEGs; animated GIFs refused)."""

JPEG_QUALITY = 95
WEBP_QUALITY = 95

FLOAT_TOLERANCE = 0.05
"""Float inputs may overshoot [0, 1] by this much (resampling ringing) and are clipped."""

SOFTWARE_NAME = "hfcolor"
SOFTWARE = f"{SOFTWARE_NAME} {__version__}"
"""What colorized photos record as their EXIF Software."""

_PILLOW_LIMIT_LOCK = threading.Lock()
_SUPPORTED_FILES = "Give a JPEG, PNG, WebP, TIFF or BMP file."
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
_SIXTEEN_BIT_GREY_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_MULTI_PICTURE_FORMATS = frozenset({"GIF", "PNG", "TIFF", "WEBP"})
"""Formats whose frames are separate pictures (animations, pages). Others show one picture
first: a camera JPEG (MPO) before its previews, a Photoshop file before its layers."""
_ICC_OUTPUT_MODES = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "RGB", "I;16": "RGB"}
"""Modes that littlecms converts to sRGB (alpha kept); other modes keep their pixels."""
_EXIF_KEPT_TAGS = (0x010E, 0x010F, 0x0110, 0x0132, 0x013B, 0x8298)
"""ImageDescription, Make, Model, DateTime, Artist, Copyright: what a photo's EXIF says about it
(orientation, thumbnails and pixel layout describe the file, not the photo, and are dropped)."""
_EXIF_DROPPED_SUB_TAGS = frozenset({0x927C, 0xA002, 0xA003})  # MakerNote, pixel width/height


@dataclass(frozen=True)
class LoadedImage:
    """A photo ready for colorization.

    rgb: uint8 (H, W, 3). alpha: uint8 (H, W), or None when the source had no transparency.
    name: the file name (e.g. "photo.jpg") when loaded from a path or a PIL image that
    remembers its file, else None. dpi: (x, y) dots per inch the file records (a scan's
    resolution), for save_image to keep; None when it records none. exif: the EXIF block of
    what the file says about the photo (caption, date, artist, copyright, camera, GPS), for
    save_image to keep; None when it says nothing. deep: uint16 (H, W, 3), the photo's own
    16-bit pixels when it has 16 bits per channel (a 16-bit grey PNG or TIFF, a 48- or 64-bit
    TIFF, a uint16 array), from which colorize takes the lightness and returns 16-bit colours;
    None for 8-bit photos and for photos converted from another ICC profile (littlecms
    converts them at 8 bits).
    """

    rgb: np.ndarray
    alpha: np.ndarray | None = None
    name: str | None = None
    dpi: tuple[float, float] | None = None
    exif: bytes | None = None
    deep: np.ndarray | None = None


# --------------------------------------------------------------------------- loading


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
        return _load_array(np.asarray(source), "the array", max_pixels)  # np.matrix: a plain array
    if _is_torch_tensor(source):
        return _load_tensor(source, max_pixels)
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
        _check_size(image.width, image.height, label, max_pixels)
        _check_single_frame(image, label, "Save the frame or page you want as its own file.")
        _load_pixels(image, label)
        return _pil_to_loaded(image, name, in_place=True, file=file)


def _open_image(file, label: str) -> Image.Image:
    """Read only the header, so sizes can be checked before any pixel is decoded."""
    if _is_empty(file):
        raise ColorizeError(f"{label} is empty (0 bytes). {_SUPPORTED_FILES}")
    try:
        image = _open_header(file)
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


def _open_header(file) -> Image.Image:
    """Image.open (the header only) with `max_pixels` as the only decompression-bomb limit:
    Pillow's own (PIL.Image.MAX_IMAGE_PIXELS, 89 MP) would refuse a 100 MP scan that
    max_pixels=None lets in, and warn on stderr about photos that _check_size refuses anyway.
    The setting is process-wide, so it is swapped under a lock, for the header read only."""
    with _PILLOW_LIMIT_LOCK:
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            return Image.open(file)
        finally:
            Image.MAX_IMAGE_PIXELS = limit


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
    _check_size(image.width, image.height, label, max_pixels)
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
    dpi, exif = _recorded_dpi(image), _recorded_exif(image)
    orientation = _exif_orientation(image)
    deep_tiff = sixteen_bit.tiff_samples(image, file, upright=orientation == 1)
    image = _apply_exif_orientation(image, in_place)
    stored = image
    image = _to_srgb(image)
    rgb, alpha, deep = _pil_to_rgb_and_alpha(image)
    if deep_tiff is not None and image is stored:  # an ICC conversion ran at 8 bits: keep 8
        samples = sixteen_bit.oriented(deep_tiff, orientation)
        deep, rgb = samples[..., :3], _uint16_to_uint8(samples[..., :3])
        alpha = _uint16_to_uint8(samples[..., 3]) if alpha is not None else None
    return LoadedImage(rgb=rgb, alpha=alpha, name=name, dpi=dpi, exif=exif, deep=deep)


def header_size(file) -> tuple[int, int] | None:
    """(width, height) from an image file's header, however big (no decompression-bomb
    refusal); None when Pillow cannot read it (load_image explains why)."""
    try:
        with _open_header(file) as image:
            return image.size
    except (OSError, ValueError, SyntaxError):
        return None


def make_output_folder(folder: Path, option: str) -> None:
    """Create an output folder before any work, so one that cannot be made or written to is
    one error up front; `option` names it as the user gave it (-o, --out)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ColorizeError(f"Cannot create {option} {folder} ({err.strerror or err}); give a "
                            "folder you can write to.") from err
    if not os.access(folder, os.W_OK):
        raise ColorizeError(f"{option} {folder} is not writable; give a folder you can write to.")


def keeps_alpha(path) -> bool:
    """Whether save_image writes transparency into a file of this name (PNG, WebP, TIFF)."""
    return _SAVE_FORMATS.get(Path(path).suffix.lower()) in _FORMATS_WITH_ALPHA


def made_by_hfcolor(path) -> bool:
    """Whether a file's EXIF Software names hfcolor (a colorized result), from its header."""
    try:
        with _open_header(path) as image:
            software = getattr(image, "tag_v2", {}).get(0x0131)  # TIFF: a tag of its own
            if software is None and image.info.get("exif"):
                tags = Image.Exif()
                tags.load(image.info["exif"])
                software = tags.get(0x0131)
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, struct.error):
        return False
    return isinstance(software, str) and software.startswith(SOFTWARE_NAME)


def output_exif(exif: bytes | None) -> bytes:
    """The EXIF a colorized photo is saved with: the photo's own (load_image set its Software
    to hfcolor), or one saying only that, so folder searches can tell results from originals."""
    if exif:
        return exif
    marker = Image.Exif()
    marker[0x0131] = SOFTWARE
    return marker.tobytes()


def _exif_orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except (SyntaxError, ValueError, TypeError, KeyError, OSError, struct.error):
        return 1


def _recorded_dpi(image: Image.Image) -> tuple[float, float] | None:
    dpi = image.info.get("dpi")
    try:
        x, y = (float(value) for value in dpi)
    except (TypeError, ValueError):
        return None
    # 1 DPI is what Pillow reports for a TIFF that records no resolution, never a real one.
    return (x, y) if x > 1 and y > 1 and np.isfinite([x, y]).all() else None


def _recorded_exif(image: Image.Image) -> bytes | None:
    """The photo's descriptive EXIF, with Software naming hfcolor; None when there is none."""
    try:
        source = image.getexif()
        kept = Image.Exif()
        for tag in _EXIF_KEPT_TAGS:
            if tag in source:
                kept[tag] = source[tag]
        for ifd in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
            values = {k: v for k, v in source.get_ifd(ifd).items()
                      if k not in _EXIF_DROPPED_SUB_TAGS}
            if values:
                kept.get_ifd(ifd).update(values)
        if not len(kept):
            return None
        kept[0x0131] = SOFTWARE  # what made these colours
        return kept.tobytes()
    except (SyntaxError, ValueError, TypeError, KeyError, OSError, struct.error):
        return None  # a damaged EXIF block costs the metadata, never the photo


def _apply_exif_orientation(image: Image.Image, in_place: bool) -> Image.Image:
    try:
        if in_place:
            ImageOps.exif_transpose(image, in_place=True)
            return image
        return ImageOps.exif_transpose(image)
    except (SyntaxError, ValueError, TypeError, KeyError, OSError):
        # A damaged EXIF block should not cost the user their photo: keep it as stored.
        return image


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
        deep = _grey_to_rgb(grey) if grey.dtype == np.uint16 else None
        return _grey_to_rgb(to_uint8(grey)), None, deep
    if mode == "F":
        return _grey_to_rgb(_float_grey_to_uint8(np.asarray(image))), None, None
    if mode in ("1", "L") and not image.has_transparency_data:
        return _grey_to_rgb(np.asarray(_in_mode(image, "L"))), None, None
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


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[..., None], 3, axis=2)


def _uint16_to_uint8(values: np.ndarray) -> np.ndarray:
    """Full 16-bit range to full 8-bit range (65535 -> 255), rounded rather than clipped."""
    return np.rint(values.astype(np.float32) / 257.0).astype(np.uint8)


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


def _load_array(array: np.ndarray, label: str, max_pixels: int | None) -> LoadedImage:
    height, width, channels = _array_layout(array, label)
    _check_size(width, height, label, max_pixels)
    array = array.reshape(height, width, channels)
    if not array.dtype.isnative:  # big-endian ('>u2', '>f4'): the same values, native order
        array = array.astype(array.dtype.newbyteorder("="))
    pixels = _array_to_uint8(array, label)
    colours = 1 if channels < 3 else 3  # grey or RGB, then alpha if there is one more
    alpha = np.array(pixels[..., colours]) if channels > colours else None
    deep = _as_rgb(array[..., :colours]) if array.dtype == np.uint16 else None
    return LoadedImage(rgb=_as_rgb(pixels[..., :colours]), alpha=alpha, deep=deep)


def _as_rgb(pixels: np.ndarray) -> np.ndarray:
    """(H, W, 1) grey or (H, W, 3) colour -> a new (H, W, 3) array."""
    return _grey_to_rgb(pixels[..., 0]) if pixels.shape[2] == 1 else np.array(pixels)


def _array_layout(array: np.ndarray, label: str) -> tuple[int, int, int]:
    """(height, width, channels) of an (H, W) or (H, W, C) array; anything else is refused."""
    shape = array.shape
    if array.ndim == 2:
        return shape[0], shape[1], 1
    if array.ndim == 3 and shape[2] in (1, 2, 3, 4):
        return shape[0], shape[1], shape[2]
    hint = ""
    if array.ndim == 3 and shape[0] in (1, 2, 3, 4):
        hint = " It looks channels-first: pass array.transpose(1, 2, 0)."
    elif array.ndim == 4 and shape[0] == 1:
        hint = " For a batch of one, pass array[0]."
    raise ColorizeError(
        f"{label} has shape {shape}; expected (H, W), (H, W, 1), (H, W, 2) (grey and alpha), "
        f"(H, W, 3) or (H, W, 4).{hint}"
    )


def _array_to_uint8(array: np.ndarray, label: str) -> np.ndarray:
    """Any accepted dtype -> a uint8 array with the same shape (uint8: the array itself)."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * np.uint8(255)
    if array.dtype == np.uint16:
        return _uint16_to_uint8(array)
    if array.dtype.kind == "f":
        return _float_to_uint8(array, label)
    raise ColorizeError(
        f"{label} has dtype {array.dtype}; give uint8 (0-255), uint16 (0-65535), bool, "
        "or float in [0, 1]."
    )


def _float_to_uint8(values: np.ndarray, label: str) -> np.ndarray:
    values = values.astype(np.float32, copy=False)
    if not np.isfinite(values).all():
        raise ColorizeError(
            f"{label} contains NaN or infinite values; replace them first (np.nan_to_num)."
        )
    low, high = float(values.min()), float(values.max())
    if low < -FLOAT_TOLERANCE or high > 1.0 + FLOAT_TOLERANCE:
        raise ColorizeError(
            f"{label} holds floats from {low:.4g} to {high:.4g}, but float input must be in "
            "[0, 1]. If it holds 0-255 values, divide it by 255."
        )
    return np.rint(values.clip(0.0, 1.0) * 255.0).astype(np.uint8)


def _is_torch_tensor(obj) -> bool:
    # A tensor can only exist if torch was imported already, so this never imports torch.
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _load_tensor(tensor, max_pixels: int | None) -> LoadedImage:
    """(C, H, W) or (H, W) tensor -> LoadedImage, through the numpy path."""
    import torch

    label = "the tensor"
    shape = tuple(tensor.shape)
    channels_first = tensor.ndim == 3 and shape[0] in (1, 2, 3, 4)
    if not channels_first and tensor.ndim != 2:
        raise ColorizeError(
            f"{label} has shape {shape}; expected (C, H, W) with C = 1, 2 (grey and alpha), "
            f"3 or 4, or (H, W).{_tensor_shape_hint(shape)}"
        )
    if tensor.is_meta:
        raise ColorizeError(f"{label} is on the meta device, which holds no values; give a "
                            "tensor with pixels in it (on the CPU or a GPU).")
    _check_size(shape[-1], shape[-2], label, max_pixels)
    tensor = tensor.detach().cpu()
    if tensor.layout != torch.strided:  # sparse: the pixels it stands for
        tensor = tensor.to_dense()
    if channels_first:
        tensor = tensor.permute(1, 2, 0)
    if tensor.dtype in (torch.float16, torch.bfloat16):
        tensor = tensor.float()
    try:
        values = tensor.numpy()
    except (TypeError, RuntimeError) as exc:  # quantized, nested, ...: no numpy view
        raise ColorizeError(f"{label} cannot be read as numbers ({exc}); give a plain "
                            "uint8 or float tensor.") from exc
    return _load_array(values, label, max_pixels)


def _tensor_shape_hint(shape: tuple[int, ...]) -> str:
    if len(shape) == 4 and shape[0] == 1:
        return " For a batch of one, pass tensor[0]."
    if len(shape) == 3 and shape[2] in (1, 2, 3, 4):
        return " It looks channels-last: pass tensor.permute(2, 0, 1)."
    return ""


def _pixel_count(pixels: int, spec: str, limit: bool = False) -> str:
    """'12.0 MP', or for a tiny count '200 pixels' ('200-pixel' as a limit)."""
    if pixels >= 100_000:
        return f"{pixels / 1e6:{spec}} MP"
    return f"{pixels:,}-pixel" if limit else f"{pixels:,} pixels"


def _check_size(width: int, height: int, label: str, max_pixels: int | None) -> None:
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


# --------------------------------------------------------------------------- finding files


def is_image_file(path) -> bool:
    """Whether the path has a photo extension (IMAGE_EXTENSIONS: jpg, png, webp, tif, ...)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def find_images(paths, recursive: bool = True) -> list[Path]:
    """Photos named by `paths` (one path or several): files as given, folders searched.

    Folders contribute files with a photo extension; hidden files and folders (".*", such as
    macOS "._photo.jpg" resource forks) are skipped and symlinked folders are not followed.
    Files named directly are kept whatever their extension, so load_image can say what is
    wrong with them. The result is sorted and free of duplicates.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    found: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            found.update(_images_in_folder(path, recursive))
        elif path.exists():
            found.add(path)
        else:
            raise ColorizeError(f"{path} does not exist; check the path.")
    return sorted(found)


def _images_in_folder(folder: Path, recursive: bool) -> Iterable[Path]:
    for root, dirnames, filenames in os.walk(folder):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and is_image_file(name):
                yield Path(root) / name
        if not recursive:
            return


# --------------------------------------------------------------------------- saving


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
            sixteen_bit.tiff_bytes(pixels, dpi, exif and _main_ifd_only(exif), SOFTWARE)
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
            f"{_describe(rgb)}; convert it first (LoadedImage.rgb has the right form)."
        )
    if alpha is not None and not (
        isinstance(alpha, np.ndarray) and alpha.dtype == rgb.dtype and alpha.shape == rgb.shape[:2]
    ):
        raise ColorizeError(
            f"save_image needs alpha as {rgb.dtype} {rgb.shape[:2]} (the dtype of the RGB "
            f"array, the photo's height and width), got {_describe(alpha)}; pass the alpha "
            "colorize returned, or None."
        )


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """uint16 pixels (a 16-bit photo's colours) rounded to uint8; uint8 ones as they are."""
    return _uint16_to_uint8(pixels) if pixels.dtype == np.uint16 else pixels


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {value.shape}"
    return type(value).__name__


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
        options["exif"] = _main_ifd_only(exif) if image_format == "TIFF" else exif
    if image_format == "JPEG":
        options["quality"] = JPEG_QUALITY
    elif image_format == "WEBP":
        options["quality"] = WEBP_QUALITY
    elif image_format == "TIFF":
        options["compression"] = "tiff_lzw"
    return options


def _main_ifd_only(exif: bytes) -> bytes:
    """libtiff cannot write EXIF's sub-IFDs (date taken, GPS) into a TIFF: keep the main tags."""
    main = Image.Exif()
    main.load(exif)
    for pointer in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
        main.pop(pointer, None)
    return main.tobytes()


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


# --------------------------------------------------------------------------- colour checks


def is_grey(rgb: np.ndarray, tol: int = 6, outlier_fraction: float = 0.01) -> bool:
    """Whether a uint8 RGB photo is really grey: R, G and B (nearly) equal everywhere.

    A pixel counts as coloured when its channel spread (max - min) is above `tol` (JPEG
    noise in a grey photo stays within a few levels). Up to `outlier_fraction` of coloured
    pixels are allowed, so a small coloured stamp or logo does not make a grey photo colour.
    Sepia-toned photos are not grey by this test. (H, W) arrays are grey by definition.
    """
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim not in (2, 3):
        raise ColorizeError(
            f"is_grey needs a uint8 (H, W, 3) array, got {_describe(rgb)}; use load_image(...).rgb."
        )
    if rgb.ndim == 2 or rgb.shape[2] == 1:
        return True
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # Channel by channel: several times faster than max(axis=2) over the short last axis.
    spread = np.maximum(np.maximum(red, green), blue) - np.minimum(np.minimum(red, green), blue)
    coloured = np.count_nonzero(spread > tol)
    return coloured <= outlier_fraction * spread.size
