"""Whether upsampling ab with a guided filter (the photo's lightness as guide) beats bilinear.

    python bench/sweep_guided_upsampling.py [--data ../shared/data/val/hires] [--limit N]
                                            [--variants off 2,1e-3 2,1e-2 4,1e-3]
    python bench/sweep_guided_upsampling.py --data ../shared/data/val/imagenet1k --seeds 1 2 3 4

`colorize()` upsamples the network's ab bilinearly, so colour can bleed a few pixels past an
edge at full resolution. A variant R,EPS fits He et al.'s fast guided filter at the network's
resolution (box radius R, regularisation EPS on L / 100) and applies its coefficients to the
full-resolution lightness, so colour edges follow the photo's own edges. Prints, per variant,
the harness's PSNR / CIEDE2000 / colourfulness and CIEDE2000 near strong lightness edges (the
top 5% of the originals' Sobel magnitude, widened by 3 pixels) and elsewhere; with --seeds,
the harness's figures over those seeds and their diversity instead.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import kornia
import numpy as np
import torch
from PIL import Image
from scipy import ndimage
from skimage.color import deltaE_ciede2000, rgb2lab

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hfcolor.pipeline as pipeline  # noqa: E402
from hfcolor.color import chroma_fade, lab_to_rgb, lightness_from_srgb_ints  # noqa: E402
from hfcolor.evaluate import evaluate, grey_version  # noqa: E402
from hfcolor.io import find_images, load_image  # noqa: E402


def guided_coefficients(ab, guide, radius: int, eps: float):
    """ab (n, 2, h, w) and guide (1, 1, h, w) in [0, 1] -> mean A, b with ab ~ A * guide + b."""
    box = lambda x: kornia.filters.box_blur(x, (2 * radius + 1,) * 2, border_type="reflect")  # noqa: E731
    mean_guide, mean_ab = box(guide), box(ab)
    slope = (box(guide * ab) - mean_guide * mean_ab) / (box(guide * guide) - mean_guide**2 + eps)
    return box(slope), box(mean_ab - slope * mean_guide)


def guided_recombine(radius: int, eps: float):
    """pipeline.recombine with the guided filter in place of plain bilinear upsampling."""

    def recombine(photo, ab_small):
        height, width = photo.rgb.shape[:2]
        h, w = ab_small.shape[-2:]
        small = Image.fromarray(photo.rgb).resize((w, h), Image.BILINEAR, reducing_gap=3.0)
        guide = lightness_from_srgb_ints(torch.from_numpy(np.array(small)).permute(2, 0, 1)[None])
        coefficients = torch.cat(guided_coefficients(ab_small[None].float(), guide / 100, radius,
                                                     eps), dim=1)
        out = np.empty((height, width, 3), dtype=np.uint8)
        for top in range(0, height, pipeline.ROWS_PER_CHUNK):
            bottom = min(top + pipeline.ROWS_PER_CHUNK, height)
            rgb = torch.from_numpy(photo.rgb[top:bottom]).permute(2, 0, 1)[None]
            lightness = lightness_from_srgb_ints(rgb)
            c = pipeline._upsample_rows(coefficients, top, bottom, height, width, h / height)
            ab = c[:, :2] * (lightness / 100) + c[:, 2:]
            colour = lab_to_rgb(torch.cat([lightness, ab * chroma_fade(lightness)], dim=1))
            out[top:bottom] = (colour[0] * 255).round().byte().permute(1, 2, 0).numpy()
        return out

    return recombine


def edge_ciede2000(data: Path, limit: int | None) -> tuple[float, float]:
    near, elsewhere = [], []
    for path in find_images(data)[:limit]:
        rgb = load_image(path).rgb
        lab = rgb2lab(rgb)
        magnitude = np.hypot(ndimage.sobel(lab[..., 0], 0), ndimage.sobel(lab[..., 0], 1))
        edges = ndimage.binary_dilation(magnitude > np.percentile(magnitude, 95), iterations=3)
        difference = deltaE_ciede2000(lab, rgb2lab(pipeline.colorize(grey_version(rgb))))
        near.append(difference[edges].mean())
        elsewhere.append(difference[~edges].mean())
    return float(np.mean(near)), float(np.mean(elsewhere))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/val/hires", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--variants", nargs="+", default=["off", "2,1e-3", "2,1e-2", "4,1e-3"])
    parser.add_argument("--seeds", type=int, nargs="+", help="score samples of these seeds")
    args = parser.parse_args()
    bilinear = pipeline.recombine
    last = "diversity" if args.seeds else "CIEDE2000 near edges | elsewhere"
    header = f"| variant | PSNR | CIEDE2000 | colourfulness | {last} |"
    print(header + "\n" + "| --- " * (header.count("|") - 1) + "|")
    for variant in args.variants:
        if variant == "off":
            pipeline.recombine = bilinear
        else:
            radius, eps = variant.split(",")
            pipeline.recombine = guided_recombine(int(radius), float(eps))
        with tempfile.TemporaryDirectory() as out:
            results = evaluate(None, args.data, limit=args.limit, out=out, progress=False,
                               seeds=args.seeds)
        row = next(r for r in results["rows"] if r["name"].startswith("model"))
        if args.seeds:
            rest = f"{row['diversity']:.3f}"
        else:
            rest = "{:.3f} | {:.3f}".format(*edge_ciede2000(args.data, args.limit))
        print(f"| {variant} | {row['psnr']:.3f} | {row['ciede2000']:.3f} | "
              f"{row['colorfulness']:.2f} | {rest} |", flush=True)


if __name__ == "__main__":
    main()
