import time

import numpy as np
import pytest
import torch
from PIL import Image

from hfcolor import quantize
from hfcolor.color import rgb_to_lab
from hfcolor.errors import ColorizeError
from hfcolor.quantize import (
    NUM_BINS,
    ab_bins,
    compute_prior,
    decode,
    empirical_prior,
    load_prior,
    rebalance_weights,
    save_prior,
    smooth_prior,
    soft_encode,
)


def _ab_map(values, height=1, width=1) -> torch.Tensor:
    """(N, 2) ab values -> (N, 2, height, width) constant maps."""
    ab = torch.as_tensor(values, dtype=torch.float32)
    return ab[:, :, None, None].expand(-1, -1, height, width).contiguous()


def _random_logits(seed: int, shape=(2, NUM_BINS, 8, 8)) -> torch.Tensor:
    return 3.0 * torch.randn(shape, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------- bins


def test_gamut_has_313_bins_including_grey():
    bins = ab_bins()
    assert bins.shape == (NUM_BINS, 2) == (313, 2)
    assert bins.dtype == torch.float32
    assert (bins == 0).all(dim=1).any()


def test_bins_lie_on_the_grid_of_ten_sorted_and_unique():
    bins = ab_bins()
    assert torch.equal(bins, (bins / 10).round() * 10)
    keys = [tuple(pair) for pair in bins.tolist()]
    assert keys == sorted(keys)
    assert len(set(keys)) == NUM_BINS
    assert bins.abs().max() <= 110


def test_bins_cover_the_primaries_and_are_cached():
    bins = ab_bins()
    primaries = torch.tensor([[[[1.0, 0, 0, 1, 0, 1]], [[0, 1, 0, 1, 1, 0]], [[0, 0, 1, 0, 1, 1]]]])
    ab = rgb_to_lab(primaries)[0, 1:, 0].T
    nearest = ((ab[:, None] - bins[None]).norm(dim=-1)).amin(dim=1)
    assert (nearest <= 5 * 2**0.5).all()

    started = time.perf_counter()
    assert torch.equal(ab_bins(), bins)
    assert time.perf_counter() - started < 0.05
    bins.fill_(0)  # the caller's copy; the cache stays intact
    assert ab_bins().abs().sum() > 0


def test_bin_count_is_stable_under_finer_gamut_sampling():
    coarse = quantize._srgb_gamut_edge_ab(64)
    fine = quantize._srgb_gamut_edge_ab(2048)
    step = torch.arange(-120.0, 121.0, 10.0)
    grid = torch.cartesian_prod(step, step).double()
    for cloud in (coarse, fine):
        selected = grid[quantize._chebyshev_distance_to_hull(grid, cloud) <= 10]
        assert torch.equal(selected.float(), ab_bins())


# --------------------------------------------------------------------------- encoding


def test_soft_encoding_sums_to_one_on_five_bins_with_nearest_heaviest():
    ab = 40 * torch.randn(2, 2, 6, 7, generator=torch.Generator().manual_seed(0))
    targets = soft_encode(ab)
    assert targets.shape == (2, NUM_BINS, 6, 7)
    assert torch.allclose(targets.sum(dim=1), torch.ones(2, 6, 7), atol=1e-5)
    assert ((targets > 0).sum(dim=1) == 5).all()

    distances = (ab.permute(0, 2, 3, 1)[..., None, :] - ab_bins()).norm(dim=-1)
    assert torch.equal(targets.argmax(dim=1), distances.argmin(dim=-1))


def test_local_nearest_bin_search_matches_a_full_search():
    generator = torch.Generator().manual_seed(8)
    ab = torch.cat([s * torch.randn(2, 2, 16, 16, generator=generator) for s in (10, 60, 300)])
    full_distances = (ab.permute(0, 2, 3, 1)[..., None, :] - ab_bins()).square().sum(dim=-1)
    for k in (1, 5, 30):
        distances, indices = quantize.nearest_bins(ab, k)
        expected = full_distances.topk(k, dim=-1, largest=False).values.permute(0, 3, 1, 2)
        assert torch.allclose(distances, expected, rtol=1e-4, atol=1e-3)
        found = full_distances.permute(0, 3, 1, 2).gather(1, indices)
        assert torch.allclose(found, distances, rtol=1e-4, atol=1e-3)


def test_soft_encoding_accepts_half_precision_and_large_batches():
    ab = (30 * torch.randn(8, 2, 64, 64)).half()
    targets = soft_encode(ab)
    assert targets.dtype == torch.float32
    assert torch.isfinite(targets).all()
    assert torch.allclose(targets.sum(dim=1), torch.ones(8, 64, 64), atol=1e-5)


def test_encoding_a_bin_centre_then_decoding_the_mode_returns_it():
    bins = ab_bins()
    centres = bins[::7]
    targets = soft_encode(_ab_map(centres, 2, 3))
    decoded = decode(targets.clamp_min(1e-12).log(), method="mode")
    assert torch.equal(decoded, _ab_map(centres, 2, 3))


def test_bad_shapes_and_methods_are_refused():
    with pytest.raises(ColorizeError):
        soft_encode(torch.zeros(1, 3, 4, 4))
    with pytest.raises(ColorizeError):
        decode(torch.zeros(1, 10, 4, 4))
    with pytest.raises(ColorizeError, match="annealed_mean"):
        decode(torch.zeros(1, NUM_BINS, 4, 4), method="median")


# --------------------------------------------------------------------------- decoding


def test_annealed_mean_at_temperature_one_is_the_expectation():
    logits = _random_logits(1)
    probabilities = torch.softmax(logits, dim=1)
    expected = torch.einsum("bqhw,qc->bchw", probabilities, ab_bins())
    assert torch.allclose(decode(logits, temperature=1.0), expected, atol=1e-4)


def test_lower_temperature_moves_the_annealed_mean_toward_the_mode():
    logits = _random_logits(2)
    mode = decode(logits, method="mode")
    gaps = [
        (decode(logits, temperature=t) - mode).norm(dim=1).mean().item()
        for t in (1.0, 0.38, 0.1, 0.01)
    ]
    assert gaps == sorted(gaps, reverse=True)
    assert gaps[-1] < 0.05 * gaps[0]


def test_top_k_is_a_mean_over_the_k_most_likely_bins():
    logits = _random_logits(3)
    assert torch.allclose(decode(logits, method="top_k", top_k=1), decode(logits, method="mode"))
    everything = decode(logits, method="top_k", top_k=NUM_BINS, temperature=0.5)
    assert torch.allclose(everything, decode(logits, temperature=0.5), atol=1e-4)


def test_decoding_half_precision_logits_stays_finite():
    logits = (_random_logits(4) * 20).half()
    for method in quantize.DECODE_METHODS:
        ab = decode(logits, method=method, generator=torch.Generator().manual_seed(0))
        assert ab.dtype == torch.float32
        assert torch.isfinite(ab).all()


def _two_colour_logits(size=64) -> torch.Tensor:
    """Every pixel equally torn between a red bin and a blue bin."""
    logits = torch.full((1, NUM_BINS, size, size), -20.0)
    bins = ab_bins().tolist()
    logits[:, bins.index([60.0, 50.0])] = 0.0
    logits[:, bins.index([20.0, -60.0])] = 0.0
    return logits


def _sample(logits, seed, **kwargs) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return decode(logits, method="sample", temperature=1.0, generator=generator, **kwargs)


def _neighbour_disagreement(ab: torch.Tensor) -> float:
    across = (ab[..., 1:] != ab[..., :-1]).any(dim=1).float().mean()
    down = (ab[..., 1:, :] != ab[..., :-1, :]).any(dim=1).float().mean()
    return float((across + down) / 2)


def test_sampling_is_reproducible_by_seed_and_differs_across_seeds():
    logits = _two_colour_logits()
    assert torch.equal(_sample(logits, 0), _sample(logits, 0))
    assert not torch.equal(_sample(logits, 0), _sample(logits, 1))


def test_sampling_gives_coherent_regions_not_speckle():
    logits = _two_colour_logits()
    coherent = _sample(logits, 0)
    speckle = _sample(logits, 0, noise_cell=1)
    picked = {tuple(v) for v in coherent[0].flatten(1).T.tolist()}
    assert picked == {(60.0, 50.0), (20.0, -60.0)}
    assert _neighbour_disagreement(speckle) > 0.4  # independent pixels: about 1/2
    assert _neighbour_disagreement(coherent) < 0.15


def test_sampling_follows_the_distribution():
    logits = _two_colour_logits(size=16).repeat(64, 1, 1, 1)
    bins = ab_bins().tolist()
    logits[:, bins.index([60.0, 50.0])] = float(np.log(3.0))  # red three times as likely
    red = (_sample(logits, 5)[:, 0] == 60.0).float().mean().item()
    assert 0.6 < red < 0.9


def test_sampling_handles_images_smaller_than_a_noise_cell():
    logits = _random_logits(6, shape=(1, NUM_BINS, 3, 5))
    assert _sample(logits, 0).shape == (1, 2, 3, 5)


# --------------------------------------------------------------------------- prior and weights


def test_empirical_prior_counts_nearest_bins():
    bins = ab_bins()
    ab = torch.cat([_ab_map(bins[[0]] + 1.0, 3, 3), _ab_map(bins[[5]] - 2.0, 3, 3)], dim=3)
    prior = empirical_prior(ab)
    assert prior.shape == (NUM_BINS,)
    assert prior[0] == pytest.approx(0.5) and prior[5] == pytest.approx(0.5)
    counts = torch.zeros(NUM_BINS)
    counts[[0, 5]] = 9.0
    assert torch.equal(empirical_prior(counts), prior)


def test_smoothing_keeps_mass_and_spreads_to_neighbours():
    prior = torch.zeros(NUM_BINS)
    grey = ab_bins().tolist().index([0.0, 0.0])
    prior[grey] = 1.0
    smoothed = smooth_prior(prior, sigma=5.0)
    assert smoothed.sum() == pytest.approx(1.0)
    assert smoothed.argmax() == grey
    assert (smoothed > 1e-3).sum() >= 5
    assert torch.equal(smooth_prior(prior, sigma=0), prior)


def test_rebalancing_has_unit_expected_weight_and_favours_rare_bins():
    prior = torch.rand(NUM_BINS, generator=torch.Generator().manual_seed(7)) ** 4
    prior /= prior.sum()
    weights = rebalance_weights(prior, lam=0.5, sigma=5.0)
    smoothed = smooth_prior(prior, sigma=5.0)
    assert weights.shape == (NUM_BINS,)
    assert (smoothed * weights).sum() == pytest.approx(1.0, abs=1e-5)
    rare, common = smoothed.argmin(), smoothed.argmax()
    assert weights[rare] > weights[common]
    assert (weights[smoothed.argsort()].diff() <= 1e-6).all()  # rarer bin, larger weight
    uniform = rebalance_weights(prior, lam=1.0)
    assert torch.allclose(uniform, torch.ones(NUM_BINS), atol=1e-5)


# --------------------------------------------------------------------------- prior of a folder


def _write_png(path, rgb) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((24, 32, 3), rgb, dtype=np.uint8)).save(path)


def _synthetic_folder(root):
    _write_png(root / "red.png", (220, 30, 30))
    _write_png(root / "nested" / "deeper" / "blue.png", (30, 40, 220))
    _write_png(root / "grey.png", (128, 128, 128))  # near-grey: skipped
    (root / "notes.txt").write_text("not an image")
    (root / "broken.jpg").write_bytes(b"not a jpeg")  # unreadable: skipped
    return root


def test_compute_prior_reads_colour_images_recursively(tmp_path):
    folder = _synthetic_folder(tmp_path / "photos")
    histogram = quantize.histogram_folder(folder, size=16)
    assert (histogram.images_used, histogram.images_grey, histogram.images_unreadable) == (2, 1, 1)
    prior = compute_prior(folder, size=16)
    assert prior.sum() == pytest.approx(1.0)
    assert (prior > 0).sum() == 2
    assert sorted(prior[prior > 0].tolist()) == pytest.approx([0.5, 0.5])
    # sorted order: broken.jpg, grey.png, nested/deeper/blue.png, red.png
    assert compute_prior(folder, max_images=3, size=16).max() == pytest.approx(1.0)


def test_a_limited_prior_samples_every_sub_folder(tmp_path):
    for i in range(6):
        _write_png(tmp_path / "a_red" / f"{i}.png", (200, 30, 30))
        _write_png(tmp_path / "b_blue" / f"{i}.png", (30, 30, 200))
    prior = compute_prior(tmp_path, max_images=4, size=16)
    assert sorted(prior[prior > 0].tolist()) == pytest.approx([0.5, 0.5])


def test_compute_prior_of_a_grey_folder_says_what_to_do(tmp_path):
    _write_png(tmp_path / "grey.png", (90, 90, 90))
    with pytest.raises(ColorizeError, match="colour"):
        compute_prior(tmp_path)
    with pytest.raises(ColorizeError, match="folder"):
        compute_prior(tmp_path / "missing")


def test_prior_command_round_trip(tmp_path, capsys):
    folder = _synthetic_folder(tmp_path / "photos")
    model_dir = tmp_path / "model"
    assert quantize.main([str(folder), "--out", str(model_dir), "--size", "16"]) == 0
    summary = capsys.readouterr().out
    assert "2 images used" in summary and "2/313 bins" in summary
    assert (model_dir / "prior.safetensors").is_file()
    assert torch.equal(load_prior(model_dir), compute_prior(folder, size=16))


def test_save_and_load_prior(tmp_path):
    prior = torch.softmax(torch.randn(NUM_BINS), dim=0)
    path = save_prior(prior, tmp_path / "new" / "model")
    assert path.name == "prior.safetensors"
    assert torch.equal(load_prior(tmp_path / "new" / "model"), prior)
    with pytest.raises(ColorizeError, match="python -m hfcolor.quantize"):
        load_prior(tmp_path)
    with pytest.raises(ColorizeError):
        save_prior(torch.ones(10), tmp_path)
