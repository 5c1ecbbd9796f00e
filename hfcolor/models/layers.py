"""Small building blocks shared by the generators and the discriminator."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm


def conv(in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1, dilation: int = 1,
         spectral: bool = False, bias: bool = True) -> nn.Conv2d:
    padding = dilation * (kernel - 1) // 2
    layer = nn.Conv2d(in_ch, out_ch, kernel, stride, padding, dilation=dilation, bias=bias)
    return _spectral_norm(layer) if spectral else layer


class ConvBlock(nn.Sequential):
    """Two 3x3 conv-BN-ReLU layers."""

    def __init__(self, in_ch: int, out_ch: int, spectral: bool = False):
        super().__init__(
            conv(in_ch, out_ch, spectral=spectral, bias=False), nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            conv(out_ch, out_ch, spectral=spectral, bias=False), nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


class SelfAttention(nn.Module):
    """SAGAN self-attention (as in DeOldify's generator); starts as the identity (gamma = 0)."""

    def __init__(self, channels: int, spectral: bool = False):
        super().__init__()
        inner = max(channels // 8, 1)
        self.query = conv(channels, inner, kernel=1, spectral=spectral)
        self.key = conv(channels, inner, kernel=1, spectral=spectral)
        self.value = conv(channels, channels, kernel=1, spectral=spectral)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = self.query(x).flatten(2).transpose(1, 2)
        k = self.key(x).flatten(2).transpose(1, 2)
        v = self.value(x).flatten(2).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v)
        return x + self.gamma * out.transpose(1, 2).reshape_as(x)


def resize_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if x.shape[-2:] == like.shape[-2:]:
        return x
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class GlobalContext(nn.Module):
    """The backbone's own ImageNet head (1x1 conv, BN, activation), pooled over the photo and
    added to every position of the bottleneck (Iizuka et al.'s global fusion).

    The head's 1280 features are what the ImageNet classifier reads, so they name the scene
    even for classes the colorization data lacks. The projection starts at zero, so a trained
    model given this block behaves exactly as before until it learns to use it.
    """

    def __init__(self, backbone: str, channels: int):
        super().__init__()
        import timm

        net = timm.create_model(backbone, pretrained=False)
        self.head = nn.Sequential(net.conv_head, net.bn2)
        self.project = nn.Linear(net.num_features, channels)
        nn.init.zeros_(self.project.weight)
        nn.init.zeros_(self.project.bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        context = self.head(features).mean((2, 3))
        return self.project(context)[:, :, None, None]
