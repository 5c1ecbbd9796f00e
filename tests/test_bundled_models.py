"""The models that ship in models/: they load offline, are small, and really colorize."""

import numpy as np
import pytest

import hfcolor
from hfcolor import hub
from hfcolor.metrics import colorfulness

BUNDLED = ["hfcolor-unet-lite0", "hfcolor-unet-lite0-classifier"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_model_is_complete_and_small(name):
    folder = hub.BUNDLED_MODELS / name
    for file in ("config.json", "model.safetensors", "prior.safetensors", "README.md"):
        assert (folder / file).is_file(), f"{name} lacks {file}"
    assert (folder / "model.safetensors").stat().st_size < 30e6
    card = (folder / "README.md").read_text()
    assert "## Evaluation" in card and "grey baseline" in card


def test_default_model_loads_offline_with_hints_and_noise():
    model = hfcolor.from_pretrained()
    assert type(model).__name__ == "UNetColorizer"
    assert model.hints and model.noise_channels > 0 and model.head in ("regression", "both")


def _sky_over_grass(height=96, width=128) -> np.ndarray:
    """A bright upper half over a darker textured lower half: sky and grass, in grey."""
    rng = np.random.default_rng(0)
    grey = np.empty((height, width), np.float32)
    grey[: height // 2] = 200 - np.linspace(0, 30, height // 2)[:, None]
    grey[height // 2:] = 90 + rng.normal(0, 18, (height - height // 2, width))
    return np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, axis=-1)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_models_add_colour(name):
    out = hfcolor.colorize(_sky_over_grass(), model=name, render_size=128)
    assert out.shape == (96, 128, 3)
    assert colorfulness(out) > 5
