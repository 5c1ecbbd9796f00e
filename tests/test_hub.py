import json

import pytest
import safetensors.torch
import torch

import hfcolor
from hfcolor import ColorizeError
from hfcolor.models import create_model

FAMILIES = [("unet-tiny", {}), ("unet-tiny", {"head": "classifier", "hints": False}),
            ("eccv16-tiny", {}), ("patchgan-tiny", {})]


def _inputs(model):
    l = torch.rand(1, 1, 64, 64)
    if type(model).__name__ == "PatchDiscriminator":
        return (l, torch.rand(1, 2, 64, 64))
    return (l,)


@pytest.mark.parametrize("name,kwargs", FAMILIES)
def test_save_load_round_trip_is_identical(tmp_path, name, kwargs):
    model = create_model(name, **kwargs).eval()
    model.save_pretrained(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} >= {"config.json", "model.safetensors",
                                                     "README.md"}
    loaded = hfcolor.from_pretrained(tmp_path)
    assert type(loaded) is type(model)
    inputs = _inputs(model)
    with torch.no_grad():
        a, b = model(*inputs), loaded(*inputs)
    a, b = (a, b) if isinstance(a, dict) else ({"x": a}, {"x": b})
    for key in a:
        assert torch.equal(a[key], b[key])


def test_weights_are_as_readable_as_the_other_files(tmp_path):
    create_model("unet-tiny").save_pretrained(tmp_path)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes["model.safetensors"] == modes["config.json"] == modes["README.md"]


def test_config_round_trips_through_json(tmp_path):
    model = create_model("unet-tiny", decoder_channels=(16, 8, 8, 4), noise_channels=3)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_class"] == "UNetColorizer"
    assert config["noise_channels"] == 3
    again = hfcolor.from_pretrained(tmp_path)
    again.save_pretrained(tmp_path / "again")
    assert json.loads((tmp_path / "again" / "config.json").read_text()) == config


def test_missing_or_extra_keys_fail(tmp_path):
    model = create_model("unet-tiny")
    model.save_pretrained(tmp_path)
    state = safetensors.torch.load_file(tmp_path / "model.safetensors")
    extra = {**state, "surprise": torch.zeros(1)}
    safetensors.torch.save_file(extra, tmp_path / "model.safetensors")
    with pytest.raises(ColorizeError, match="do not match"):
        hfcolor.from_pretrained(tmp_path)
    missing = {k: v for k, v in state.items() if k != "ab_head.0.weight"}
    safetensors.torch.save_file(missing, tmp_path / "model.safetensors")
    with pytest.raises(ColorizeError, match="do not match"):
        hfcolor.from_pretrained(tmp_path)


def test_pickle_checkpoints_are_refused(tmp_path):
    model = create_model("unet-tiny")
    model.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    with pytest.raises(ColorizeError, match="safetensors only"):
        hfcolor.from_pretrained(tmp_path)


def test_offline_hub_repo_fails_fast_with_advice(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ColorizeError, match="folder path"):
        hfcolor.from_pretrained("someone/not-downloaded")


def test_not_a_model_reference(tmp_path):
    with pytest.raises(ColorizeError):
        hfcolor.from_pretrained(str(tmp_path / "nothing" / "here" / "x"))
    with pytest.raises(ColorizeError, match="valid Hub repo id"):
        hfcolor.from_pretrained("user/bad name")
    with pytest.raises(ColorizeError, match="not a name, folder or Hub id"):
        hfcolor.from_pretrained(3)


def _saved_tiny(folder, **config):
    create_model("unet-tiny").save_pretrained(folder)
    path = folder / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **config}))
    return folder


@pytest.mark.parametrize("config,message", [
    ({"backbone": "no_such_net"}, "Unknown model"),
    ({"head": "both-ways"}, "head must be one of"),
    ({"decoder_channels": [8] * 9}, "decoder_channels takes 1 to"),
    ({"saturation": -5}, "saturation must be a number from 0 to 4"),
    ({"saturation": "bold"}, "saturation must be a number from 0 to 4"),
])
def test_a_bad_config_value_is_named(tmp_path, config, message):
    with pytest.raises(ColorizeError, match=f"does not build a UNetColorizer.*{message}"):
        hfcolor.from_pretrained(_saved_tiny(tmp_path, **config))


@pytest.mark.parametrize("damage", [
    lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:99]),
    lambda f: (f / "model.safetensors").write_bytes(b""),
])
def test_damaged_weights_say_so(tmp_path, damage):
    damage(_saved_tiny(tmp_path))
    with pytest.raises(ColorizeError, match="not a readable safetensors file"):
        hfcolor.from_pretrained(tmp_path)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_a_config_that_is_not_a_json_object_says_so(tmp_path, text):
    (_saved_tiny(tmp_path) / "config.json").write_text(text)
    with pytest.raises(ColorizeError, match="not a JSON object"):
        hfcolor.from_pretrained(tmp_path)


def test_an_unavailable_device_is_named_not_blamed_on_the_weights(tmp_path):
    with pytest.raises(ColorizeError, match="hfcolor runs on cpu, cuda or mps"):
        hfcolor.from_pretrained(_saved_tiny(tmp_path), device="meta")


def test_model_card_has_the_sections_users_need(tmp_path):
    model = create_model("unet-tiny")
    model.save_pretrained(tmp_path, model_card_kwargs={"training": "3 steps on noise",
                                                        "evaluation": "| PSNR | 1 |"})
    card = (tmp_path / "README.md").read_text()
    for text in ("library_name: hfcolor", "## Architecture", "3 steps on noise", "| PSNR | 1 |",
                 "## Intended use", "## Licence", "license: apache-2.0"):
        assert text in card
