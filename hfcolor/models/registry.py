"""Models created by name, as in timm: `create_model("unet-lite0", **overrides)`."""

from collections.abc import Callable

import torch

from hfcolor.errors import ColorizeError

_MODELS: dict[str, Callable[..., torch.nn.Module]] = {}
_CLASSES: dict[str, type] = {}


def register_model(name: str):
    """Decorator for a function `(**overrides) -> nn.Module` that builds a named variant."""

    def wrap(fn):
        _MODELS[name] = fn
        return fn

    return wrap


def register_class(cls: type) -> type:
    """Record a model class so a saved config.json can name it and be rebuilt."""
    _CLASSES[cls.__name__] = cls
    return cls


def create_model(name: str, **overrides) -> torch.nn.Module:
    if name not in _MODELS:
        raise ColorizeError(f"Unknown model {name!r}. Known models: {', '.join(list_models())}.")
    return _MODELS[name](**overrides)


def list_models() -> list[str]:
    return sorted(_MODELS)


def model_class(class_name: str) -> type:
    if class_name not in _CLASSES:
        raise ColorizeError(
            f"config.json names model class {class_name!r}, which this hfcolor does not know "
            f"({', '.join(sorted(_CLASSES))}). Upgrade hfcolor or check the folder."
        )
    return _CLASSES[class_name]
