"""16-bit photos: what Pillow cannot do at 16 bits per channel (it keeps 16 bits for grey
only), done with tifffile (scikit-image's dependency) and numpy.

Reading a 48- or 64-bit TIFF's samples, turning them upright as EXIF says, and writing 16-bit
RGB(A) PNGs and TIFFs with the photo's DPI and descriptive tags.
"""

import io
import struct
import zlib
from datetime import datetime

import numpy as np
from PIL import Image


def tiff_samples(image: Image.Image, file, upright: bool) -> np.ndarray | None:
    """The uint16 (H, W, C) samples of a TIFF with 16 bits per RGB(A) sample, else None.

    image: the TIFF as Pillow decoded it (at 8 bits), file: its path or open file, upright:
    whether Pillow turned it as its Orientation tag says while decoding (then so are these).
    """
    if image.format != "TIFF" or image.mode not in ("RGB", "RGBA") or file is None:
        return None
    if set(image.tag_v2.get(258, ())) != {16}:  # BitsPerSample
        return None
    import tifffile  # scikit-image's dependency; only 16-bit TIFFs need it

    try:
        if hasattr(file, "seek"):
            file.seek(0)
        with tifffile.TiffFile(file) as tiff:
            page = tiff.pages[0]
            samples, axes, orientation = page.asarray(), page.axes, int(page.tags.valueof(274, 1))
    except Exception:  # tifffile raises many kinds; Pillow's 8 bits still serve
        return None
    if samples.dtype != np.uint16 or samples.ndim != 3:
        return None
    if axes.startswith("S"):
        samples = np.moveaxis(samples, 0, -1)
    if upright:
        samples = oriented(samples, orientation)
    return samples if _same_photo(samples, np.asarray(image)) else None


def _same_photo(deep: np.ndarray, decoded: np.ndarray) -> bool:
    """Whether 16-bit samples are what Pillow decoded at 8 bits (layout, orientation, order)."""
    if deep.shape[:2] != decoded.shape[:2] or deep.shape[2] < 3:
        return False
    difference = (deep[..., :3] >> 8).astype(np.int16) - decoded[..., :3]
    return bool(np.abs(difference).max() <= 1)


def oriented(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """What ImageOps.exif_transpose does to a photo, done to a numpy (H, W, C) array."""
    turns = {3: 2, 6: -1, 8: 1}  # np.rot90 quarter turns, counter-clockwise
    if orientation in (2, 4):
        pixels = pixels[:, ::-1] if orientation == 2 else pixels[::-1]
    elif orientation in (5, 7):
        pixels = pixels if orientation == 5 else pixels[::-1, ::-1]
        pixels = pixels.transpose(1, 0, 2)
    elif orientation in turns:
        pixels = np.rot90(pixels, turns[orientation])
    return np.ascontiguousarray(pixels)


def tiff_bytes(pixels: np.ndarray, dpi, exif: bytes | None, software: str) -> bytes:
    """uint16 (H, W, 3|4) as a 16-bit TIFF; exif: main-IFD tags only (no sub-IFDs)."""
    import tifffile

    tags = Image.Exif()
    tags.load(exif or b"")
    text = {tag: str(tags[tag]).encode() for tag in _TIFF_TEXT_TAGS if tag in tags}  # UTF-8
    encoded = io.BytesIO()  # tifffile wants a named file, not the descriptor save_image has
    tifffile.imwrite(
        encoded, pixels, photometric="rgb", compression="zlib", predictor=True,
        extrasamples=["unassalpha"] if pixels.shape[2] == 4 else None,
        resolution=tuple(dpi) if dpi else None, resolutionunit="INCH" if dpi else None,
        description=text.pop(0x010E, None), datetime=_tiff_datetime(tags.get(0x0132)),
        software=software, metadata=None,
        extratags=[(tag, "s", 0, value, True) for tag, value in text.items()],
    )
    return encoded.getvalue()


_TIFF_TEXT_TAGS = (0x010E, 0x010F, 0x0110, 0x013B, 0x8298)
"""ImageDescription, Make, Model, Artist, Copyright: what a TIFF's own tags say of the photo."""


def _tiff_datetime(value) -> str | None:
    """EXIF DateTime if it is the "YYYY:MM:DD HH:MM:SS" tifffile insists on, else None."""
    try:
        return datetime.strptime(str(value), "%Y:%m:%d %H:%M:%S").strftime("%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def png_bytes(pixels: np.ndarray, dpi, exif: bytes | None) -> bytes:
    """A 16-bit RGB(A) PNG: each row Sub-filtered (PNG filter 1), then deflated."""
    height, width, channels = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 16, 6 if channels == 4 else 2, 0, 0, 0)
    chunks = [(b"IHDR", header)]
    if dpi:
        per_metre = [round(value / 0.0254) for value in dpi]
        chunks.append((b"pHYs", struct.pack(">IIB", *per_metre, 1)))
    if exif:
        chunks.append((b"eXIf", exif.removeprefix(b"Exif\x00\x00")))
    chunks += [(b"IDAT", _deflated_rows(pixels)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks)


def _deflated_rows(pixels: np.ndarray, rows_per_block: int = 256) -> bytes:
    """PNG image data, filtered and deflated a block of rows at a time (bounds the copies)."""
    height, width, channels = pixels.shape
    step = channels * 2  # bytes per pixel: the Sub filter's distance
    deflate = zlib.compressobj(6)
    parts = []
    for top in range(0, height, rows_per_block):
        rows = pixels[top:top + rows_per_block].astype(">u2").view(np.uint8)
        rows = rows.reshape(len(rows), width * step)
        filtered = np.empty((len(rows), rows.shape[1] + 1), dtype=np.uint8)
        filtered[:, 0] = 1
        filtered[:, 1:step + 1] = rows[:, :step]
        np.subtract(rows[:, step:], rows[:, :-step], out=filtered[:, step + 1:])  # wraps mod 256
        parts.append(deflate.compress(filtered.tobytes()))
    return b"".join(parts) + deflate.flush()
