"""How close `hfcolor colorize` comes to the cost of just reading and writing the photos.

    python bench/bench_io_floor.py                    # four 4000x3000 grey JPEGs
    python bench/bench_io_floor.py --photos 8 --size 2048x1536 --model models/my-model

The floor is a plain Pillow decode of each grey JPEG plus a PNG encode of the RGB photo that
colorizing it would write (same size, same Pillow PNG settings as hfcolor.io.save_image),
one photo after another. Against it runs the whole `hfcolor colorize IN -o OUT` command in a
subprocess, start-up (Python, torch, model loading) included, as a user would run it.
The target (issue 10): four 4000x3000 grey photos in at most 3x the floor.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import parse_size
from PIL import Image

TARGET_RATIO = 3.0


def make_photos(folder: Path, count: int, width: int, height: int) -> list[Path]:
    """Grey JPEGs (quality 92) with smooth shapes and film grain, like a scanned print."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        rng = np.random.default_rng(index)
        coarse = Image.fromarray(rng.integers(0, 256, (24, 32), dtype=np.uint8))
        smooth = np.asarray(coarse.resize((width, height), Image.Resampling.BICUBIC), np.float32)
        grey = np.clip(smooth + rng.normal(0, 4, smooth.shape), 0, 255).astype(np.uint8)
        path = folder / f"grey{index}.jpg"
        Image.fromarray(grey).save(path, quality=92)
        paths.append(path)
    return paths


def pillow_floor(paths: list[Path], out: Path) -> float:
    """Seconds to decode every photo and write it back as an RGB PNG, with nothing between."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            image.convert("RGB").save(out / f"{path.stem}.png")
    return time.perf_counter() - start


def timed_command(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return seconds


def default_model(scratch: Path) -> str:
    """The bundled default model, else an untrained unet-lite0 (as fast) saved to scratch."""
    from hfcolor.hub import BUNDLED_MODELS, DEFAULT_MODEL, WEIGHTS_NAME

    bundled = BUNDLED_MODELS / DEFAULT_MODEL
    if (bundled / WEIGHTS_NAME).is_file():
        return str(bundled)
    from hfcolor.models import create_model

    folder = scratch / "unet-lite0-untrained"
    create_model("unet-lite0").save_pretrained(folder)
    return str(folder)


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hfcolor-io-floor-") as scratch:
        scratch = Path(scratch)
        model = args.model or default_model(scratch)
        paths = make_photos(scratch / "in", args.photos, *args.size)
        floor = pillow_floor(paths, scratch / "floor")
        startup = timed_command([sys.executable, "-c", "from hfcolor.pipeline import colorize, "
                                 f"resolve_model; resolve_model({model!r}, 'cpu')"])
        cli = [sys.executable, "-m", "hfcolor", "colorize", str(scratch / "in"), "-o",
               str(scratch / "out"), "--model", model, "--device", args.device, "-q"]
        colorizing = timed_command(cli)
    count, (width, height) = len(paths), args.size
    ratio = colorizing / floor
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"{count} grey photos of {width}x{height}, model {Path(model).name}, {args.device}\n")
    print("| step | seconds | per photo |")
    print("| --- | --- | --- |")
    print(f"| Pillow decode + PNG encode (floor) | {floor:.2f} | {floor / count:.2f} |")
    print(f"| start-up alone (imports + model load) | {startup:.2f} | – |")
    print(f"| `hfcolor colorize` (all included) | {colorizing:.2f} | "
          f"{colorizing / count:.2f} |")
    print(f"\nhfcolor colorize / floor = {ratio:.2f}x: {verdict} the target of at most "
          f"{TARGET_RATIO:g}x.")
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=4, help="how many photos (default 4)")
    parser.add_argument("--size", type=parse_size, default=(4000, 3000),
                        help="WIDTHxHEIGHT (default 4000x3000)")
    parser.add_argument("--model", help="model folder or Hub id (default: the bundled model, "
                        "else an untrained unet-lite0)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
