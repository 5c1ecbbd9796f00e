"""Pixel conversions that reading and saving share, and the test for a really grey photo."""

import numpy as np

from hfcolor.errors import ColorizeError


def grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[..., None], 3, axis=2)


def uint16_to_uint8(values: np.ndarray) -> np.ndarray:
    """Full 16-bit range to full 8-bit range (65535 -> 255), rounded rather than clipped."""
    return np.rint(values.astype(np.float32) / 257.0).astype(np.uint8)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """uint16 pixels (a 16-bit photo's colours) rounded to uint8; uint8 ones as they are."""
    return uint16_to_uint8(pixels) if pixels.dtype == np.uint16 else pixels


def describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {value.shape}"
    return type(value).__name__


def is_grey(rgb: np.ndarray, tol: int = 6, outlier_fraction: float = 0.01) -> bool:
    """Whether a uint8 RGB photo is really grey: R, G and B (nearly) equal everywhere.

    A pixel counts as coloured when its channel spread (max - min) is above `tol` (JPEG
    noise in a grey photo stays within a few levels). Up to `outlier_fraction` of coloured
    pixels are allowed, so a small coloured stamp or logo does not make a grey photo colour.
    Sepia-toned photos are not grey by this test. (H, W) arrays are grey by definition.
    """
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim not in (2, 3):
        raise ColorizeError(
            f"is_grey needs a uint8 (H, W, 3) array, got {describe(rgb)}; use load_image(...).rgb."
        )
    if rgb.ndim == 2 or rgb.shape[2] == 1:
        return True
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # Channel by channel: several times faster than max(axis=2) over the short last axis.
    spread = np.maximum(np.maximum(red, green), blue) - np.minimum(np.minimum(red, green), blue)
    coloured = np.count_nonzero(spread > tol)
    return coloured <= outlier_fraction * spread.size
