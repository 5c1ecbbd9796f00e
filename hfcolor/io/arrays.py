"""Numpy arrays and torch tensors as photos. torch is only touched when a tensor is passed in."""

import sys

import numpy as np

from hfcolor.errors import ColorizeError
from hfcolor.io.limits import check_size
from hfcolor.io.loaded_image import LoadedImage
from hfcolor.io.pixels import grey_to_rgb, uint16_to_uint8

FLOAT_TOLERANCE = 0.05
"""Float inputs may overshoot [0, 1] by this much (resampling ringing) and are clipped."""


def load_array(array: np.ndarray, label: str, max_pixels: int | None) -> LoadedImage:
    height, width, channels = _array_layout(array, label)
    check_size(width, height, label, max_pixels)
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
    return grey_to_rgb(pixels[..., 0]) if pixels.shape[2] == 1 else np.array(pixels)


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
        return uint16_to_uint8(array)
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


def is_torch_tensor(obj) -> bool:
    # A tensor can only exist if torch was imported already, so this never imports torch.
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def load_tensor(tensor, max_pixels: int | None) -> LoadedImage:
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
    check_size(shape[-1], shape[-2], label, max_pixels)
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
    return load_array(values, label, max_pixels)


def _tensor_shape_hint(shape: tuple[int, ...]) -> str:
    if len(shape) == 4 and shape[0] == 1:
        return " For a batch of one, pass tensor[0]."
    if len(shape) == 3 and shape[2] in (1, 2, 3, 4):
        return " It looks channels-last: pass tensor.permute(2, 0, 1)."
    return ""
