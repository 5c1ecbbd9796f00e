"""Guided upsampling of ab: colour edges follow the photo's lightness edges."""

import torch
import torch.nn.functional as F

from hfcolor.upsampling import apply_coefficients, guided_coefficients, upsample_rows


def _upsampled(ab_small, lightness_small, lightness, radius=2):
    coefficients = guided_coefficients(ab_small, lightness_small, radius=radius)
    height, width = lightness.shape[-2:]
    return apply_coefficients(upsample_rows(coefficients, 0, height, height, width), lightness)


def _edge_scene(scale=8, size=24):
    """A dark left half and a light right half; the network's colour sits on the dark half but
    is soft across the edge, as a network's output is."""
    lightness = torch.full((1, 1, size * scale, size * scale), 30.0)
    lightness[..., size * scale // 2:] = 80.0
    lightness_small = F.avg_pool2d(lightness, scale)
    ab_small = torch.zeros(1, 2, size, size)
    ab_small[:, 0, :, : size // 2] = 40.0
    ab_small = F.avg_pool2d(F.pad(ab_small, (1, 1, 0, 0), mode="replicate"), (1, 3), stride=1)
    return ab_small, lightness_small, lightness


def test_radius_zero_is_plain_bilinear_upsampling():
    ab_small, lightness_small, lightness = _edge_scene()
    plain = F.interpolate(ab_small, size=lightness.shape[-2:], mode="bilinear",
                          align_corners=False)
    guided = _upsampled(ab_small, lightness_small, lightness, radius=0)
    assert torch.allclose(guided, plain, atol=1e-4)


def test_colour_stops_at_the_lightness_edge():
    ab_small, lightness_small, lightness = _edge_scene()
    plain = F.interpolate(ab_small, size=lightness.shape[-2:], mode="bilinear",
                          align_corners=False)
    guided = _upsampled(ab_small, lightness_small, lightness)
    middle = lightness.shape[-1] // 2
    light_side = slice(middle, middle + 12)  # the first pixels past the edge
    assert plain[:, 0, :, light_side].mean() > 5  # bilinear: red runs onto the light half
    assert guided[:, 0, :, light_side].mean() < 0.7 * plain[:, 0, :, light_side].mean()
    dark_side = slice(middle - 12, middle)
    assert guided[:, 0, :, dark_side].mean() > plain[:, 0, :, dark_side].mean()


def test_flat_colour_and_flat_regions_are_kept():
    lightness_small = torch.rand(1, 1, 20, 30) * 100
    ab_small = torch.tensor([12.0, -7.0]).view(1, 2, 1, 1).expand(3, 2, 20, 30)
    lightness = F.interpolate(lightness_small, size=(80, 120), mode="bilinear")
    assert torch.allclose(_upsampled(ab_small, lightness_small, lightness),
                          ab_small[..., :1, :1].expand(3, 2, 80, 120), atol=1e-3)


def test_tiny_renders_work():
    """A 1-pixel-high render (a 1:200 panorama at render size 192) still upsamples."""
    ab_small, lightness_small = torch.randn(1, 2, 1, 5), torch.rand(1, 1, 1, 5) * 100
    out = _upsampled(ab_small, lightness_small, torch.rand(1, 1, 3, 40) * 100)
    assert out.shape == (1, 2, 3, 40) and torch.isfinite(out).all()
