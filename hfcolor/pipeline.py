"""`colorize()`: the one path a photo takes, for the Python API, the CLI and the demo.

    photo -> io.load_image -> small L at render_size (aspect kept, padded to the model's stride)
          -> model(L, hints, noise) -> ab (regression head) or 313 logits -> quantize.decode
          -> ab upsampled to the photo's size, guided by L (upsampling.py)
          -> Lab with the photo's own full-resolution L
          -> ab faded to grey near black and white -> RGB

Only ab is ever upsampled, so the output is exactly as sharp as the input.
"""

import copy
import itertools
import numbers
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from hfcolor import quantize
from hfcolor.color import (
    AB_SCALE,
    chroma_fade,
    denormalize_l,
    lab_to_rgb,
    lightness_from_srgb_ints,
    normalize_l,
    rgb_to_lab,
)
from hfcolor.errors import ColorizeError
from hfcolor.hints import Hint, as_hints, hints_to_channels, propagate_hints
from hfcolor.io import MAX_PIXELS, LoadedImage, load_image
from hfcolor.upsampling import apply_coefficients, guided_coefficients, upsample_rows

DECODERS = ("auto", "regression", "annealed_mean", "mode", "top_k", "sample")
ROWS_PER_CHUNK = 512  # full-resolution rows converted at once: bounds memory for 50 MP photos


@dataclass
class Settings:
    """How to colorize; every field is a keyword of `colorize()`."""

    render_size: int = 192  # the scale the default model saw in training (112 px crops)
    temperature: float = 0.38
    decode: str = "auto"
    saturation: float = 1.0  # scales the model's ab (times its own `saturation`): 0 grey, >1 bolder
    seed: int | None = None
    num_samples: int = 1
    hints: Sequence[Hint] = ()
    device: str | torch.device | None = None
    half: bool | None = None  # float32 weights in float16; None: on a GPU only
    max_pixels: int | None = MAX_PIXELS
    batch_size: int = 8

    def check(self):
        """Refuse, with what to do, settings that are out of range or of the wrong type; hints
        become a tuple of Hint and device a torch.device."""
        _check_number("render_size", self.render_size, 32, 2048, "try 192", whole=True)
        _check_number("temperature", self.temperature, 0.01, 2.0, "try 0.38")
        _check_number("saturation", self.saturation, 0.0, 2.0, "1 keeps the model's colours")
        if self.decode not in DECODERS:
            raise ColorizeError(f"decode {self.decode!r} is not one of {', '.join(DECODERS)}.")
        _check_number("num_samples", self.num_samples, 1, 16, "try 4", whole=True)
        _check_number("batch_size", self.batch_size, 1, 1024, "try 8", whole=True)
        if self.seed is not None:
            _check_number("seed", self.seed, 0, 2**63 - 1, "e.g. 7", whole=True)
            self.seed = int(self.seed)  # a numpy integer too: torch's manual_seed wants an int
        if self.half is not None and not isinstance(self.half, bool):
            raise ColorizeError(f"half {self.half!r} is not True, False or None (None: float16 "
                                "on a GPU only).")
        self.hints = as_hints(self.hints)
        self.device = resolve_device(self.device)


def make_settings(settings: dict) -> Settings:
    """Checked Settings from colorize()'s keywords; a misspelt one is named with the others."""
    known = set(Settings.__dataclass_fields__)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ColorizeError(f"Unknown setting {', '.join(map(repr, unknown))}; colorize takes "
                            f"{', '.join(sorted(known))}.")
    opts = Settings(**settings)
    opts.check()
    return opts


def _check_number(name: str, value, low, high, advice: str, whole: bool = False) -> None:
    kind = numbers.Integral if whole else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        number = "a whole number" if whole else "a number"
        raise ColorizeError(f"{name} {value!r} is not {number}; {advice}.", setting=name)
    if not low <= value <= high:
        bounds = f"{low}..{high}" if whole else f"{low:g}..{high:g}"
        raise ColorizeError(f"{name} {value} is outside {bounds}; {advice}.", setting=name)


def resolve_device(device) -> torch.device:
    """A torch.device from None (cuda when available), a name or a device; ColorizeError if
    torch does not know it, it is not here, or hfcolor cannot run on it."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ColorizeError(f"Unknown device {device!r}; use cpu, cuda or cuda:N.") from err
    missing = {"cpu": None, "cuda": None if torch.cuda.is_available() else "CUDA GPU",
               "mps": None if torch.backends.mps.is_available() else "Apple GPU (MPS)"}
    if device.type not in missing:
        raise ColorizeError(f"Device {str(device)!r}: hfcolor runs on cpu, cuda or mps.")
    if missing[device.type]:
        raise ColorizeError(f"Device {str(device)!r}: no {missing[device.type]} is available "
                            "here; use cpu.")
    return device


def colorize(image, model=None, **settings):
    """Colorize one photo (or a list of them) at its own resolution.

    image: a path, bytes, PIL image, numpy array or tensor, or a list of them.
    model: None (the bundled default), a model folder / Hub id / bundled name, or a loaded model.
    settings: see `Settings` — render_size, temperature, decode, saturation, seed, num_samples,
      hints, device, half, max_pixels, batch_size.
    Returns a uint8 (H, W, 3) array (uint16 for a 16-bit photo, whose 16-bit lightness is
    kept), (H, W, 4) when the input had alpha; a list of
    num_samples arrays when num_samples > 1; a list of those for a list of photos.
    Photos of a list share forward passes (batch_size); each comes out within 1 level of
    colorizing it alone (float rounding differs with the batch size).
    The model runs in eval mode and in its weights' precision (model.double(), model.half());
    a model left in train mode is colorized by an eval-mode copy, never switched.
    Raises ColorizeError for anything a user can fix; for a list, naming the photo.
    """
    opts = make_settings(settings)
    device = opts.device
    net = resolve_model(model, device)
    network_dtype(net, opts)  # refused before any photo is read
    net = _in_eval_mode(net)
    if isinstance(image, list | tuple):
        return _colorize_many(list(image), net, opts, device)
    return _colorize_one(image, net, opts, device)


def resolve_model(model, device: torch.device) -> torch.nn.Module:
    if isinstance(model, torch.nn.Module):
        check_colorizer(model, type(model).__name__)
        return model.to(device)
    from hfcolor.loading import cached_model

    net = cached_model(None if model is None else str(model), str(device))
    check_colorizer(net, str(model))
    return net


def _in_eval_mode(net: torch.nn.Module) -> torch.nn.Module:
    """net itself when all of it is in eval mode, else an eval-mode copy: switching the mode
    of a model that other threads colorize with (the demo runs two at once) could leave one of
    them in train mode, with BatchNorm on batch statistics."""
    if not any(module.training for module in net.modules()):
        return net
    return copy.deepcopy(net).eval()


def network_dtype(net: torch.nn.Module, opts: Settings) -> torch.dtype:
    """The dtype of the model's weights, which its inputs are given; ColorizeError if they mix
    dtypes or `half` asks for another precision than a converted model's own."""
    tensors = itertools.chain(net.parameters(), net.buffers())
    dtypes = sorted({str(t.dtype).removeprefix("torch.") for t in tensors if t.is_floating_point()})
    if len(dtypes) > 1:
        raise ColorizeError(f"The model's weights mix {' and '.join(dtypes)}; call model.float() "
                            "first.")
    dtype = getattr(torch, dtypes[0]) if dtypes else torch.float32
    if dtype != torch.float32 and opts.half is not None and opts.half != (dtype == torch.float16):
        raise ColorizeError(f"half={opts.half} does not fit a model whose weights are "
                            f"{dtypes[0]}; leave half out (the model runs in its own precision) "
                            "or call model.float() first.")
    return dtype


def check_colorizer(net: torch.nn.Module, name: str) -> None:
    """Refuse what is not an hfcolor colorizer (e.g. a saved PatchGAN discriminator)."""
    if not (hasattr(net, "stride") and hasattr(net, "head")):
        raise ColorizeError(f"{name} is not an hfcolor colorizer (a U-Net or ECCV16 model); "
                            "load one with hfcolor.from_pretrained(), e.g. the bundled default.")


def _colorize_one(image, net, opts: Settings, device: torch.device):
    photo = image if isinstance(image, LoadedImage) else load_image(image, opts.max_pixels)
    ab_small, lightness = predict_ab(photo, net, opts, device)
    results = [recombine(photo, ab, lightness) for ab in ab_small]
    return results[0] if opts.num_samples == 1 else results


def _colorize_many(images: list, net, opts: Settings, device: torch.device) -> list:
    """Photos whose network inputs have the same shape share a forward pass (batch_size)."""
    if opts.num_samples > 1 or opts.hints or decode_method(net, opts) == "sample":
        results = []
        for index, image in enumerate(images):
            with _naming_photo(index, len(images)):
                results.append(_colorize_one(image, net, opts, device))
        return results
    results, groups = [None] * len(images), {}
    for index, image in enumerate(images):
        with _naming_photo(index, len(images)):
            photo = image if isinstance(image, LoadedImage) else load_image(image, opts.max_pixels)
        small = _render_input(photo.rgb, opts.render_size, net.stride)
        group = groups.setdefault(small.padded_shape, [])
        group.append((index, photo, small))
        if len(group) == opts.batch_size or sum(map(len, groups.values())) > 2 * opts.batch_size:
            for key in [k for k, g in groups.items() if len(g) == opts.batch_size] or list(groups):
                _finish_group(groups.pop(key), net, opts, device, results)
    for group in groups.values():
        _finish_group(group, net, opts, device, results)
    return results


@contextmanager
def _naming_photo(index: int, count: int):
    """A ColorizeError about one photo of a list says which one (its type and traceback kept)."""
    try:
        yield
    except ColorizeError as err:
        err.args = (f"Photo {index + 1} of {count} in the list (index {index}): {err}",
                    *err.args[1:])
        raise


@torch.inference_mode()
def _finish_group(group, net, opts: Settings, device: torch.device, results: list) -> None:
    l_batch = torch.cat([_network_lightness(small, device) for _, _, small in group])
    ab = _predict(net, l_batch, None, opts, device)
    for (index, photo, small), ab_one, l_one in zip(group, ab, l_batch, strict=True):
        height, width = small.size
        lightness = denormalize_l(l_one[None, :, :height, :width])
        results[index] = recombine(photo, ab_one[:, :height, :width], lightness)


@torch.inference_mode()
def predict_ab(photo: LoadedImage, net, opts: Settings,
               device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(num_samples, 2, h, w) ab in Lab units at the network's resolution (padding removed) and
    the (1, 1, h, w) lightness it saw, the guide for upsampling."""
    small = _render_input(photo.rgb, opts.render_size, net.stride)
    l_small = _network_lightness(small, device)
    hints = None
    photo_size = photo.rgb.shape[1::-1]
    if getattr(net, "hints", False) and opts.hints:
        hints = hints_to_channels(list(opts.hints), photo_size, small.size)
        hints = F.pad(hints, small.padding).to(device)
    height, width = small.size
    ab = _predict(net, l_small, hints, opts, device)[..., :height, :width]
    lightness = denormalize_l(l_small[..., :height, :width])
    if hints is not None:
        ab = propagate_hints(ab, lightness[0, 0], list(opts.hints), photo_size)
    return ab, lightness


def _network_lightness(small: "_RenderInput", device: torch.device) -> torch.Tensor:
    l_small = normalize_l(rgb_to_lab(small.tensor.to(device))[:, :1])
    return F.pad(l_small, small.padding, mode="replicate")


def _predict(net, l_small, hints, opts: Settings, device: torch.device) -> torch.Tensor:
    dtype = network_dtype(net, opts)
    half = opts.half if opts.half is not None else device.type == "cuda"
    with torch.autocast(device.type, dtype=torch.float16, enabled=half and dtype == torch.float32):
        ab = _run_network(net, l_small.to(dtype), None if hints is None else hints.to(dtype),
                          opts).float()
    return ab * (opts.saturation * getattr(net, "saturation", 1.0))


def _run_network(net, l_small, hints, opts: Settings) -> torch.Tensor:
    """ab for a batch of photos (one sample each) or for one photo (num_samples samples)."""
    samples = max(opts.num_samples, len(l_small))
    generator = torch.Generator().manual_seed(opts.seed if opts.seed is not None else 0)
    noise = None
    if getattr(net, "noise_channels", 0):
        noise = torch.cat([_noise(net, l_small, opts, generator) for _ in range(len(l_small))])
        noise = noise.to(l_small.device, l_small.dtype)
    method = decode_method(net, opts)
    if hasattr(net, "encode"):
        features = [f.expand(samples, *f.shape[1:]) for f in net.encode(l_small, hints)]
        out = net.decode(features, noise, heads=("ab",) if method == "regression" else ("logits",))
    else:
        out = net(l_small, hints, None)
    if method == "regression":
        return out["ab"] * AB_SCALE
    logits = out["logits"].expand(samples, *out["logits"].shape[1:]).float()
    ab = quantize.decode(logits, method=method, temperature=opts.temperature,
                         generator=_decode_generator(opts.seed))
    if method == "sample" and opts.decode == "auto" and opts.seed is None:
        # as with the noise input: without a seed, sample 0 is the most typical colours
        ab[:1] = quantize.decode(logits[:1], temperature=opts.temperature)
    return F.interpolate(ab, size=l_small.shape[-2:], mode="bilinear", align_corners=False)


def _decode_generator(seed: int | None) -> torch.Generator:
    """The sampling decode's own stream: sample k's draw must not depend on how many noise maps
    were drawn before it, nor reuse their numbers (so a mixed seed, not the seed itself)."""
    return torch.Generator().manual_seed(((seed or 0) * 0x9E3779B97F4A7C15 + 1) % 2**64)


def _noise(net, l_small, opts: Settings, generator: torch.Generator) -> torch.Tensor:
    """One photo's noise maps: each photo of a batch gets what it would get alone."""
    if len(l_small) > 1:
        generator = torch.Generator().manual_seed(opts.seed if opts.seed is not None else 0)
    # One draw per sample: sample k of a seed is the same whatever num_samples (torch draws a
    # batch of 16 or more numbers from another stream than a smaller one).
    shape = net.noise_shape(1, *l_small.shape[-2:])
    noise = torch.cat([torch.randn(shape, generator=generator) for _ in range(opts.num_samples)])
    if opts.seed is None:
        noise[0] = 0  # without a seed the first sample is the model's most typical colours
    return noise


def decode_method(net, opts: Settings) -> str:
    """The decode a model and settings lead to; a ColorizeError when they cannot go together."""
    if opts.hints and not getattr(net, "hints", False):
        raise ColorizeError("This model takes no colour hints; drop the hints or use a "
                            "hint-capable model.")
    has_ab, has_logits = net.head in ("regression", "both"), net.head in ("classifier", "both")
    if opts.decode == "auto":
        sampled = opts.num_samples > 1 or opts.seed is not None  # a seed asks for a sample
        method = "regression" if has_ab else "sample" if sampled else "annealed_mean"
    elif opts.decode == "regression" and not has_ab:
        raise ColorizeError("This model is a classifier: decode with annealed_mean, mode, top_k "
                            "or sample.")
    elif opts.decode != "regression" and not has_logits:
        raise ColorizeError("This model has no classifier head: use decode='regression'.")
    else:
        method = opts.decode
    noisy = has_ab and getattr(net, "noise_channels", 0)
    if opts.num_samples > 1 and not (method == "sample" or method == "regression" and noisy):
        advice = "decode='auto'" if noisy else "decode='sample'" if has_logits else \
            "num_samples=1 (this model has no noise input)"
        raise ColorizeError(f"decode={method!r} gives this model the same colours every time, "
                            f"so {opts.num_samples} samples would be alike; use {advice}.")
    return method


@dataclass
class _RenderInput:
    tensor: torch.Tensor  # (1, 3, h, w) float RGB in [0, 1]
    size: tuple[int, int]  # (h, w) before padding
    padding: tuple[int, int, int, int]  # for F.pad: (left, right, top, bottom)

    @property
    def padded_shape(self) -> tuple[int, int]:
        return (self.size[0] + self.padding[3], self.size[1] + self.padding[1])


def _render_input(rgb: np.ndarray, render_size: int, stride: int) -> _RenderInput:
    """The photo scaled so its long side is render_size, padded up to a multiple of stride."""
    height, width = rgb.shape[:2]
    scale = render_size / max(height, width)
    h, w = max(round(height * scale), 1), max(round(width * scale), 1)
    small = Image.fromarray(rgb).resize((w, h), Image.BILINEAR, reducing_gap=3.0)
    tensor = torch.from_numpy(np.array(small)).permute(2, 0, 1)[None].float() / 255
    pad_h, pad_w = -h % stride, -w % stride
    return _RenderInput(tensor, (h, w), (0, pad_w, 0, pad_h))


def recombine(photo: LoadedImage, ab_small: torch.Tensor,
              lightness_small: torch.Tensor | None = None) -> np.ndarray:
    """Upsample ab (2, h, w) to the photo's size and join it with the photo's own L, in row
    chunks; guided by lightness_small (1, 1, h, w), the L the network saw, when given, else
    plain bilinear.

    uint8 (H, W, 3|4) for 8-bit photos; uint16 for 16-bit ones (photo.deep), whose lightness
    is taken from their 16-bit pixels."""
    height, width = photo.rgb.shape[:2]
    device = ab_small.device
    deep = photo.deep is not None
    out = np.empty((height, width, 3), dtype=np.uint16 if deep else np.uint8)
    small = ab_small[None].float()
    grey = not small.any()  # saturation 0: float Lab -> sRGB alone misses R = G = B in 16 bits
    guided = lightness_small is not None
    if guided:
        small = guided_coefficients(small, lightness_small.to(device).float())
    for top in range(0, height, ROWS_PER_CHUNK):
        bottom = min(top + ROWS_PER_CHUNK, height)
        rows = photo.deep[top:bottom].astype(np.int32) if deep else photo.rgb[top:bottom]
        rgb = torch.from_numpy(rows).to(device).permute(2, 0, 1)[None]
        lightness = lightness_from_srgb_ints(rgb, bits=16 if deep else 8)
        ab = upsample_rows(small, top, bottom, height, width)
        if guided:
            ab = apply_coefficients(ab, lightness)
        colour = lab_to_rgb(torch.cat([lightness, ab * chroma_fade(lightness)], dim=1))
        if grey:
            colour = colour[:, 1:2].expand_as(colour)
        out[top:bottom] = _to_ints(colour[0], deep).permute(1, 2, 0).cpu().numpy()
    if photo.alpha is not None:
        alpha = photo.alpha.astype(np.uint16) * 257 if deep else photo.alpha
        out = np.dstack([out, alpha])
    return out


def _to_ints(colour: torch.Tensor, deep: bool) -> torch.Tensor:
    """[0, 1] colours as uint8 levels, or 16-bit levels held in int32 (numpy makes uint16)."""
    if not deep:
        return (colour * 255).round().byte()
    return (colour * 65535).round().int()
