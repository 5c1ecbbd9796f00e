"""What a photo's file says about it (EXIF, orientation, DPI), kept on the way in and written
on the way out, with Software naming hfcolor so results can be told from originals."""

import struct

import numpy as np
from PIL import ExifTags, Image, ImageOps

from hfcolor import __version__
from hfcolor.io.limits import open_header

SOFTWARE_NAME = "hfcolor"
SOFTWARE = f"{SOFTWARE_NAME} {__version__}"
"""What colorized photos record as their EXIF Software."""

_EXIF_KEPT_TAGS = (0x010E, 0x010F, 0x0110, 0x0132, 0x013B, 0x8298)
"""ImageDescription, Make, Model, DateTime, Artist, Copyright: what a photo's EXIF says about it
(orientation, thumbnails and pixel layout describe the file, not the photo, and are dropped)."""

_EXIF_DROPPED_SUB_TAGS = frozenset({0x927C, 0xA002, 0xA003})  # MakerNote, pixel width/height


def made_by_hfcolor(path) -> bool:
    """Whether a file's EXIF Software names hfcolor (a colorized result), from its header."""
    try:
        with open_header(path) as image:
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


def exif_orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except (SyntaxError, ValueError, TypeError, KeyError, OSError, struct.error):
        return 1


def recorded_dpi(image: Image.Image) -> tuple[float, float] | None:
    dpi = image.info.get("dpi")
    try:
        x, y = (float(value) for value in dpi)
    except (TypeError, ValueError):
        return None
    # 1 DPI is what Pillow reports for a TIFF that records no resolution, never a real one.
    return (x, y) if x > 1 and y > 1 and np.isfinite([x, y]).all() else None


def recorded_exif(image: Image.Image) -> bytes | None:
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


def apply_exif_orientation(image: Image.Image, in_place: bool) -> Image.Image:
    try:
        if in_place:
            ImageOps.exif_transpose(image, in_place=True)
            return image
        return ImageOps.exif_transpose(image)
    except (SyntaxError, ValueError, TypeError, KeyError, OSError):
        # A damaged EXIF block should not cost the user their photo: keep it as stored.
        return image


def main_ifd_only(exif: bytes) -> bytes:
    """libtiff cannot write EXIF's sub-IFDs (date taken, GPS) into a TIFF: keep the main tags."""
    main = Image.Exif()
    main.load(exif)
    for pointer in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
        main.pop(pointer, None)
    return main.tobytes()
