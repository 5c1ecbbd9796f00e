"""What every input becomes: `LoadedImage`."""

from dataclasses import dataclass

import numpy as np


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
