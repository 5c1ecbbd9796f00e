"""The Zhang, Isola & Efros (ECCV 2016) colorization classifier.

Eight conv blocks (the paper's Table 4): blocks 1-3 downsample to 1/8, blocks 5-6 are dilated
(2), block 8 upsamples to 1/4, and a 1x1 conv gives 313-bin logits at 1/4 resolution.
`width=1.0` is the paper's network (about 32 M parameters); smaller widths scale every layer.
"""

import torch
from torch import nn

from hfcolor.hub import ColorizerHubMixin
from hfcolor.models.registry import register_class, register_model

# (channels, convs, stride of the last conv, dilation) for blocks 1-7, as in the paper.
_BLOCKS = [(64, 2, 2, 1), (128, 2, 2, 1), (256, 3, 2, 1), (512, 3, 1, 1), (512, 3, 1, 2),
           (512, 3, 1, 2), (512, 3, 1, 1)]


@register_class
class ECCV16Colorizer(nn.Module, ColorizerHubMixin):
    def __init__(self, width: float = 1.0, num_bins: int = 313):
        super().__init__()
        self.head = "classifier"
        self.hints, self.noise_channels, self.stride = False, 0, 8
        layers, in_ch = [], 1
        for channels, convs, stride, dilation in _BLOCKS:
            out_ch = max(int(channels * width), 8)
            for i in range(convs):
                s = stride if i == convs - 1 else 1
                layers += [nn.Conv2d(in_ch, out_ch, 3, s, dilation, dilation=dilation),
                           nn.ReLU(inplace=True)]
                in_ch = out_ch
            layers.append(nn.BatchNorm2d(out_ch))
        up = max(int(256 * width), 8)
        layers += [nn.ConvTranspose2d(in_ch, up, 4, 2, 1), nn.ReLU(inplace=True)]
        for _ in range(2):
            layers += [nn.Conv2d(up, up, 3, 1, 1), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(up, num_bins, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, l: torch.Tensor, hints=None, noise=None) -> dict[str, torch.Tensor]:
        return {"logits": self.net(l)}


@register_model("eccv16")
def eccv16(**overrides) -> ECCV16Colorizer:
    return ECCV16Colorizer(**overrides)


@register_model("eccv16-tiny")
def eccv16_tiny(**overrides) -> ECCV16Colorizer:
    return ECCV16Colorizer(**{"width": 0.0625, **overrides})
