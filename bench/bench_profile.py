"""Where the time goes when colorizing one big grey photo with the bundled default model.

    python bench/bench_profile.py                     # one 4000x3000 grey JPEG, 1 torch thread
    python bench/bench_profile.py --size 8000x6000 --threads 2 --repeats 5 --render-size 256

Writes a synthetic grey JPEG (bench_io_floor.make_photos: smooth shapes, film grain) into a
temporary folder, then times each stage of `hfcolor.colorize()` by calling the functions the
pipeline calls, in its order, each fed the previous stage's output:
  1. io.load_image: read and decode the JPEG, grey -> uint8 RGB;
  2. pipeline._render_input: Pillow resize so the long side is --render-size, padded to stride;
  3. pipeline._network_lightness: Lab lightness of the small photo, normalised and padded;
  4. pipeline._predict: noise + network forward (encode, decode's "ab" head), padding cropped;
  5. pipeline.recombine: ab upsampled to full size, guided by the render-size L, and joined
     with the photo's own L, in chunks of ROWS_PER_CHUNK rows, to uint8 RGB; its rows below
     break it down into the guided filter's fit and the calls of its loop (full-resolution L,
     coefficient upsampling, applying them, Lab -> RGB, float -> uint8);
  6. io.save_image: PNG encode and atomic write, what `hfcolor colorize` writes by default.
Then `colorize(path)` end to end (stages 1-5; it returns the array and saves nothing), so the
sum of stages 1-5 can be checked against it.

Times are medians of --repeats runs after a warm-up run. Prints a Markdown table.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_io_floor import make_photos
from common import cpu, load_average, parse_size

RECOMBINE_PARTS = {
    "guide fit": "upsampling.guided_coefficients (at render size)",
    "lightness": "color.lightness_from_srgb_ints (full-res L)",
    "upsample": "upsampling.upsample_rows (coefficients to full res)",
    "apply": "upsampling.apply_coefficients (full-res ab)",
    "lab_to_rgb": "color.chroma_fade + color.lab_to_rgb",
    "to_uint8": "round, uint8, HWC copy into the result",
}


def timed(step, repeats: int):
    """(median seconds of `repeats` runs after a warm-up run, the last run's result)."""
    result = step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def recombine_parts(photo, ab_small, lightness_small, repeats: int) -> dict[str, float]:
    """Median seconds per part of recombine(): the same calls, a clock around each."""
    import torch

    from hfcolor.color import chroma_fade, lab_to_rgb, lightness_from_srgb_ints
    from hfcolor.pipeline import ROWS_PER_CHUNK
    from hfcolor.upsampling import apply_coefficients, guided_coefficients, upsample_rows

    height, width = photo.rgb.shape[:2]

    def one_run() -> dict[str, float]:
        out = np.empty((height, width, 3), dtype=np.uint8)
        spent = dict.fromkeys(RECOMBINE_PARTS, 0.0)
        clock = time.perf_counter()
        coefficients = guided_coefficients(ab_small[None].float(), lightness_small)
        _add(spent, "guide fit", clock)
        for top in range(0, height, ROWS_PER_CHUNK):
            bottom = min(top + ROWS_PER_CHUNK, height)
            clock = time.perf_counter()
            rgb = torch.from_numpy(photo.rgb[top:bottom]).permute(2, 0, 1)[None]
            lightness = lightness_from_srgb_ints(rgb)
            clock = _add(spent, "lightness", clock)
            upsampled = upsample_rows(coefficients, top, bottom, height, width)
            clock = _add(spent, "upsample", clock)
            ab = apply_coefficients(upsampled, lightness)
            clock = _add(spent, "apply", clock)
            colour = lab_to_rgb(torch.cat([lightness, ab * chroma_fade(lightness)], dim=1))
            clock = _add(spent, "lab_to_rgb", clock)
            out[top:bottom] = (colour[0] * 255).round().byte().permute(1, 2, 0).numpy()
            _add(spent, "to_uint8", clock)
        return spent

    one_run()
    runs = [one_run() for _ in range(repeats)]
    return {part: statistics.median(run[part] for run in runs) for part in RECOMBINE_PARTS}


def _add(spent: dict[str, float], part: str, since: float) -> float:
    now = time.perf_counter()
    spent[part] += now - since
    return now


def profile(path: Path, out: Path, net, render_size: int, repeats: int):
    """[(stage, function, seconds)] for stages 1-6, the recombine breakdown, colorize() s."""
    import torch

    from hfcolor.color import denormalize_l
    from hfcolor.io import load_image, save_image
    from hfcolor.pipeline import (
        Settings,
        _network_lightness,
        _predict,
        _render_input,
        colorize,
        recombine,
    )

    opts, device = Settings(render_size=render_size, device="cpu"), torch.device("cpu")
    stages = []

    def stage(name: str, function: str, step):
        seconds, result = timed(step, repeats)
        stages.append((name, function, seconds))
        return result

    photo = stage("decode JPEG -> RGB", "io.load_image", lambda: load_image(path))
    small = stage("resize to render size", "pipeline._render_input",
                  lambda: _render_input(photo.rgb, render_size, net.stride))
    l_small = stage("lightness at render size", "pipeline._network_lightness",
                    lambda: _network_lightness(small, device))
    height, width = small.size
    with torch.inference_mode():
        ab = stage(f"network forward ({small.padded_shape[1]}x{small.padded_shape[0]})",
                   "pipeline._predict", lambda: _predict(net, l_small, None, opts, device))
        ab = ab[0, :, :height, :width]
        lightness = denormalize_l(l_small[..., :height, :width])
        rgb = stage("guided ab upsampling + Lab -> RGB", "pipeline.recombine",
                    lambda: recombine(photo, ab, lightness))
        parts = recombine_parts(photo, ab, lightness, repeats)
    stage("PNG encode + save", "io.save_image", lambda: save_image(rgb, out))
    end_to_end, _ = timed(lambda: colorize(path, model=net, **vars(opts)), repeats)
    return stages, parts, end_to_end


def print_table(stages, parts, end_to_end: float) -> None:
    total = sum(seconds for _, _, seconds in stages)
    print("| stage | function | ms | share |")
    print("| --- | --- | ---: | ---: |")
    for index, (name, function, seconds) in enumerate(stages, 1):
        print(f"| {index}. {name} | {function} | {seconds * 1000:.0f} | "
              f"{seconds / total:.1%} |")
        if function == "pipeline.recombine":
            for part, label in RECOMBINE_PARTS.items():
                print(f"| &nbsp;&nbsp;↳ {part} | {label} | {parts[part] * 1000:.0f} | "
                      f"({parts[part] / total:.1%}) |")
    print(f"| **total, stages 1-6** | | **{total * 1000:.0f}** | 100% |")
    without_save = total - stages[-1][2]
    print(f"\ncolorize(path) end to end (stages 1-5, no save): {end_to_end * 1000:.0f} ms; "
          f"sum of stages 1-5: {without_save * 1000:.0f} ms "
          f"({without_save / end_to_end - 1:+.1%}). Rows marked ↳ break stage 5 down and are "
          "not added to the total.")


def header(args, net) -> str:
    import torch

    params = sum(p.numel() for p in net.parameters()) / 1e6
    return (f"hfcolor stage profile: {args.size[0]}x{args.size[1]} grey JPEG "
            f"({args.size[0] * args.size[1] / 1e6:.1f} MP), bundled default model "
            f"({params:.2f} M parameters), render size {args.render_size}; CPU "
            f"({cpu()}, {torch.get_num_threads()} torch threads); torch {torch.__version__}; "
            f"load average {load_average()}; median of {args.repeats} runs after a warm-up.")


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    import hfcolor

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    net = hfcolor.from_pretrained().eval()
    with tempfile.TemporaryDirectory(prefix="hfcolor-profile-") as scratch:
        path = make_photos(Path(scratch), 1, *args.size)[0]
        stages, parts, end_to_end = profile(path, Path(scratch) / "colour.png", net,
                                            args.render_size, args.repeats)
    print(header(args, net), "\n")
    print_table(stages, parts, end_to_end)
    return 0


def parse_args(argv):
    from hfcolor.pipeline import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=parse_size, default=(4000, 3000),
                        help="photo size, WIDTHxHEIGHT (default 4000x3000)")
    parser.add_argument("--render-size", type=int, default=Settings.render_size,
                        help=f"network input's long side (default {Settings.render_size})")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (default 5)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
