"""A contact sheet of genuine historical photos colorized by a model, to judge by eye.

    python docs/bw_contact_sheet.py [--model hfcolor-unet-lite0] [--data ../shared/data/bw]

Writes docs/bw_contact_sheet.jpg: every photo as (input | colorized) pairs, four pairs a row,
and the full-resolution colorized photos to --out (default outputs/bw, not committed).
"""

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from hfcolor.evaluate import thumbnail  # noqa: E402
from hfcolor.io import find_images, load_image, save_image  # noqa: E402
from hfcolor.pipeline import colorize  # noqa: E402

HEIGHT, GAP, CAPTION, PER_ROW = 200, 8, 18, 4


def sheet(pairs: list[tuple[str, Image.Image, Image.Image]]) -> Image.Image:
    cell_w = max(a.width + b.width for _, a, b in pairs) + GAP
    rows = (len(pairs) + PER_ROW - 1) // PER_ROW
    canvas = Image.new("RGB", (PER_ROW * (cell_w + GAP) + GAP,
                               rows * (HEIGHT + CAPTION + GAP) + GAP), "white")
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default(size=13)
    for i, (name, grey, colour) in enumerate(pairs):
        left = GAP + (i % PER_ROW) * (cell_w + GAP)
        top = GAP + (i // PER_ROW) * (HEIGHT + CAPTION + GAP)
        draw.text((left, top), name, fill="black", font=font)
        canvas.paste(grey, (left, top + CAPTION))
        canvas.paste(colour, (left + grey.width + 2, top + CAPTION))
    return canvas


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bw")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bw")
    parser.add_argument("--sheet", type=Path, default=ROOT / "docs" / "bw_contact_sheet.jpg")
    args = parser.parse_args()
    pairs = []
    for path in find_images([args.data]):
        photo = load_image(path)
        colour = colorize(photo, model=args.model)
        save_image(colour, args.out / f"{path.stem}.png")
        pairs.append((path.stem, thumbnail(photo.rgb, HEIGHT), thumbnail(colour[..., :3], HEIGHT)))
    sheet(pairs).save(args.sheet, quality=88)
    print(f"wrote {args.sheet} and {len(pairs)} photos under {args.out}")


if __name__ == "__main__":
    main()
