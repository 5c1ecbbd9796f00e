"""How wide a fade to grey near black and white (hfcolor.color.CHROMA_FADE_L) pays, as a table.

    python bench/sweep_chroma_fade.py [--data ../shared/data/val/imagenet1k] [--limit 120]
                                      [--widths 0 8 15 20 25 40] [--model hfcolor-unet-lite0]

Evaluates the model with each fade width (0: none, the colours clipped by the sRGB gamut as
they come) with the evaluation harness and prints PSNR, CIEDE2000, colourfulness and lightness
change per width. Only ab changes; the photo's own lightness is kept either way.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hfcolor.color  # noqa: E402
from hfcolor.evaluate import evaluate  # noqa: E402

FIGURES = ("psnr", "ciede2000", "colorfulness", "lightness_change")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/val/imagenet1k")
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--widths", type=float, nargs="+", default=[0, 8, 15, 20, 25, 40])
    parser.add_argument("--model", default=None, help="default: the bundled default model")
    args = parser.parse_args()
    print(f"| fade width (L) | {' | '.join(FIGURES)} |\n|" + " --- |" * (len(FIGURES) + 1))
    for width in args.widths:
        hfcolor.color.CHROMA_FADE_L = width  # chroma_fade() reads it at every call
        with tempfile.TemporaryDirectory() as out:
            results = evaluate(args.model, args.data, limit=args.limit, out=out, progress=False)
        row = next(r for r in results["rows"] if r["name"] == "model")
        print(f"| {width:g} | " + " | ".join(f"{row[k]:.3f}" for k in FIGURES) + " |")


if __name__ == "__main__":
    main()
