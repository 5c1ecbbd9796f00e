"""U-Net colorization generator on any timm backbone.

Input: normalised lightness (B, 1, H, W), optional user hints (B, 3, H, W) = (a, b, mask) and
a noise code for diverse results (one vector per photo spread over the whole map with
`global_noise`, as in BicycleGAN, or a map at the bottleneck's resolution). Output heads:
  "regression": ab in [-1, 1] (tanh; times AB_SCALE gives Lab units), upsampled to the input size,
  "classifier": 313-bin logits (Zhang et al.) at 1/4 resolution,
  "both": both, on one trunk.
With `class_names`, a semantic auxiliary head (ChromaGAN) predicts the photo's class from the
bottleneck ("classes": (B, len(class_names)) logits); training uses it, colorize() never runs it.
"""

import timm
import torch
from torch import nn

from hfcolor.hub import ColorizerHubMixin
from hfcolor.models.layers import ConvBlock, GlobalContext, SelfAttention, conv, resize_to
from hfcolor.models.registry import register_class, register_model

HEADS = ("regression", "classifier", "both")


@register_class
class UNetColorizer(nn.Module, ColorizerHubMixin):
    def __init__(
        self,
        backbone: str = "tf_efficientnet_lite0",
        decoder_channels: tuple[int, ...] = (192, 96, 48, 24),
        head: str = "regression",
        num_bins: int = 313,
        hints: bool = True,
        noise_channels: int = 8,
        attention: bool = True,
        spectral_norm: bool = False,
        classifier_stride: int = 4,
        class_names: list[str] | None = None,
        global_noise: bool = False,
        saturation: float = 1.0,
        global_context: bool = False,
    ):
        """saturation: the model's own colour strength, chosen on validation photos after
        training; colorize() multiplies its ab by this (and then by the user's saturation).
        global_context: add the backbone's pooled ImageNet head features to the bottleneck."""
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, not {head!r}")
        if isinstance(saturation, bool) or not isinstance(saturation, int | float) or not (
                0 <= saturation <= 4):
            raise ValueError(f"saturation must be a number from 0 to 4, not {saturation!r}")
        self.head, self.hints, self.noise_channels = head, hints, noise_channels
        self.global_noise, self.saturation = global_noise, saturation
        self.in_chans = 4 if hints else 1
        self.encoder = timm.create_model(
            backbone, pretrained=False, features_only=True, in_chans=self.in_chans
        )
        channels = self.encoder.feature_info.channels()
        reductions = self.encoder.feature_info.reduction()
        # One decoder stage per skip; fewer widths stop the decoder early (4 of 5: ab is
        # predicted at 1/2 resolution, which halves training cost; ab is smooth anyway).
        if not 1 <= len(decoder_channels) <= len(channels):
            raise ValueError(f"decoder_channels takes 1 to {len(channels)} widths for {backbone}")
        self.stride = reductions[-1]
        self.attention = SelfAttention(channels[-1], spectral_norm) if attention else nn.Identity()
        self.context = GlobalContext(backbone, channels[-1]) if global_context else None
        skips = [self.in_chans] + channels[:-1]
        out_reductions = [1] + reductions[:-1]
        widths = [channels[-1]] + list(decoder_channels)
        self.stages = nn.ModuleList(
            ConvBlock(widths[i] + skips[-1 - i] + noise_channels, widths[i + 1], spectral_norm)
            for i in range(len(decoder_channels))
        )
        self.stage_reductions = out_reductions[::-1]
        if classifier_stride not in self.stage_reductions:
            raise ValueError(f"classifier_stride must be one of {self.stage_reductions}")
        self.classifier_stage = self.stage_reductions.index(classifier_stride)
        self.class_names = list(class_names or [])
        if self.class_names:
            self.semantic_head = nn.Linear(channels[-1], len(self.class_names))
        if head in ("regression", "both"):
            self.ab_head = nn.Sequential(conv(decoder_channels[-1], 2), nn.Tanh())
        if head in ("classifier", "both"):
            width = decoder_channels[self.classifier_stage]
            self.class_head = nn.Sequential(conv(width, width), nn.ReLU(inplace=True),
                                            nn.Conv2d(width, num_bins, 1))

    def noise_shape(self, batch: int, height: int, width: int) -> tuple[int, ...]:
        """One code per photo (global_noise), else a map at the bottleneck's resolution.

        A map lets each region change on its own, which shows as blotches; one code per photo
        makes the decoder choose a whole consistent colouring per sample."""
        if self.global_noise:
            return (batch, self.noise_channels, 1, 1)
        return (batch, self.noise_channels, max(height // self.stride, 1),
                max(width // self.stride, 1))

    def forward(self, l: torch.Tensor, hints: torch.Tensor | None = None,
                noise: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        return self.decode(self.encode(l, hints), noise)

    def encode(self, l: torch.Tensor, hints: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Input and encoder features; noise enters only the decoder, so samples share this."""
        x = self._inputs(l, hints)
        features = self.encoder(x)
        last = self.attention(features[-1])
        if self.context is not None:
            last = last + self.context(features[-1])
        return [x] + features[:-1] + [last]

    def decode(self, features: list[torch.Tensor], noise: torch.Tensor | None = None,
               heads: tuple[str, ...] = ("ab", "logits", "classes")) -> dict[str, torch.Tensor]:
        """The heads' outputs; `heads` leaves out work nobody will read (e.g. logits)."""
        skips, y = features[:-1], features[-1]
        if noise is None:
            noise = y.new_zeros(self.noise_shape(len(y), *skips[0].shape[-2:]))
        out = {}
        if self.class_names and "classes" in heads:
            out["classes"] = self.semantic_head(y.mean((2, 3)))
        for i, stage in enumerate(self.stages):
            skip = skips[-1 - i]
            parts = [resize_to(y, skip), skip]
            if self.noise_channels:
                parts.append(resize_to(noise, skip))
            y = stage(torch.cat(parts, dim=1))
            if i == self.classifier_stage and self.head != "regression" and "logits" in heads:
                out["logits"] = self.class_head(y)
        if self.head != "classifier" and "ab" in heads:
            out["ab"] = resize_to(self.ab_head(y), skips[0])
        return out

    def _inputs(self, l: torch.Tensor, hints: torch.Tensor | None) -> torch.Tensor:
        if not self.hints:
            return l
        if hints is None:
            hints = l.new_zeros(len(l), 3, *l.shape[-2:])
        return torch.cat([l, hints.to(l.dtype)], dim=1)


@register_model("unet-lite0")
def unet_lite0(**overrides) -> UNetColorizer:
    """The default generator: EfficientNet-Lite0 encoder, regression + classifier heads."""
    return UNetColorizer(**{"backbone": "tf_efficientnet_lite0", "head": "both", **overrides})


@register_model("unet-lite0-classifier")
def unet_lite0_classifier(**overrides) -> UNetColorizer:
    return UNetColorizer(**{"backbone": "tf_efficientnet_lite0", "head": "classifier",
                            **overrides})


@register_model("unet-tiny")
def unet_tiny(**overrides) -> UNetColorizer:
    """A few-thousand-parameter variant for tests."""
    defaults = dict(backbone="test_efficientnet", decoder_channels=(16, 8, 8, 8),
                    head="both", noise_channels=2, num_bins=313)
    return UNetColorizer(**{**defaults, **overrides})
