"""Saving and loading models in the Hugging Face Hub layout.

A model folder holds `config.json` (the constructor's arguments plus `model_class`),
`model.safetensors` (weights; pickle files are refused) and `README.md` (the model card).
Loading is strict: a checkpoint with missing or unexpected keys is an error, not a warning.
"""

import json
import os
import shutil
from pathlib import Path

import safetensors.torch
import torch
from huggingface_hub import ModelCard, ModelCardData, PyTorchModelHubMixin, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
)
from huggingface_hub.utils import validate_repo_id
from safetensors import SafetensorError

from hfcolor.errors import ColorizeError

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODELS = REPO_ROOT / "models"
DEFAULT_MODEL = "hfcolor-unet-lite0"
WEIGHTS_NAME = "model.safetensors"
PICKLE_NAMES = ("pytorch_model.bin", "model.pt", "model.pth", "model.ckpt")


class ColorizerHubMixin(
    PyTorchModelHubMixin,
    library_name="hfcolor",
    tags=["image-colorization", "image-to-image"],
    license="apache-2.0",
    pipeline_tag="image-to-image",
):
    """`save_pretrained`, `from_pretrained` and `push_to_hub` for every hfcolor model."""

    def _save_pretrained(self, save_directory: Path) -> None:
        safetensors.torch.save_model(self, str(save_directory / WEIGHTS_NAME))
        config = {**(self._hub_mixin_config or {}), "model_class": type(self).__name__}
        (save_directory / "config.json").write_text(json.dumps(config, sort_keys=True, indent=2))
        # safetensors writes through a private temporary file (mode 0600): give the weights
        # the permissions every other file gets, or others cannot read a shared model folder.
        shutil.copymode(save_directory / "config.json", save_directory / WEIGHTS_NAME)

    def save_pretrained(self, save_directory, *, model_card_kwargs=None, **kwargs):
        """As in huggingface_hub, but the model card is always rewritten with the latest facts."""
        (Path(save_directory) / "README.md").unlink(missing_ok=True)
        return super().save_pretrained(save_directory, model_card_kwargs=model_card_kwargs,
                                       **kwargs)

    @classmethod
    def _from_pretrained(cls, *, model_id: str, revision, cache_dir, force_download,
                         local_files_only, token, map_location: str = "cpu", **model_kwargs):
        weights = resolve_file(model_id, WEIGHTS_NAME, revision=revision, cache_dir=cache_dir,
                               force_download=force_download, token=token,
                               local_files_only=local_files_only)
        try:
            model = cls(**model_kwargs)
        except (TypeError, ValueError, RuntimeError, IndexError) as err:
            raise ColorizeError(
                f"The config.json of {model_id} does not build a {cls.__name__} ({err}); fix "
                "the value it names, or save the model again with save_pretrained."
            ) from err
        try:
            safetensors.torch.load_model(model, weights, strict=True,
                                         device=_safetensors_device(map_location))
        except SafetensorError as err:
            raise ColorizeError(
                f"{weights} is not a readable safetensors file ({err}); it may be truncated: "
                "download or save the model again."
            ) from err
        except RuntimeError as err:
            raise ColorizeError(
                f"The weights in {model_id} do not match its config.json "
                f"({_mismatch(model, weights) or err}). Re-save the model with save_pretrained, "
                "or check that config and weights belong together."
            ) from err
        return model.eval()

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def generate_model_card(self, **info) -> ModelCard:
        from hfcolor.model_card import render_model_card

        data = ModelCardData(
            library_name="hfcolor", license="apache-2.0", pipeline_tag="image-to-image",
            tags=["image-colorization", "image-to-image", "pytorch", type(self).__name__],
        )
        return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{render_model_card(self, **info)}")


def _mismatch(model: torch.nn.Module, weights: str) -> str:
    """The keys a checkpoint lacks and has in excess, a few of each (not thousands)."""
    with safetensors.safe_open(weights, "pt") as saved:
        saved_keys = set(saved.keys())
    expected = set(model.state_dict())
    parts = []
    for label, keys in (("missing", expected - saved_keys), ("unexpected", saved_keys - expected)):
        if keys:
            shown = ", ".join(sorted(keys)[:3]) + (", ..." if len(keys) > 3 else "")
            parts.append(f"{len(keys)} {label} keys: {shown}")
    return "; ".join(parts)


def halve_weights(folder) -> Path:
    """Rewrite a model folder's floating-point weights in float16, half the download.

    Loading casts them back into the float32 model, so only shipped models should be halved:
    a training checkpoint keeps float32 to resume bit for bit."""
    path = Path(folder) / WEIGHTS_NAME
    state = safetensors.torch.load_file(str(path))
    state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    safetensors.torch.save_file(state, str(path), metadata={"format": "pt"})
    return path


def resolve_file(model_id: str, filename: str, **download_kwargs) -> str:
    """Path of `filename` in a local model folder or a Hub repo; a ColorizeError otherwise."""
    folder = Path(model_id)
    if folder.is_dir():
        path = folder / filename
        if path.is_file():
            return str(path)
        _refuse_pickles(folder, filename)
        raise ColorizeError(f"{folder} has no {filename}; save the model with save_pretrained().")
    if folder.exists() or model_id.count("/") != 1 or model_id.startswith((".", "/")):
        raise ColorizeError(
            f"{model_id!r} is neither a model folder nor a Hub repo id like 'user/model'. "
            "Pass a folder with config.json and model.safetensors, a bundled model ("
            f"{', '.join(bundled_model_names())}), or nothing for the bundled default model."
        )
    return _download(model_id, filename, **download_kwargs)


def _download(repo_id: str, filename: str, **kwargs) -> str:
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        kwargs["local_files_only"] = True
    unreachable = (
        f"Could not get {filename} of {repo_id} from the Hugging Face Hub ({{}}). Check the repo "
        "id and your connection, or download the repo and pass its folder path instead."
    )
    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        raise ColorizeError(
            f"{repo_id!r} is neither a model folder nor a valid Hub repo id ({err}). Pass an "
            "existing folder, a bundled model or a Hub id like 'user/model'."
        ) from err
    try:
        return hf_hub_download(repo_id=repo_id, filename=filename, etag_timeout=5, **kwargs)
    except (LocalEntryNotFoundError, HfHubHTTPError) as err:  # before its base class below
        raise ColorizeError(unreachable.format(type(err).__name__)) from err
    except EntryNotFoundError as err:
        raise ColorizeError(
            f"Hub repo {repo_id} has no {filename}. hfcolor loads safetensors only: convert "
            "pickle checkpoints with `model.save_pretrained(folder)`."
        ) from err
    except OSError as err:
        raise ColorizeError(unreachable.format(type(err).__name__)) from err


def _refuse_pickles(folder: Path, filename: str) -> None:
    pickles = [name for name in PICKLE_NAMES if (folder / name).exists()]
    if pickles and filename == WEIGHTS_NAME:
        raise ColorizeError(
            f"{folder} holds {pickles[0]}, a pickle file; hfcolor loads safetensors only because "
            "pickles can run code. Convert it where you trust it: load it into the model and call "
            "model.save_pretrained(folder)."
        )


def read_config(model_id: str) -> dict:
    path = Path(resolve_file(model_id, "config.json"))
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        config = err
    if not isinstance(config, dict):
        raise ColorizeError(f"{path} is not a JSON object of the model's settings; save the "
                            "model again with save_pretrained.")
    return config


def bundled_model_names() -> list[str]:
    """Folders under models/ that hold weights, the default model first."""
    folders = [p for p in BUNDLED_MODELS.glob("*") if (p / WEIGHTS_NAME).is_file()]
    return sorted(sorted(p.name for p in folders), key=lambda name: name != DEFAULT_MODEL)


def default_model_path() -> Path:
    path = BUNDLED_MODELS / DEFAULT_MODEL
    if not (path / WEIGHTS_NAME).is_file():
        raise ColorizeError(
            f"The bundled default model is missing at {path}. Reinstall hfcolor from its "
            "repository (git clone; pip install -e .), or pass a model folder or Hub id."
        )
    return path


def _safetensors_device(device) -> str:
    """safetensors takes "cpu" and "cuda:N" but not "cpu:0", which torch accepts."""
    device = torch.device(device)
    return "cpu" if device.type == "cpu" else str(device)
