"""The pix2pix 70x70 PatchGAN discriminator (C64-C128-C256-C512, 4x4 kernels), conditioned on L."""

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from hfcolor.hub import ColorizerHubMixin
from hfcolor.models.registry import register_class, register_model


@register_class
class PatchDiscriminator(nn.Module, ColorizerHubMixin):
    """Scores overlapping 70x70 patches of (L, ab) as real or colorized; outputs logits."""

    def __init__(self, base_channels: int = 64, spectral_norm: bool = True):
        super().__init__()
        wrap = _spectral_norm if spectral_norm else (lambda layer: layer)
        widths = [base_channels * m for m in (1, 2, 4, 8)]
        layers, in_ch = [], 3
        for i, width in enumerate(widths):
            stride = 1 if i == len(widths) - 1 else 2
            layers.append(wrap(nn.Conv2d(in_ch, width, 4, stride, 1)))
            if i > 0:
                layers.append(nn.InstanceNorm2d(width, affine=True))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            in_ch = width
        layers.append(wrap(nn.Conv2d(in_ch, 1, 4, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, l: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([l, ab], dim=1))


@register_model("patchgan")
def patchgan(**overrides) -> PatchDiscriminator:
    return PatchDiscriminator(**overrides)


@register_model("patchgan-tiny")
def patchgan_tiny(**overrides) -> PatchDiscriminator:
    return PatchDiscriminator(**{"base_channels": 4, **overrides})


@register_model("patchgan-small")
def patchgan_small(**overrides) -> PatchDiscriminator:
    """Half-width PatchGAN (about a quarter of the FLOPs), for CPU training."""
    return PatchDiscriminator(**{"base_channels": 32, **overrides})
