"""Loading and saving photos, and the input checks that come with them.

Every way a photo can arrive (a path, bytes, a PIL image, a numpy array, a torch tensor) ends
up as a `LoadedImage`: uint8 RGB plus the alpha channel kept aside, and the 16-bit pixels too
when the photo has them. Anything that cannot be used raises `ColorizeError` with a message
that says what to do.

    reading.py       load_image(): paths, bytes, file objects, PIL images
    arrays.py        numpy arrays and torch tensors
    loaded_image.py  LoadedImage, what every input becomes
    limits.py        the pixel limit and aspect ratio, checked from the file header
    metadata.py      EXIF, orientation and DPI in; EXIF out (Software: hfcolor)
    saving.py        save_image(): every format, atomically
    sixteen_bit.py   16-bit TIFF samples in, 16-bit PNG and TIFF out (beyond Pillow)
    pixels.py        shared pixel conversions, is_grey()
    files.py         finding photos in folders, making output folders

Only numpy and Pillow are imported here; torch is only touched when a tensor is passed in.
"""

from hfcolor.io.arrays import FLOAT_TOLERANCE
from hfcolor.io.files import IMAGE_EXTENSIONS, find_images, is_image_file, make_output_folder
from hfcolor.io.limits import MAX_ASPECT_RATIO, MAX_PIXELS, header_size
from hfcolor.io.loaded_image import LoadedImage
from hfcolor.io.metadata import SOFTWARE, SOFTWARE_NAME, made_by_hfcolor, output_exif
from hfcolor.io.pixels import is_grey, to_uint8
from hfcolor.io.reading import load_image
from hfcolor.io.saving import (
    JPEG_MAX_EXIF,
    JPEG_QUALITY,
    WEBP_MAX_SIDE,
    WEBP_QUALITY,
    keeps_alpha,
    save_image,
)

__all__ = [
    "FLOAT_TOLERANCE", "IMAGE_EXTENSIONS", "JPEG_MAX_EXIF", "JPEG_QUALITY", "MAX_ASPECT_RATIO",
    "MAX_PIXELS", "SOFTWARE", "SOFTWARE_NAME", "WEBP_MAX_SIDE", "WEBP_QUALITY", "LoadedImage",
    "find_images", "header_size", "is_grey", "is_image_file", "keeps_alpha", "load_image",
    "made_by_hfcolor", "make_output_folder", "output_exif", "save_image", "to_uint8",
]
