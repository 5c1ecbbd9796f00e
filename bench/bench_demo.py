"""Latency of the running demo for a 1-megapixel photo, through gradio_client over loopback.

    python bench/bench_demo.py [--repeats 5] [--size 1155x866]

Starts app.py's demo on the bundled default model on a free loopback port, warms it up, then
times `/colorize` calls end to end (upload, colorize, PNG download) and prints the median.
"""

import argparse
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", default="1155x866", help="WxH (default: 1.0 MP)")
    args = parser.parse_args()
    from gradio_client import Client, handle_file

    import app

    width, height = map(int, args.size.split("x"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo = app.build_demo()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        rng = np.random.default_rng(0)
        grey = (rng.random((height, width)) * 60 + np.linspace(60, 190, width)).astype(np.uint8)
        path = Path(tempfile.mkdtemp()) / "grey.jpg"
        Image.fromarray(grey).save(path, quality=90)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        client.predict(handle_file(str(path)), api_name="/colorize")  # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            client.predict(handle_file(str(path)), api_name="/colorize")
            times.append(time.perf_counter() - start)
    finally:
        demo.close()
    print(f"| photo | calls | median | min | max |\n| --- | --- | --- | --- | --- |\n"
          f"| {width}x{height} ({width * height / 1e6:.1f} MP) | {len(times)} | "
          f"{statistics.median(times):.2f} s | {min(times):.2f} s | {max(times):.2f} s |")


if __name__ == "__main__":
    main()
