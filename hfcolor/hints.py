"""User colour hints (Zhang et al., SIGGRAPH 2017): sparse ab values plus a mask.

Hint channels are (a / AB_SCALE, b / AB_SCALE, mask), at the network's input resolution.
An all-zero mask means "fully automatic".
"""

import colorsys
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np
import torch

from hfcolor.color import normalize_ab, rgb_to_lab
from hfcolor.errors import ColorizeError


@dataclass(frozen=True)
class Hint:
    """A colour the user knows: pixel (x, y) in the photo's own coordinates, RGB 0-255."""

    x: float
    y: float
    color: tuple[int, int, int]
    radius: int = 2  # half-side of the hint square, in network pixels


HINT_REACH = 0.4
"""How far a hint's colour spreads after the network: the geodesic distance, as a share of the
render size's long side, at which its pull falls to 1/e (propagate_hints). Wider reaches scored
higher with hints taken from the originals (bench/bench_hints.py) but spilled onto neighbours."""
HINT_SMOOTHING = 2.0
"""Gaussian sigma (network pixels) over the lightness first, so fine texture is no edge."""
HINT_EDGE_COST = 2.0
"""Extra geodesic distance per L unit of lightness gradient, so a hint stops at edges."""
MAX_HINTS = 256  # each is spread on its own (~12 ms on a CPU core): 20,000 took 4 minutes


def as_hints(hints) -> tuple[Hint, ...]:
    """Hints as users pass them: Hint objects or (x, y, colour) tuples, one or a list of them."""
    if isinstance(hints, Hint) or (isinstance(hints, tuple) and len(hints) == 3
                                   and isinstance(hints[0], numbers.Real)):
        hints = [hints]
    try:
        hints = [hint if isinstance(hint, Hint) else Hint(*hint) for hint in hints]
    except TypeError as err:
        raise ColorizeError(f"hints {hints!r} not understood; give a list of "
                            "hfcolor.hints.Hint(x, y, '#rrggbb') or (x, y, '#rrggbb').") from err
    if len(hints) > MAX_HINTS:
        raise ColorizeError(f"{len(hints)} hints; give at most {MAX_HINTS}.")
    for hint in hints:
        _check_hint(hint)
    return tuple(hints)


def _check_hint(hint: Hint) -> None:
    coordinates = (hint.x, hint.y)
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
               and v >= 0 for v in coordinates):
        raise ColorizeError(f"Hint position {coordinates!r} is not two finite numbers from 0; "
                            "give pixel coordinates (x, y) in the photo.")
    if isinstance(hint.radius, bool) or not isinstance(hint.radius, numbers.Integral) \
            or not 0 <= hint.radius <= 32:
        raise ColorizeError(f"Hint radius {hint.radius!r} is not a whole number in 0..32 "
                            "(network pixels); the default is 2.")
    parse_color(hint.color)


_NUMBER = r"\s*([0-9]+(?:\.[0-9]+)?)\s*"  # a plain decimal: no sign, exponent or percent
_PERCENT = r"\s*([0-9]+(?:\.[0-9]+)?)%\s*"
_FLAGS = re.IGNORECASE | re.ASCII
_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})", _FLAGS)
_RGB = re.compile(rf"(rgba?)\({_NUMBER},{_NUMBER},{_NUMBER}(?:,{_NUMBER})?\)", _FLAGS)
_HSL = re.compile(rf"(hsla?)\({_NUMBER},{_PERCENT},{_PERCENT}(?:,{_NUMBER})?\)", _FLAGS)
COLOR_FORMS = ("'#rrggbb', '#rgb' or '#rrggbbaa'; 'rgb(r, g, b)' or 'rgba(r, g, b, a)' with "
               "r, g, b from 0 to 255 and a from 0 to 1; 'hsl(h, s%, l%)' or 'hsla(h, s%, l%, a)' "
               "with h from 0 to 360; or an (r, g, b) tuple of whole numbers 0-255")
"""What parse_color takes, as its error message says it."""


def parse_position(text: str) -> float:
    """A typed pixel coordinate (a plain decimal, e.g. '120' or '80.5') as a float."""
    match = re.fullmatch(_NUMBER, text, _FLAGS)
    if match is None:
        raise ColorizeError(f"{text.strip()!r} is not a pixel coordinate; give a plain number "
                            "from 0, e.g. 120 or 80.5.")
    return float(match.group(1))


def parse_color(color) -> tuple[int, int, int]:
    """A colour as users and colour pickers write it -> (r, g, b) ints 0-255.

    Takes exactly (any case; spaces only around the text and beside commas):
    '#rgb', '#rrggbb', '#rrggbbaa' (hex digits only); 'rgb(r, g, b)', 'rgba(r, g, b, a)' (r, g, b
    plain decimals 0-255, rounded, as pickers may send 'rgba(209.1, 18.7, 18.7, 1)'; a 0-1);
    'hsl(h, s%, l%)', 'hsla(h, s%, l%, a)' (h 0-360, s and l 0-100); or a tuple, list or array of
    three ints 0-255. Alpha is dropped, since a hint is a colour. Anything else raises
    ColorizeError: floats in a tuple (fractions 0-1 would otherwise read as near black),
    percentages or exponents in rgb(), signs, named colours.
    """
    rgb = _parse_color_text(color.strip()) if isinstance(color, str) else _parse_color_values(color)
    if rgb is None:
        raise ColorizeError(f"Colour {color!r} not understood; give {COLOR_FORMS}.")
    return rgb


def _parse_color_values(color) -> tuple[int, int, int] | None:
    if not isinstance(color, (tuple, list, np.ndarray)) or len(color) != 3:
        return None
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 <= v <= 255
               for v in color):
        return None
    return tuple(int(v) for v in color)


def _parse_color_text(text: str) -> tuple[int, int, int] | None:
    if match := _HEX.fullmatch(text):
        digits = match[1][:6] if len(match[1]) > 3 else "".join(c * 2 for c in match[1])
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
    if match := _RGB.fullmatch(text):
        name, *rgb, alpha = match.groups()
        rgb = [float(v) for v in rgb]
        if _alpha_fits(name, alpha) and all(v <= 255 for v in rgb):
            return tuple(math.floor(v + 0.5) for v in rgb)
    elif match := _HSL.fullmatch(text):
        name, hue, saturation, lightness, alpha = match.groups()
        hue, saturation, lightness = float(hue), float(saturation), float(lightness)
        if _alpha_fits(name, alpha) and hue <= 360 and saturation <= 100 and lightness <= 100:
            rgb = colorsys.hls_to_rgb(hue / 360 % 1, lightness / 100, saturation / 100)
            return tuple(math.floor(v * 255 + 0.5) for v in rgb)
    return None


def _alpha_fits(name: str, alpha: str | None) -> bool:
    """'rgb'/'hsl' take no alpha, 'rgba'/'hsla' one from 0 to 1."""
    if name.lower().endswith("a"):
        return alpha is not None and float(alpha) <= 1
    return alpha is None


def hints_to_channels(hints: list[Hint], photo_size: tuple[int, int],
                      net_size: tuple[int, int]) -> torch.Tensor:
    """Hints in photo pixels (width, height) -> (1, 3, H, W) channels at net_size (H, W)."""
    photo_w, photo_h = photo_size
    height, width = net_size
    channels = torch.zeros(1, 3, height, width)
    for hint in hints:
        if not (0 <= hint.x < photo_w and 0 <= hint.y < photo_h):
            raise ColorizeError(
                f"Hint at ({hint.x}, {hint.y}) lies outside the {photo_w}x{photo_h} photo; give "
                "pixel coordinates inside it."
            )
        ab = normalize_ab(hint_ab(hint))
        cx, cy = _net_position(hint, photo_size, net_size)
        r = hint.radius  # in network pixels, as the patches seen in training (1-9 px)
        ys, xs = slice(max(cy - r, 0), cy + r + 1), slice(max(cx - r, 0), cx + r + 1)
        channels[0, :2, ys, xs] = ab.view(2, 1, 1)
        channels[0, 2, ys, xs] = 1.0
    return channels


def hint_ab(hint: Hint) -> torch.Tensor:
    """The hint's colour as (a, b) in Lab units."""
    rgb = torch.tensor(parse_color(hint.color), dtype=torch.float32).view(1, 3, 1, 1) / 255
    return rgb_to_lab(rgb)[0, 1:, 0, 0]


def _net_position(hint: Hint, photo_size: tuple[int, int], net_size: tuple[int, int]):
    """The network pixel under the centre of the hint's photo pixel (upsampling reads each
    photo pixel at its centre: on a photo smaller than the render size the pixel's corner
    would be a long way from where its colour comes from)."""
    (photo_w, photo_h), (height, width) = photo_size, net_size
    x = min(int((int(hint.x) + 0.5) * width / photo_w), width - 1)
    y = min(int((int(hint.y) + 0.5) * height / photo_h), height - 1)
    return x, y


def propagate_hints(ab: torch.Tensor, lightness: torch.Tensor, hints: list[Hint],
                    photo_size: tuple[int, int]) -> torch.Tensor:
    """Pull the colours around each hint to the hint's own colour, along the photo's regions.

    The network takes hints as inputs but often answers them only faintly (a blue hint on a
    dress came out greyish blue), so after it each hint's remaining difference is added back,
    weighed by exp(-(d / reach)^2) with d the geodesic distance from the hint across the
    lightness, where every edge is a detour: the colour fills the region the user clicked and
    fades at its edges (in the spirit of Levin et al.'s colorization by optimization). Several
    hints share by inverse squared distance, so each hinted spot keeps its own colour.
    ab: (S, 2, h, w) Lab units at the network's resolution; lightness: (h, w) L units.
    """
    from skimage.graph import MCP_Geometric

    height, width = lightness.shape
    cost = _edge_cost(lightness.double().cpu().numpy())
    reach = HINT_REACH * max(height, width)
    pull = torch.zeros_like(ab)
    total, coverage = (torch.zeros(height, width, device=ab.device) for _ in range(2))
    for hint in hints:
        x, y = _net_position(hint, photo_size, (height, width))
        distance, _ = MCP_Geometric(cost).find_costs([(y, x)])
        distance = torch.from_numpy(distance).float().to(ab.device)
        reached = torch.exp(-(distance / reach) ** 2)
        # Where hints meet, the nearer one (geodesically) wins, and each keeps its own spot.
        weight = reached / (distance + 1) ** 2
        missing = hint_ab(hint).to(ab.device).view(1, 2) - ab[:, :, y, x]
        pull += weight * missing.view(-1, 2, 1, 1)
        total += weight
        coverage = torch.maximum(coverage, reached)
    return ab + coverage * pull / total.clamp_min(1e-12)


def _edge_cost(lightness: np.ndarray) -> np.ndarray:
    """Cost per pixel of the geodesic distance: 1, plus HINT_EDGE_COST per L unit of gradient
    of the smoothed lightness (fine texture such as a dress's stripes is no edge)."""
    from skimage.filters import gaussian

    smooth = gaussian(lightness, sigma=HINT_SMOOTHING, preserve_range=True)
    grad_y, grad_x = np.gradient(smooth)
    return 1.0 + HINT_EDGE_COST * np.hypot(grad_x, grad_y)


def simulate_hints(ab: torch.Tensor, generator: torch.Generator | None = None,
                   p_none: float = 0.5, p_stop: float = 0.125, max_patch: int = 9) -> torch.Tensor:
    """Random revealed patches for training (Zhang et al. 2017).

    Per image: no hints with probability p_none; else a geometric number of patches
    (success probability p_stop), each a square of side 1..max_patch holding its mean ab.
    ab: (B, 2, H, W) normalised. Returns (B, 3, H, W).
    """
    batch, _, height, width = ab.shape
    hints = ab.new_zeros(batch, 3, height, width)
    for i in range(batch):
        if torch.rand(1, generator=generator).item() < p_none:
            continue
        count = 1
        while torch.rand(1, generator=generator).item() > p_stop and count < 32:
            count += 1
        for _ in range(count):
            size = int(torch.randint(1, max_patch + 1, (1,), generator=generator))
            y = int(torch.randint(0, max(height - size, 1), (1,), generator=generator))
            x = int(torch.randint(0, max(width - size, 1), (1,), generator=generator))
            patch = ab[i, :, y:y + size, x:x + size]
            hints[i, :2, y:y + size, x:x + size] = patch.mean(dim=(1, 2), keepdim=True)
            hints[i, 2, y:y + size, x:x + size] = 1.0
    return hints
