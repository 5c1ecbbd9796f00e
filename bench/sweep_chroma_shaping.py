"""Decode-time ways of shaping the predicted chroma, side by side, as a table.

    python bench/sweep_chroma_shaping.py [--data ../shared/data/val/imagenet1k] [--limit 120]
        [--variants scale=0.95 scale=1 scale=1.05 gamma=1.3 below=1.5,scale=1.09 clip]

Each variant changes only how the model's ab becomes a colour, with the network untouched:
  scale=K           ab times K (what the `saturation` setting does)
  gamma=G           chroma C becomes C * (C / pivot) ** (G - 1): weak colours weaker, strong ones
                    stronger
  below=G           the same, but only below the pivot (strong colours kept)
  pivot=P           the pivot chroma of the two above (default 30)
  clip              linear RGB clipped per channel instead of each pixel's ab scaled down to the
                    sRGB gamut edge (hue and L kept, what colorize() does)
Prints PSNR, CIEDE2000, colourfulness and lightness change per variant (evaluation harness),
so a variant can be compared with the plain scale rows at equal colourfulness.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import kornia.color
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hfcolor.color  # noqa: E402
import hfcolor.pipeline  # noqa: E402
from hfcolor.evaluate import evaluate  # noqa: E402

FIGURES = ("psnr", "ciede2000", "colorfulness", "lightness_change")


def parse_variant(text: str) -> dict:
    variant = {"scale": 1.0, "gamma": 1.0, "below": 1.0, "pivot": 30.0, "clip": False}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key not in variant:
            raise SystemExit(f"unknown variant key {key!r}: use {', '.join(variant)}")
        variant[key] = True if key == "clip" else float(value)
    return variant


def shape_chroma(ab: torch.Tensor, variant: dict) -> torch.Tensor:
    ratio = ab.norm(dim=-3, keepdim=True).clamp_min(1e-6) / variant["pivot"]
    factor = ratio ** (variant["gamma"] - 1) * ratio.clamp(max=1.0) ** (variant["below"] - 1)
    return ab * (variant["scale"] * factor)


def clipped_lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab -> sRGB with linear R, G, B clipped on their own (what lab_to_rgb did before it
    kept lightness by cutting chroma to the gamut's edge)."""
    rgb = kornia.color.lab_to_rgb(hfcolor.color.clamp_ab(lab.float()), clip=True)
    return torch.nan_to_num(rgb, nan=0.0).clamp(0.0, 1.0)


def run_variant(variant: dict, args) -> dict:
    predict, to_rgb = hfcolor.pipeline._predict, hfcolor.pipeline.lab_to_rgb
    hfcolor.pipeline._predict = lambda *a, **k: shape_chroma(predict(*a, **k), variant)
    if variant["clip"]:
        hfcolor.pipeline.lab_to_rgb = clipped_lab_to_rgb
    try:
        with tempfile.TemporaryDirectory() as out:
            results = evaluate(args.model, args.data, limit=args.limit, out=out, progress=False)
    finally:
        hfcolor.pipeline._predict, hfcolor.pipeline.lab_to_rgb = predict, to_rgb
    return next(r for r in results["rows"] if r["name"] == "model")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/val/imagenet1k")
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--variants", nargs="+",
                        default=["scale=0.95", "scale=1", "scale=1.05", "gamma=1.3",
                                 "gamma=1.3,scale=1.03", "below=1.5,scale=1.09", "clip"])
    parser.add_argument("--model", default=None, help="default: the bundled default model")
    args = parser.parse_args()
    variants = [(text, parse_variant(text)) for text in args.variants]
    print(f"| variant | {' | '.join(FIGURES)} |\n|" + " --- |" * (len(FIGURES) + 1))
    for text, variant in variants:
        row = run_variant(variant, args)
        print(f"| {text} | " + " | ".join(f"{row[k]:.3f}" for k in FIGURES) + " |", flush=True)


if __name__ == "__main__":
    main()
