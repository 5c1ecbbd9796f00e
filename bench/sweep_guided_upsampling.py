"""How the guided upsampling of ab (hfcolor/upsampling.py) compares with plain bilinear.

    python bench/sweep_guided_upsampling.py [--data ../shared/data/val/hires] [--limit N]
                                            [--variants off 2,1e-3 2,1e-2 4,1e-3]
    python bench/sweep_guided_upsampling.py --data ../shared/data/val/imagenet1k --seeds 1 2 3 4

`colorize()` fits He et al.'s fast guided filter at the network's resolution (box radius R,
regularisation EPS on L / 100; shipped: 2, 1e-3) and applies its coefficients to the
full-resolution lightness, so colour edges follow the photo's own edges; "off" is plain
bilinear upsampling of ab (radius 0), what shipped before. Prints, per variant, the harness's
PSNR / CIEDE2000 / colourfulness and CIEDE2000 near strong lightness edges (the top 5% of the
originals' Sobel magnitude, widened by 3 pixels) and elsewhere; with --seeds, the harness's
figures over those seeds and their diversity instead.
"""

import argparse
import functools
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage.color import deltaE_ciede2000, rgb2lab

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hfcolor.pipeline as pipeline  # noqa: E402
from hfcolor import upsampling  # noqa: E402
from hfcolor.evaluate import evaluate, grey_version  # noqa: E402
from hfcolor.io import find_images, load_image  # noqa: E402


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
    last = "diversity" if args.seeds else "CIEDE2000 near edges | elsewhere"
    header = f"| variant | PSNR | CIEDE2000 | colourfulness | {last} |"
    print(header + "\n" + "| --- " * (header.count("|") - 1) + "|")
    for variant in args.variants:
        radius, eps = (0, 0.0) if variant == "off" else variant.split(",")
        pipeline.guided_coefficients = functools.partial(
            upsampling.guided_coefficients, radius=int(radius), eps=float(eps))
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
