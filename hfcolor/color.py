"""sRGB <-> CIE Lab (D65) in torch, and the constants that scale Lab for networks.

Images are (B, 3, H, W) tensors; RGB in [0, 1], Lab with L in [0, 100] and a, b in about
[-110, 110]. Conversions run in float32 whatever comes in (float16 loses too much in the cube
roots), on the tensor's own device, through kornia.
"""

import kornia.color
import torch

L_CENTER = 50.0
L_SCALE = 50.0
AB_SCALE = 110.0
"""Network inputs are (L - 50) / 50 in [-1, 1]; network ab outputs are ab / 110 in [-1, 1]."""
GAMUT_TOLERANCE = 1e-4  # unclipped sRGB this far outside [0, 1] counts as inside (rounding)
CHROMA_FADE_L = 20.0
"""Colorized photos fade to grey within this many L units of black and white."""


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) sRGB in [0, 1] -> Lab float32."""
    return kornia.color.rgb_to_lab(rgb.float().clamp(0.0, 1.0))


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) Lab -> sRGB float32 in [0, 1], keeping L.

    ab is first clamped to [-110, 110] (the range the models produce); a colour sRGB cannot
    show at its lightness then has its chroma cut to the gamut's edge, hue and L kept
    (clipping R, G and B on their own would change its lightness: by 3.3 L units on a bold
    red, 9.8 on a bold blue; tests/test_color.py). No NaN, no wrap-around.
    """
    lab = clamp_ab(lab.float())
    rgb = kornia.color.lab_to_rgb(lab, clip=False)
    outside = ~_in_gamut(rgb)
    if outside.any():
        pixels = lab.movedim(-3, -1)[outside]  # (N, 3): usually a small share of the photo
        rgb = rgb.movedim(-3, -1)
        rgb[outside] = _to_gamut_edge(pixels)
        rgb = rgb.movedim(-1, -3)
    return torch.nan_to_num(rgb, nan=0.0).clamp(0.0, 1.0)


def _in_gamut(rgb: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """Whether unclipped sRGB has every channel (along `dim`) within [0, 1]; NaN: outside."""
    return ((rgb >= -GAMUT_TOLERANCE) & (rgb <= 1 + GAMUT_TOLERANCE)).all(dim=dim)


def _to_gamut_edge(pixels: torch.Tensor, steps: int = 12) -> torch.Tensor:
    """(N, 3) Lab colours outside sRGB -> (N, 3) sRGB of the boldest colour of the same L and
    hue inside it (bisection on the chroma scale; 12 steps: within 0.03% of the edge)."""

    def unclipped_rgb(chroma_scale: torch.Tensor) -> torch.Tensor:  # (N, 1) -> (N, 3)
        lab = torch.cat([pixels[:, :1], pixels[:, 1:] * chroma_scale], dim=1)
        return kornia.color.lab_to_rgb(lab.T[None, :, :, None], clip=False)[0, :, :, 0].T

    low = torch.zeros(len(pixels), 1, device=pixels.device)
    high = torch.ones_like(low)
    for _ in range(steps):
        middle = (low + high) / 2
        inside = _in_gamut(unclipped_rgb(middle), dim=1)[:, None]
        low, high = torch.where(inside, middle, low), torch.where(inside, high, middle)
    return unclipped_rgb(low)


def chroma_fade(L: torch.Tensor) -> torch.Tensor:
    """The factor (1 in the mid-tones, 0 at L = 0 and 100, linear within CHROMA_FADE_L of them)
    that colorized ab is scaled by.

    sRGB's gamut narrows to a point at black and white, so chroma predicted there cannot be
    shown: clipping it tints highlights (white came out as (242, 255, 252)) and shifts hue.
    Fading it is a cheap gamut prior, its width chosen on the validation photos (README)."""
    if CHROMA_FADE_L <= 0:
        return torch.ones_like(L)
    return (torch.minimum(L, 100.0 - L) / CHROMA_FADE_L).clamp(0.0, 1.0)


def clamp_ab(lab: torch.Tensor) -> torch.Tensor:
    """Clamp L to [0, 100] and a, b to [-AB_SCALE, AB_SCALE]."""
    L, ab = lab[..., :1, :, :], lab[..., 1:, :, :]
    return torch.cat([L.clamp(0.0, 100.0), ab.clamp(-AB_SCALE, AB_SCALE)], dim=-3)


_SRGB_TO_LINEAR: dict[int, torch.Tensor] = {}  # bits -> table, built on first use
_Y_WEIGHTS = (0.212671, 0.715160, 0.072169)  # sRGB D65 -> Y, the row kornia uses


def lightness_from_srgb_ints(rgb: torch.Tensor, bits: int = 8) -> torch.Tensor:
    """(..., 3, H, W) integer sRGB of `bits` bits (8: uint8, 16: int32 holding 0-65535) ->
    (..., 1, H, W) float32 L, without the a, b work.

    A table linearises the levels, so a 12 MP photo costs a gather and a cube root instead of
    a full Lab conversion; equal to rgb_to_lab(rgb / (2**bits - 1))[:, :1] within 1e-3.
    """
    if bits not in _SRGB_TO_LINEAR:
        levels = torch.arange(2**bits, dtype=torch.float64) / (2**bits - 1)
        _SRGB_TO_LINEAR[bits] = torch.where(levels > 0.04045, ((levels + 0.055) / 1.055) ** 2.4,
                                            levels / 12.92).float()
    table = _SRGB_TO_LINEAR[bits].to(rgb.device)
    linear = table[rgb.long()]
    r, g, b = linear.unbind(dim=-3)
    y = (_Y_WEIGHTS[0] * r + _Y_WEIGHTS[1] * g + _Y_WEIGHTS[2] * b).unsqueeze(-3)
    cube = torch.where(y > 0.008856, y.clamp_min(0.008856).pow(1 / 3), 7.787 * y + 4 / 29)
    return 116.0 * cube - 16.0


def normalize_l(L: torch.Tensor) -> torch.Tensor:
    return (L - L_CENTER) / L_SCALE


def normalize_ab(ab: torch.Tensor) -> torch.Tensor:
    return ab / AB_SCALE


def denormalize_l(L: torch.Tensor) -> torch.Tensor:
    return L * L_SCALE + L_CENTER


def denormalize_ab(ab: torch.Tensor) -> torch.Tensor:
    return ab * AB_SCALE


def grey_to_rgb(L: torch.Tensor) -> torch.Tensor:
    """The grey baseline: keep L, set ab to 0."""
    return lab_to_rgb(torch.cat([L, torch.zeros_like(L).repeat_interleave(2, dim=-3)], dim=-3))
