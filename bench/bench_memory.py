"""Peak resident memory of colorizing one large photo, end to end (load -> colorize -> PNG).

    python bench/bench_memory.py [--sizes 4000x3000 8660x5773] [--model NAME]

Each size runs in a fresh subprocess, so its peak RSS (ru_maxrss) is its own, imports and
model included. Prints a Markdown table; a photo over the pixel limit shows the clear error.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import resource, sys, time, numpy as np
from PIL import Image
import hfcolor
from hfcolor.io import save_image
w, h = map(int, sys.argv[1].split("x"))
path = sys.argv[2] + "/grey.jpg"
y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
x = np.linspace(0, 255, w, dtype=np.float32)[None, :]
Image.fromarray(((x + y) / 2).astype(np.uint8)).save(path, quality=90)
del x, y
start = time.perf_counter()
try:
    out = hfcolor.colorize(path, model=sys.argv[3] if sys.argv[3] != "-" else None)
    save_image(out, sys.argv[2] + "/out.png")
    result = f"{out.shape[1]}x{out.shape[0]} out"
except hfcolor.ColorizeError as err:
    result = f"ColorizeError: {err}"
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{peak:.0f}|{seconds:.1f}|{result}")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["4000x3000", "8660x5773", "12000x9000"])
    parser.add_argument("--model", default="-")
    args = parser.parse_args()
    print("| photo | megapixels | peak RSS (MB) | seconds | result |")
    print("| --- | --- | --- | --- | --- |")
    for size in args.sizes:
        w, h = map(int, size.split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            line = subprocess.run([sys.executable, "-c", CHILD, size, tmp, args.model],
                                  capture_output=True, text=True, cwd=Path(__file__).parent.parent)
        if line.returncode:
            print(f"| {size} | {w * h / 1e6:.1f} | - | - | crashed: {line.stderr[-200:]} |")
            continue
        peak, seconds, result = line.stdout.strip().splitlines()[-1].split("|", 2)
        print(f"| {size} | {w * h / 1e6:.1f} | {peak} | {seconds} | {result[:90]} |")


if __name__ == "__main__":
    main()
