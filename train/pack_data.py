"""Pack the training photos small enough to travel to a GPU machine (the device tool: 64 MiB).

    python train/pack_data.py                      # ../shared/data -> gpu_data/{train,val}
    python train/pack_data.py --quality 75 --val-photos 64

Each training photo becomes the square that training loads anyway (`load_square`: short side
`--size`, centre crop), saved as WebP, in the same sub-folders (so `--folder_repeats` and
`--labels` still work); grey photos are left out. A few validation photos go to `val/` for the
training script's own validation grid. Prints the packed size.
"""

import argparse
import sys
from pathlib import Path

from PIL import Image
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "train"))
from training_data import PhotoFolder, load_square  # noqa: E402

from hfcolor.io import find_images  # noqa: E402


def pack(sources: list[Path], root: Path, out: Path, size: int, quality: int) -> int:
    """Write each source photo under `out` at its path relative to `root`; total bytes."""
    total = 0
    for path in tqdm(sources, f"packing {out}"):
        target = out / path.relative_to(root).with_suffix(".webp")
        target.parent.mkdir(parents=True, exist_ok=True)
        square = load_square(str(path), size).permute(1, 2, 0).numpy()
        Image.fromarray(square).save(target, "WEBP", quality=quality, method=6)
        total += target.stat().st_size
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the folder holding train/ and val/ (%(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "gpu_data",
                        help="where the packed train/ and val/ go (%(default)s)")
    parser.add_argument("--size", type=int, default=128,
                        help="side of the training squares: training's --load_size (%(default)s)")
    parser.add_argument("--quality", type=int, default=68,
                        help="WebP quality of the training squares (%(default)s)")
    parser.add_argument("--val-set", default="imagenette",
                        help="the folder under val/ to take validation photos from (%(default)s)")
    parser.add_argument("--val-photos", type=int, default=64,
                        help="how many validation photos to pack (%(default)s)")
    parser.add_argument("--val-size", type=int, default=224,
                        help="side of the validation squares (%(default)s)")
    args = parser.parse_args(argv)

    train_root = args.data / "train"
    photos = [Path(f) for f in PhotoFolder(str(train_root), args.size, drop_grey=True).files]
    size = pack(photos, train_root, args.out / "train", args.size, args.quality)
    val_root = args.data / "val" / args.val_set
    val = find_images(val_root)[:args.val_photos]
    size += pack(val, val_root, args.out / "val", args.val_size, 90)
    print(f"{len(photos)} training and {len(val)} validation photos in {args.out}: "
          f"{size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
