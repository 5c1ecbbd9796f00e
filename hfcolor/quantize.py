"""The 313-bin ab quantizer of Zhang et al., "Colorful Image Colorization" (ECCV 2016).

The network predicts, for every pixel, a distribution over Q = 313 ab bins on a grid of 10.
This module holds everything that turns colours into such distributions and back:

- `ab_bins`: the 313 bin centres, computed from the sRGB gamut (see its docstring for the rule).
- `soft_encode`: ground-truth ab -> (B, 313, H, W) targets on the 5 nearest bins.
- `decode`: (B, 313, H, W) logits -> ab, by mode, annealed mean, top-k mean or coherent sampling.
- `empirical_prior`, `compute_prior`, `save_prior`, `load_prior`: how often each bin occurs.
- `smooth_prior`, `rebalance_weights`: the class-rebalancing weights built from that prior.

Priors are kept raw everywhere (a normalised nearest-bin histogram, exactly what the data
says); the Gaussian smoothing over bin positions happens only in `rebalance_weights`.

Command line: `python -m hfcolor.quantize FOLDER --out MODEL_DIR [--max-images N]` computes the
prior of an image folder and writes MODEL_DIR/prior.safetensors.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from hfcolor.color import AB_SCALE, rgb_to_lab
from hfcolor.errors import ColorizeError

GRID_STEP = 10.0
NUM_BINS = 313
PRIOR_FILE = "prior.safetensors"
PRIOR_KEY = "prior"
GREY_CHROMA = 3.0
"""Images whose mean Lab chroma sqrt(a^2 + b^2) is below this are skipped as near-grey."""

DECODE_METHODS = ("mode", "annealed_mean", "top_k", "sample")
_PIXELS_PER_CHUNK = 32768  # bounds a full-search (pixels, 313) distance matrix to about 40 MB
_BLOCK_RADIUS = 2  # nearest-bin search looks at the 5 x 5 grid points around each pixel
_IMAGES_PER_BATCH = 64


# --------------------------------------------------------------------------- the bins


def ab_bins() -> torch.Tensor:
    """The 313 bin centres, float32 (313, 2) in Lab units, sorted by a then b.

    Rule: take the convex hull H of the ab projection of the sRGB gamut (every 8-bit or
    continuous sRGB colour, any L). A multiple-of-10 grid point (a, b) is a bin when some ab
    in H lies within one grid step of it in both a and b, i.e. when it is a corner of a
    closed 10 x 10 grid cell that H touches. So every colour in the hull has all four
    surrounding grid corners as bins. (Zhang's table is called `pts_in_hull`; this rule
    gives the same count, 313, computed here rather than copied; the set itself need not
    match Zhang's point for point: it spans a in [-90, 100], b in [-110, 100].)

    The hull's vertices all lie on edges of the RGB cube (checked against all 256^3 colours),
    so samples along the 12 cube edges give it; 64 per edge already give the same 313 bins
    as 2048. The Chebyshev distances from grid points to the hull are exact (separating-axis
    test): the 313th-nearest grid point is 9.73 from the hull and the 314th 10.07, so the
    count does not hinge on rounding. The first call takes about 0.3 s, later ones are cached.
    """
    return _ab_bins_cached().clone()


@functools.lru_cache(maxsize=1)
def _ab_bins_cached() -> torch.Tensor:
    step = torch.arange(-AB_SCALE - GRID_STEP, AB_SCALE + GRID_STEP + 1, GRID_STEP)
    grid = torch.cartesian_prod(step, step).double()  # already sorted by a, then b
    near_hull = _chebyshev_distance_to_hull(grid, _srgb_gamut_edge_ab()) <= GRID_STEP
    bins = grid[near_hull].float()
    if len(bins) != NUM_BINS:  # a change in the Lab conversion would show up here first
        raise RuntimeError(f"ab gamut has {len(bins)} bins on the grid, expected {NUM_BINS}")
    return bins


def _srgb_gamut_edge_ab(samples_per_edge: int = 256) -> torch.Tensor:
    """float64 (12 * samples_per_edge, 2) ab of points along the 12 edges of the RGB cube."""
    ramp = torch.linspace(0.0, 1.0, samples_per_edge, dtype=torch.float64)
    corners = torch.cartesian_prod(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0]))
    edges = []
    for axis in range(3):
        fixed_axes = [other for other in range(3) if other != axis]
        for corner in corners.double():
            edge = torch.empty(samples_per_edge, 3, dtype=torch.float64)
            edge[:, axis] = ramp
            edge[:, fixed_axes] = corner
            edges.append(edge)
    rgb = torch.cat(edges).T.reshape(1, 3, -1, 1)
    return rgb_to_lab(rgb)[0, 1:, :, 0].T.double()


def _chebyshev_distance_to_hull(points: torch.Tensor, cloud: torch.Tensor) -> torch.Tensor:
    """Smallest r for which the square of half-side r around each point meets hull(cloud).

    Separating-axis theorem for convex polygons: they are disjoint exactly when an edge
    normal of one of them separates them, so the hull's outward normals and the square's
    axes (whose gaps are those to the cloud's bounding box) are the only axes to try.
    """
    from scipy.spatial import ConvexHull  # scipy comes with scikit-image

    facets = torch.from_numpy(ConvexHull(cloud.numpy()).equations)  # n . x + c <= 0 inside
    normals, offsets = facets[:, :2], facets[:, 2]
    hull_gaps = (points @ normals.T + offsets) / normals.abs().sum(dim=1)
    box_gaps = torch.cat([cloud.amin(dim=0) - points, points - cloud.amax(dim=0)], dim=1)
    return torch.cat([hull_gaps, box_gaps], dim=1).amax(dim=1).clamp(min=0.0)


# --------------------------------------------------------------------------- encoding


def nearest_bins(ab: torch.Tensor, k: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The k nearest bins of every pixel of ab (B, 2, H, W), nearest first.

    Returns squared distances (B, k, H, W) float32 and bin indices (B, k, H, W) int64.
    Work goes a chunk of pixels at a time, so memory stays bounded.
    """
    _check_ab(ab)
    if not 1 <= k <= NUM_BINS:
        raise ColorizeError(f"k must be between 1 and {NUM_BINS}, got {k}.")
    batch, _, height, width = ab.shape
    pixels = ab.detach().float().permute(0, 2, 3, 1).reshape(-1, 2)
    # Non-finite ab would become out-of-range table indices (a device assert on CUDA).
    pixels = torch.nan_to_num(pixels, nan=0.0, posinf=AB_SCALE, neginf=-AB_SCALE)
    found = [_nearest_in_chunk(chunk, k) for chunk in pixels.split(_PIXELS_PER_CHUNK)]
    shape = (batch, height, width)
    distances = torch.cat([chunk_distances for chunk_distances, _ in found])
    indices = torch.cat([chunk_indices for _, chunk_indices in found])
    return _to_maps(distances, *shape), _to_maps(indices, *shape)


def _nearest_in_chunk(pixels: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 2) -> squared distances and indices (N, k) of the k nearest bins.

    Bins sit on the grid, so the search is local: a pixel's own grid point for k = 1, the
    5 x 5 grid points around it otherwise, and all 313 bins only where a bin outside that
    block could be nearer (pixels far outside the gamut).
    """
    if k == 1:
        return _nearest_by_rounding(pixels)
    if k > (2 * _BLOCK_RADIUS + 1) ** 2:
        return _nearest_by_full_search(pixels, k)
    return _nearest_in_block(pixels, k)


def _nearest_by_rounding(pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """k = 1: a pixel's nearest grid point, when it is a bin, is also its nearest bin."""
    table, origin = _bin_index_table(pixels.device)
    centre, residual = _grid_centre(pixels, table, origin)
    indices = table[centre[:, 0], centre[:, 1]][:, None]
    distances = residual.square().sum(dim=1, keepdim=True)
    missing = (indices[:, 0] < 0) | (residual.abs().amax(dim=1) > GRID_STEP / 2)
    if missing.any():
        distances[missing], indices[missing] = _nearest_in_block(pixels[missing], 1)
    return distances, indices


def _nearest_in_block(pixels: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """k nearest bins among the 5 x 5 grid points around each pixel's nearest grid point.

    Every grid point outside the block is at least `exact_within` away, so an answer whose
    k-th distance is within that bound is exact; the rest get a full search.
    """
    table, origin = _bin_index_table(pixels.device)
    centre, residual = _grid_centre(pixels, table, origin)
    offsets = _block_offsets(pixels.device)
    squared = (residual[:, None, :] - GRID_STEP * offsets.float()).square().sum(dim=-1)
    block = centre[:, None, :] + offsets
    candidates = table[block[..., 0], block[..., 1]]
    squared = squared.masked_fill(candidates < 0, float("inf"))
    distances, positions = squared.topk(k, dim=1, largest=False)
    indices = candidates.gather(1, positions)
    exact_within = (_BLOCK_RADIUS + 1) * GRID_STEP - residual.abs().amax(dim=1)
    uncertain = distances[:, -1] > exact_within.clamp(min=0.0).square()
    if uncertain.any():
        distances[uncertain], indices[uncertain] = _nearest_by_full_search(pixels[uncertain], k)
    return distances, indices


def _grid_centre(pixels: torch.Tensor, table: torch.Tensor, origin: float):
    """Each pixel's nearest grid point as table indices (N, 2), kept far enough inside the
    table for a whole block, and the pixel's offset from that point (N, 2) in Lab units."""
    cell = ((pixels - origin) / GRID_STEP).round()
    cell = cell.clamp(_BLOCK_RADIUS, len(table) - 1 - _BLOCK_RADIUS)
    return cell.long(), pixels - (origin + GRID_STEP * cell)


@functools.lru_cache(maxsize=4)
def _block_offsets(device: torch.device) -> torch.Tensor:
    steps = torch.arange(-_BLOCK_RADIUS, _BLOCK_RADIUS + 1)
    return torch.cartesian_prod(steps, steps).to(device)


def _nearest_by_full_search(pixels: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    bins = _ab_bins_cached().to(pixels.device)
    return _squared_distances(pixels, bins).topk(k, dim=1, largest=False)


@functools.lru_cache(maxsize=4)
def _bin_index_table(device: torch.device) -> tuple[torch.Tensor, float]:
    """Square table over the grid holding each grid point's bin index (-1: not a bin).

    Returns the table and the ab value of its [0, 0] entry. It is padded by the block radius
    on every side of the bins, so every block around a clamped centre fits inside.
    """
    bins = _ab_bins_cached()
    origin = float(bins.min()) - _BLOCK_RADIUS * GRID_STEP
    size = round((float(bins.max()) - origin) / GRID_STEP) + _BLOCK_RADIUS + 1
    table = torch.full((size, size), -1, dtype=torch.long)
    cells = ((bins - origin) / GRID_STEP).round().long()
    table[cells[:, 0], cells[:, 1]] = torch.arange(NUM_BINS)
    return table.to(device), origin


def _squared_distances(points: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    return (points[:, None, :] - bins[None, :, :]).square().sum(dim=-1)


def _to_maps(values: torch.Tensor, batch: int, height: int, width: int) -> torch.Tensor:
    """(B*H*W, k) -> (B, k, H, W)."""
    return values.reshape(batch, height, width, -1).permute(0, 3, 1, 2).contiguous()


def soft_encode(ab: torch.Tensor, k: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """Ground-truth ab (B, 2, H, W) in Lab units -> soft targets (B, 313, H, W) float32.

    Each pixel's mass goes to its k nearest bins, weighted by a Gaussian of the distance
    (standard deviation sigma) and normalised to sum to 1; all other bins get 0.
    """
    squared, indices = nearest_bins(ab, k)
    weights = torch.softmax(-squared / (2.0 * sigma**2), dim=1)
    batch, _, height, width = ab.shape
    targets = torch.zeros(batch, NUM_BINS, height, width, device=ab.device)
    return targets.scatter_(1, indices, weights)


def bin_histogram(ab: torch.Tensor) -> torch.Tensor:
    """How many pixels of ab (B, 2, H, W) fall nearest to each bin: float64 (313,)."""
    _, indices = nearest_bins(ab, k=1)
    return torch.bincount(indices.flatten().cpu(), minlength=NUM_BINS).double()


def _check_ab(ab: torch.Tensor) -> None:
    if ab.ndim != 4 or ab.shape[1] != 2:
        raise ColorizeError(f"Expected ab of shape (B, 2, H, W), got {tuple(ab.shape)}.")


# --------------------------------------------------------------------------- decoding


def decode(
    logits: torch.Tensor,
    method: str = "annealed_mean",
    temperature: float = 0.38,
    top_k: int = 5,
    generator: torch.Generator | None = None,
    noise_cell: int = 8,
) -> torch.Tensor:
    """313-way logits (B, 313, H, W) -> ab (B, 2, H, W) float32 in Lab units.

    method:
      "mode"           the centre of the most likely bin (temperature is ignored).
      "annealed_mean"  mean of the bin centres under softmax(logits / temperature), which is
                       Zhang's softmax(log p / T); T = 1 is the plain expectation, T -> 0 the
                       mode. Zhang's default T = 0.38 trades colourfulness for consistency.
      "top_k"          mean of the centres of the top_k bins under softmax(logits / T)
                       renormalised over those bins.
      "sample"         a draw per pixel from softmax(logits / T) by the Gumbel-max trick, with
                       one Gumbel draw per noise_cell x noise_cell block of pixels, upsampled
                       bilinearly: neighbouring pixels share their noise, so the draw gives
                       coherent regions rather than per-pixel speckle. Reproducible with
                       `generator`; noise_cell=1 gives independent pixels.
    All arithmetic is float32, whatever the dtype of logits.
    """
    if logits.ndim != 4 or logits.shape[1] != NUM_BINS:
        raise ColorizeError(f"Expected logits (B, {NUM_BINS}, H, W), got {tuple(logits.shape)}.")
    if method not in DECODE_METHODS:
        raise ColorizeError(f"Unknown decode method {method!r}; use one of {DECODE_METHODS}.")
    if temperature <= 0:
        raise ColorizeError(f"temperature must be > 0, got {temperature}.")
    logits = logits.float()
    if method == "mode":
        return _bin_centres(logits.argmax(dim=1))
    if method == "annealed_mean":
        return _expected_ab(torch.softmax(logits / temperature, dim=1))
    if method == "top_k":
        return _top_k_mean(logits / temperature, top_k)
    noise = _coherent_gumbel_noise(logits.shape, noise_cell, generator).to(logits.device)
    return _bin_centres((logits / temperature + noise).argmax(dim=1))


def _bin_centres(indices: torch.Tensor) -> torch.Tensor:
    """Bin indices (B, H, W) -> their centres (B, 2, H, W)."""
    bins = _ab_bins_cached().to(indices.device)
    return bins[indices].permute(0, 3, 1, 2).contiguous()


def _expected_ab(probabilities: torch.Tensor) -> torch.Tensor:
    bins = _ab_bins_cached().to(probabilities.device)
    return torch.einsum("bqhw,qc->bchw", probabilities, bins)


def _top_k_mean(scaled_logits: torch.Tensor, k: int) -> torch.Tensor:
    top_logits, top_indices = scaled_logits.topk(min(k, NUM_BINS), dim=1)
    weights = torch.softmax(top_logits, dim=1)
    bins = _ab_bins_cached().to(scaled_logits.device)
    centres = bins[top_indices]  # (B, k, H, W, 2)
    return (weights.unsqueeze(-1) * centres).sum(dim=1).permute(0, 3, 1, 2).contiguous()


def _coherent_gumbel_noise(
    shape: torch.Size, noise_cell: int, generator: torch.Generator | None
) -> torch.Tensor:
    """Gumbel noise of `shape` (B, Q, H, W) drawn at 1/noise_cell resolution, upsampled; one
    draw per sample, so sample k is the same whatever B."""
    batch, bins, height, width = shape
    coarse_size = (max(1, height // max(1, noise_cell)), max(1, width // max(1, noise_cell)))
    device = generator.device if generator is not None else torch.device("cpu")
    uniform = torch.cat([torch.rand(1, bins, *coarse_size, generator=generator, device=device)
                         for _ in range(batch)])
    tiny = torch.finfo(uniform.dtype).tiny
    gumbel = -torch.log(-torch.log(uniform.clamp(tiny, 1.0 - 1e-7)))
    return F.interpolate(gumbel, size=(height, width), mode="bilinear", align_corners=False)


# --------------------------------------------------------------------------- prior and weights


def empirical_prior(ab_or_counts: torch.Tensor) -> torch.Tensor:
    """The raw prior: how often each bin occurs, float32 (313,) summing to 1.

    Takes either ab (B, 2, H, W) in Lab units (each pixel counts for its nearest bin) or
    counts (313,) already accumulated. No smoothing here; see `rebalance_weights`.
    """
    if ab_or_counts.shape == (NUM_BINS,):
        counts = ab_or_counts.detach().double().cpu()
    else:
        counts = bin_histogram(ab_or_counts)
    total = counts.sum()
    if not total > 0 or (counts < 0).any():
        raise ColorizeError("The bin counts are empty or negative; feed it colour pixels.")
    return (counts / total).float()


def smooth_prior(prior: torch.Tensor, sigma: float = 5.0) -> torch.Tensor:
    """Blur a prior (313,) with a Gaussian over bin positions; the result sums to 1.

    Each bin spreads its mass over all bins with weights exp(-d^2 / (2 sigma^2)) (d the
    distance between bin centres, normalised per source bin so no mass is lost).
    sigma <= 0 returns the prior unchanged.
    """
    prior = prior.detach().double().cpu()
    if sigma <= 0:
        return (prior / prior.sum()).float()
    bins = _ab_bins_cached().double()
    kernel = torch.exp(-_squared_distances(bins, bins) / (2.0 * sigma**2))
    kernel = kernel / kernel.sum(dim=0, keepdim=True)
    smoothed = kernel @ prior
    return (smoothed / smoothed.sum()).float()


def rebalance_weights(prior: torch.Tensor, lam: float = 0.5, sigma: float = 5.0) -> torch.Tensor:
    """Zhang's class-rebalancing weights, float32 (313,).

    w is proportional to 1 / ((1 - lam) * p + lam / 313), where p is the prior smoothed with
    `smooth_prior(prior, sigma)`, and scaled so that the expected weight under p is 1
    (sum p * w = 1). lam = 1 gives uniform weights; lam = 0 the inverse of the prior.
    """
    if not 0.0 <= lam <= 1.0:
        raise ColorizeError(f"lam must be in [0, 1], got {lam}.")
    smoothed = smooth_prior(prior, sigma).double()
    weights = 1.0 / ((1.0 - lam) * smoothed + lam / NUM_BINS)
    return (weights / (smoothed * weights).sum()).float()


# --------------------------------------------------------------------------- prior of a folder


@dataclass(frozen=True)
class FolderHistogram:
    """Nearest-bin pixel counts (313,) of an image folder and how many images went in."""

    counts: torch.Tensor
    images_used: int
    images_grey: int
    images_unreadable: int


def histogram_folder(
    folder, max_images: int | None = None, size: int = 64, progress: bool = False
) -> FolderHistogram:
    """Count the nearest bins of every pixel of the colour images under `folder`.

    Images (.jpg, .jpeg, .png, .webp, .bmp, .tif, .tiff, found recursively, hidden files
    skipped) are read in sorted order, at most max_images of them spread evenly over that
    order (so every sub-folder is counted, not only the first ones), each resized to
    size x size (the aspect ratio does not matter for a colour histogram). Near-grey images
    (mean chroma below GREY_CHROMA) and unreadable files are skipped and counted.
    """
    from hfcolor.io import find_images

    folder = Path(folder)
    if not folder.is_dir():
        raise ColorizeError(f"{folder} is not a folder; pass a folder of colour photos.")
    paths = _evenly_spaced(find_images(folder), max_images)
    counts = torch.zeros(NUM_BINS, dtype=torch.float64)
    used = grey = unreadable = 0
    for batch_paths in _batches(_with_progress(paths, progress), _IMAGES_PER_BATCH):
        images = [_load_small_rgb(path, size) for path in batch_paths]
        readable = [image for image in images if image is not None]
        unreadable += len(images) - len(readable)
        if not readable:
            continue
        ab = rgb_to_lab(torch.stack(readable))[:, 1:]
        colourful = ab.norm(dim=1).mean(dim=(1, 2)) >= GREY_CHROMA
        used += int(colourful.sum())
        grey += int((~colourful).sum())
        if colourful.any():
            counts += bin_histogram(ab[colourful])
    return FolderHistogram(counts, used, grey, unreadable)


def compute_prior(folder, max_images: int | None = None, size: int = 64) -> torch.Tensor:
    """The raw prior (313,) of the colour images under `folder`; see `histogram_folder`."""
    histogram = histogram_folder(folder, max_images, size)
    if histogram.images_used == 0:
        raise ColorizeError(
            f"No colour images found in {folder}; point it at a folder of colour photos."
        )
    return empirical_prior(histogram.counts)


def _evenly_spaced(items: list, count: int | None) -> list:
    if count is None or count >= len(items):
        return items
    return [items[i * len(items) // count] for i in range(count)]


def _load_small_rgb(path: Path, size: int) -> torch.Tensor | None:
    """(3, size, size) float RGB in [0, 1], or None when the file cannot be decoded."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (size, size))  # JPEG: decode at reduced scale, much faster
            small = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return torch.from_numpy(np.asarray(small).copy()).permute(2, 0, 1).float() / 255.0


def _batches(items, batch_size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _with_progress(paths: Sequence[Path], progress: bool):
    if not progress:
        return paths
    from tqdm import tqdm

    return tqdm(paths, desc="prior", unit="img", file=sys.stderr)


def save_prior(prior: torch.Tensor, model_dir) -> Path:
    """Write the prior (313,) to model_dir/prior.safetensors (key "prior"); return the path."""
    from safetensors.torch import save_file

    prior = _checked_prior(prior, "prior")
    path = Path(model_dir) / PRIOR_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({PRIOR_KEY: prior.detach().float().cpu().contiguous()}, str(path))
    return path


def load_prior(model_dir) -> torch.Tensor:
    """Read model_dir/prior.safetensors back: float32 (313,)."""
    from safetensors.torch import load_file

    path = Path(model_dir) / PRIOR_FILE
    if not path.is_file():
        raise ColorizeError(
            f"No {PRIOR_FILE} in {model_dir}; create it with "
            f"`python -m hfcolor.quantize IMAGE_FOLDER --out {model_dir}`."
        )
    tensors = load_file(str(path))
    if PRIOR_KEY not in tensors:
        raise ColorizeError(f"{path} has no {PRIOR_KEY!r} tensor; recompute it.")
    return _checked_prior(tensors[PRIOR_KEY].float(), str(path))


def _checked_prior(prior: torch.Tensor, label: str) -> torch.Tensor:
    if prior.shape != (NUM_BINS,):
        raise ColorizeError(f"{label} must have shape ({NUM_BINS},), got {tuple(prior.shape)}.")
    return prior


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m hfcolor.quantize FOLDER --out MODEL_DIR`: compute and save the prior."""
    args = _parse_args(argv)
    try:
        print(write_prior(args.folder, args.out, args.max_images, args.size))
    except ColorizeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def write_prior(folder, model_dir, max_images: int | None = None, size: int = 64) -> str:
    """Measure the prior of a photo folder, save it to model_dir; returns a one-line summary."""
    if max_images is not None and max_images < 1:
        raise ColorizeError(f"--max-images {max_images}: give at least 1 (or leave it out).")
    if not 8 <= size <= 1024:
        raise ColorizeError(f"--size {size} is outside 8..1024; try 64.")
    if Path(model_dir).exists() and not Path(model_dir).is_dir():
        raise ColorizeError(f"--out {model_dir} is a file; give a model folder.")
    started = time.perf_counter()
    histogram = histogram_folder(folder, max_images, size, progress=True)
    if histogram.images_used == 0:
        raise ColorizeError(
            f"No colour images found in {folder}; point it at a folder of colour photos."
        )
    path = save_prior(empirical_prior(histogram.counts), model_dir)
    bins_with_mass = int((histogram.counts > 0).sum())
    return (f"{histogram.images_used} images used ({histogram.images_grey} near-grey and "
            f"{histogram.images_unreadable} unreadable skipped), {bins_with_mass}/{NUM_BINS} "
            f"bins with mass, {time.perf_counter() - started:.1f} s -> {path}")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hfcolor.quantize",
        description="Compute the ab-bin prior of a folder of colour photos for rebalancing.",
    )
    parser.add_argument("folder", help="folder of colour photos, searched recursively")
    parser.add_argument("--out", required=True, help="model folder to write prior.safetensors to")
    parser.add_argument("--max-images", type=int, default=None, help="read at most N images")
    parser.add_argument("--size", type=int, default=64, help="resize images to SIZE x SIZE")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
