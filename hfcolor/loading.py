"""`from_pretrained()`: the bundled default model, a local folder, or a Hub repo id."""

from functools import lru_cache
from pathlib import Path

import torch

from hfcolor import hub
from hfcolor.errors import ColorizeError
from hfcolor.models import create_model, list_models, model_class

__all__ = ["create_model", "from_pretrained", "list_models"]


def from_pretrained(model: str | Path | None = None, device: str | torch.device = "cpu",
                    **kwargs) -> torch.nn.Module:
    """Load a saved model; with no argument, the bundled default model (offline).

    `model` may also name a bundled model folder (e.g. "hfcolor-unet-lite0-classifier").
    """
    from hfcolor.pipeline import resolve_device

    device = resolve_device(device)
    path = locate(model)
    cls = model_class(hub.read_config(path).get("model_class", "UNetColorizer"))
    return cls.from_pretrained(path, map_location=str(device), **kwargs).to(device)


@lru_cache(maxsize=4)
def cached_model(model: str | None, device: str) -> torch.nn.Module:
    """One loaded copy per (model, device), for the CLI and the demo."""
    return from_pretrained(model, device=device)


def locate(model: str | Path | None) -> str:
    if model is None:
        return str(hub.default_model_path())
    if not isinstance(model, str | Path) or not str(model):
        raise ColorizeError(f"model {model!r} is not a name, folder or Hub id; pass e.g. "
                            f"{hub.DEFAULT_MODEL!r}, a folder path or 'user/model'.")
    model = Path(model).expanduser() if str(model).startswith("~") else model
    bundled = hub.BUNDLED_MODELS / str(model)
    if not Path(model).exists() and (bundled / hub.WEIGHTS_NAME).is_file():
        return str(bundled)
    return str(model)
