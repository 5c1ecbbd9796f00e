"""Shared fixtures: tiny untrained models (in memory and saved) and small colour photos.

Everything is offline and CPU-only; the models are the `unet-tiny` test variant (about
0.1 M parameters), so a colorization takes milliseconds at render size 64.
"""

import os

# Before anything imports huggingface_hub or gradio, which read these at import time.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

PHOTO_SIZES = [(64, 64), (48, 80), (96, 72), (40, 56)]  # (height, width): square, wide, tall


def make_color_photo(height: int = 64, width: int = 64, seed: int = 0) -> np.ndarray:
    """A colourful uint8 (H, W, 3) photo: smooth waves of different hue per channel + noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.5, 2.5), rng.uniform(0.5, 2.5), rng.uniform(0, 2 * np.pi)
        channels.append(0.5 + 0.45 * np.sin(2 * np.pi * (fx * x + fy * y) + phase))
    rgb = np.stack(channels, axis=-1) * 255 + rng.normal(0, 4, (height, width, 3))
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def color_photo_factory():
    """`make_color_photo(height, width, seed)`, for tests that need their own photos."""
    return make_color_photo


@pytest.fixture(scope="session")
def color_photos() -> list[np.ndarray]:
    """Four small colour photos of different sizes and aspect ratios."""
    return [make_color_photo(h, w, seed) for seed, (h, w) in enumerate(PHOTO_SIZES)]


@pytest.fixture
def photo_dir(tmp_path, color_photos) -> Path:
    """A fresh folder holding `color_photos` as photo0.png ... photo3.png."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for index, rgb in enumerate(color_photos):
        Image.fromarray(rgb).save(folder / f"photo{index}.png")
    return folder


def _tiny(**overrides):
    import torch

    from hfcolor.models import create_model

    torch.manual_seed(0)
    return create_model("unet-tiny", **overrides).eval()


@pytest.fixture(scope="session")
def tiny_model():
    """An untrained `unet-tiny` (regression + classifier heads, hints, noise). Do not train it."""
    return _tiny()


@pytest.fixture(scope="session")
def tiny_classifier():
    """An untrained `unet-tiny` with only the 313-bin classifier head."""
    return _tiny(head="classifier")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_model) -> Path:
    """`tiny_model` saved with save_pretrained: config.json, model.safetensors, README.md."""
    folder = tmp_path_factory.mktemp("unet-tiny")
    tiny_model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_classifier_dir(tmp_path_factory, tiny_classifier) -> Path:
    folder = tmp_path_factory.mktemp("unet-tiny-classifier")
    tiny_classifier.save_pretrained(folder)
    return folder
