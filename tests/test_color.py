import numpy as np
import pytest
import torch
from skimage import color as skcolor

from hfcolor.color import grey_to_rgb, lab_to_rgb, lightness_from_srgb_ints, rgb_to_lab

EDGE_COLOURS = [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255),
                (255, 255, 0), (0, 255, 255), (255, 0, 255), (1, 1, 1), (128, 128, 128)]


def _as_tensor(rgb_uint8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb_uint8).permute(2, 0, 1)[None].float() / 255


def test_rgb_to_lab_matches_skimage_on_random_and_edge_colours():
    rng = np.random.default_rng(0)
    pixels = np.concatenate([rng.integers(0, 256, (2000, 3)), np.array(EDGE_COLOURS)])
    image = pixels.reshape(1, -1, 3).astype(np.uint8)
    ours = rgb_to_lab(_as_tensor(image))[0].permute(1, 2, 0).numpy()
    reference = skcolor.rgb2lab(image)
    assert np.abs(ours - reference).max() < 1e-3


def test_lab_to_rgb_round_trips():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
    rgb = _as_tensor(image)
    assert torch.allclose(lab_to_rgb(rgb_to_lab(rgb)), rgb, atol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32])
def test_batched_and_half_inputs_give_float32(dtype):
    rgb = torch.rand(3, 3, 8, 8).to(dtype)
    lab = rgb_to_lab(rgb)
    assert lab.dtype == torch.float32 and lab.shape == (3, 3, 8, 8)


def test_out_of_gamut_ab_is_clipped_without_nan():
    lab = torch.zeros(1, 3, 4, 4)
    lab[:, 0] = torch.linspace(0, 100, 4)
    lab[:, 1], lab[:, 2] = 500.0, -500.0  # far outside sRGB and the models' range
    rgb = lab_to_rgb(lab)
    assert torch.isfinite(rgb).all() and rgb.min() >= 0 and rgb.max() <= 1


def test_grey_baseline_keeps_lightness_and_has_no_colour():
    rgb = torch.rand(1, 3, 8, 8)
    lab = rgb_to_lab(rgb)
    grey = grey_to_rgb(lab[:, :1])
    assert torch.allclose(grey[:, 0], grey[:, 1], atol=1e-4)
    assert torch.allclose(rgb_to_lab(grey)[:, 0], lab[:, 0], atol=1e-2)


def test_fast_lightness_equals_the_full_conversion():
    rgb8 = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    full = rgb_to_lab(rgb8.float() / 255)[:, :1]
    assert torch.allclose(lightness_from_srgb_ints(rgb8), full, atol=1e-3)
    rgb16 = torch.randint(0, 65536, (2, 3, 16, 16), dtype=torch.int32)
    full16 = rgb_to_lab(rgb16.float() / 65535)[:, :1]
    assert torch.allclose(lightness_from_srgb_ints(rgb16, bits=16), full16, atol=1e-3)


def test_chroma_fades_to_grey_at_black_and_white_only():
    from hfcolor.color import CHROMA_FADE_L, chroma_fade

    L = torch.tensor([0.0, 100.0, CHROMA_FADE_L / 2, 50.0]).view(1, 1, 1, 4)
    assert chroma_fade(L).flatten().tolist() == [0.0, 0.0, 0.5, 1.0]
    ab = torch.tensor([20.0, -30.0]).view(1, 2, 1, 1) * chroma_fade(L)
    white = lab_to_rgb(torch.cat([L, ab], dim=1))[0, :, 0, 1]
    assert torch.allclose(white, torch.ones(3))  # not the clipped tint (242, 255, 252)


def test_colours_outside_srgb_keep_their_lightness_and_hue():
    lab = torch.tensor([[50.0, 100.0, 60.0], [70.0, -90.0, 80.0], [30.0, 20.0, -100.0],
                        [60.0, 10.0, 10.0]]).T.reshape(1, 3, 2, 2)
    rgb = lab_to_rgb(lab)
    back = rgb_to_lab(rgb)
    assert (back[:, 0] - lab[:, 0]).abs().max() < 0.02  # clipping R, G, B: by 3.3, 1.7, 9.8
    hue = torch.atan2(lab[:, 2], lab[:, 1])
    assert torch.allclose(torch.atan2(back[:, 2], back[:, 1]), hue, atol=0.01)
    chroma = back[:, 1:].norm(dim=1).flatten()
    assert (chroma[:3] < lab[:, 1:].norm(dim=1).flatten()[:3] - 10).all()  # cut to the edge
    assert abs(chroma[3] - 200 ** 0.5) < 0.05  # inside the gamut: as it was
    assert (lab_to_rgb(lab * torch.tensor([1.0, 0.99, 0.99]).view(1, 3, 1, 1)) -
            rgb).abs().max() < 0.02  # just inside or just outside the edge: about the same
