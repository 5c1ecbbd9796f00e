"""How much colour hints help, with hints taken from the originals, as a table.

    python bench/bench_hints.py [--data ../shared/data/val/imagenet1k] [--limit 40] [--hints 3]
                                [--model hfcolor-unet-lite0] [--variants 0.4,2,2 0.6,1.5,2]

Each colour photo is turned grey (its L kept) and given `--hints` hints at random places
(seeded), each with the original's mean colour in the 5x5 pixels there: the hints a user who
knew the colours would give. Rows: no hints; hints as network inputs only; the network plus
`hfcolor.hints.propagate_hints` (the shipped setting, and each variant REACH,EDGE_COST,SMOOTHING
of its constants). PSNR and CIEDE2000 against the originals, averaged over the photos.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.color import lab2rgb, rgb2lab

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hfcolor  # noqa: E402
import hfcolor.hints  # noqa: E402
import hfcolor.pipeline  # noqa: E402
from hfcolor.hints import Hint  # noqa: E402
from hfcolor.metrics import ciede2000, psnr  # noqa: E402

CONSTANTS = ("HINT_REACH", "HINT_EDGE_COST", "HINT_SMOOTHING")


def hinted_cases(folder: Path, limit: int, count: int, seed: int = 0) -> list[tuple]:
    """(original, grey, hints) per photo."""
    rng = np.random.default_rng(seed)
    cases = []
    for path in sorted(p for p in folder.iterdir() if hfcolor.io.is_image_file(p))[:limit]:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        lab = rgb2lab(rgb)
        lab[..., 1:] = 0
        grey = (lab2rgb(lab) * 255).round().astype(np.uint8)
        height, width = rgb.shape[:2]
        hints = []
        for _ in range(count):
            x, y = int(rng.integers(2, width - 2)), int(rng.integers(2, height - 2))
            colour = rgb[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).mean(axis=0).round()
            hints.append(Hint(x, y, tuple(int(v) for v in colour)))
        cases.append((rgb, grey, hints))
    return cases


def score(cases, model, use_hints: bool) -> tuple[float, float]:
    psnrs, ciedes = [], []
    for rgb, grey, hints in cases:
        out = hfcolor.colorize(grey, model=model, hints=hints if use_hints else [])
        psnrs.append(psnr(out, rgb))
        ciedes.append(ciede2000(out, rgb))
    return float(np.mean(psnrs)), float(np.mean(ciedes))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/val/imagenet1k")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--hints", type=int, default=3)
    parser.add_argument("--model", default=None, help="default: the bundled default model")
    parser.add_argument("--variants", nargs="*", default=[],
                        help="REACH,EDGE_COST,SMOOTHING triples to compare with the shipped one")
    args = parser.parse_args()
    cases = hinted_cases(Path(args.data), args.limit, args.hints)
    model = hfcolor.from_pretrained(args.model)
    shipped = tuple(getattr(hfcolor.hints, name) for name in CONSTANTS)
    print(f"{len(cases)} photos of {args.data}, {args.hints} hints each\n")
    print("| hints | PSNR | CIEDE2000 |\n| --- | --- | --- |")
    row("none", score(cases, model, use_hints=False))
    propagate = hfcolor.pipeline.propagate_hints
    hfcolor.pipeline.propagate_hints = lambda ab, *rest: ab
    row("network inputs only", score(cases, model, use_hints=True))
    hfcolor.pipeline.propagate_hints = propagate
    for text in ["shipped"] + args.variants:
        values = shipped if text == "shipped" else tuple(map(float, text.split(",")))
        for name, value in zip(CONSTANTS, values, strict=True):
            setattr(hfcolor.hints, name, value)
        label = "+ propagation " + ", ".join(f"{v:g}" for v in values)
        row(label + (" (shipped)" if text == "shipped" else ""), score(cases, model, True))


def row(label: str, figures: tuple[float, float]) -> None:
    print(f"| {label} | {figures[0]:.3f} | {figures[1]:.3f} |", flush=True)

if __name__ == "__main__":
    main()
