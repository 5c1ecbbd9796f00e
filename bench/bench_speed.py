"""Speed and memory of colorization models, against the Zhang et al. ECCV16 network.

    python bench/bench_speed.py                       # the default model (or unet-lite0) + ECCV16
    python bench/bench_speed.py models/my-model unet-tiny --repeats 5
    python bench/bench_speed.py --device cuda         # adds batch 64, everything in fp16

Prints Markdown tables:
  - models: parameters and GFLOPs of one 256x256 forward pass (torch FlopCounterMode);
  - latency per photo through `hfcolor.colorize()` for synthetic grey photos (default
    512x512, 1024x768, 4000x3000) at --render-size, i.e. what a user waits for: load,
    network, full-resolution recombination;
  - network throughput for batches of 256x256 inputs (1, 8, 32 on CPU; also 64 on CUDA).
Every case runs in its own subprocess, so its peak memory is its own (see PeakMemory).
"speed vs ECCV16" is ECCV16's time over the model's for the same case (above 1: faster).

Times are medians of up to --repeats runs after a warm-up run, as many as fit in --budget
seconds; a case whose warm-up alone takes longer is timed by it (large ECCV16 batches on a CPU).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import cpu, load_average, parse_size

REFERENCE = "eccv16"
CPU_BATCHES = (1, 8, 32)
CUDA_BATCHES = (1, 8, 32, 64)
DEFAULT_SIZES = ("512x512", "1024x768", "4000x3000")
NET_SIZE = 256


# --------------------------------------------------------------------------- one case, in a child


def load_model(spec: str, device):
    """A registry name (untrained, e.g. unet-lite0) or anything from_pretrained takes."""
    import torch

    from hfcolor.loading import from_pretrained
    from hfcolor.models import create_model, list_models

    if spec in list_models() and not Path(spec).exists():
        torch.manual_seed(0)
        return create_model(spec).eval().to(device)
    return from_pretrained(spec, device=device).eval()


def synthetic_grey_photo(width: int, height: int):
    """A grey uint8 photo with smooth shapes and grain, so no step has it easy."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    coarse = Image.fromarray(rng.integers(0, 256, (12, 16), dtype=np.uint8))
    smooth = np.asarray(coarse.resize((width, height), Image.Resampling.BICUBIC), np.float32)
    return np.clip(smooth + rng.normal(0, 3, smooth.shape), 0, 255).astype(np.uint8)


def run_case(case: dict) -> dict:
    """Time one case and measure its peak memory; returns {seconds, runs, peak_mb}."""
    import torch

    device = torch.device(case["device"])
    net = load_model(case["model"], device)
    if case["kind"] == "latency":
        from hfcolor.pipeline import colorize

        def run(photo):
            colorize(photo, model=net, render_size=case["render_size"], device=device)

        small, full = synthetic_grey_photo(64, 48), synthetic_grey_photo(*case["size"])
    else:
        def run(batch):
            with torch.inference_mode(), torch.autocast(device.type, torch.float16,
                                                         enabled=device.type == "cuda"):
                net(batch)

        small = torch.randn(1, 1, 64, 64, device=device)
        full = torch.randn(case["batch"], 1, NET_SIZE, NET_SIZE, device=device)
    run(small)  # pages in library code and starts thread pools, so the memory figure skips them
    memory = PeakMemory(device)
    seconds, runs = time_step(lambda: run(full), case["repeats"], case["budget"], device)
    return {"seconds": seconds, "runs": runs, "peak_mb": memory.peak_mb()}


class PeakMemory:
    """Peak memory from now on: on CPU the growth of the process's maximum resident set over
    its resident set now (getrusage), on CUDA torch's peak allocation over what is allocated now.
    """

    def __init__(self, device):
        import torch

        self.cuda = device.type == "cuda"
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
        else:
            self.base = current_rss_kib()

    def peak_mb(self) -> float:
        import torch

        if self.cuda:
            return (torch.cuda.max_memory_allocated() - self.base) / 2**20
        return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.base) / 2**10


def current_rss_kib() -> int:
    """Resident memory now (not the peak so far, which model loading may have raised)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:  # not Linux: the peak so far is the best available baseline
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def time_step(step, repeats: int, budget: float, device) -> tuple[float, int]:
    """Median seconds of up to `repeats` runs after a warm-up run.

    As many runs as fit in `budget` seconds, at least one; a step whose warm-up alone takes
    longer than the budget is timed by its warm-up (large ECCV16 batches on a CPU).
    """
    import torch

    def timed() -> float:
        start = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    warm_up = timed()
    if warm_up > budget:
        return warm_up, 1
    times = [timed() for _ in range(max(1, min(repeats, int(budget // warm_up))))]
    return statistics.median(times), len(times)


# --------------------------------------------------------------------------- the parent


def model_facts(spec: str) -> dict:
    """Parameters and GFLOPs of one 1x1x256x256 forward pass."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    net = load_model(spec, torch.device("cpu"))
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        net(torch.zeros(1, 1, NET_SIZE, NET_SIZE))
    return {"params": sum(p.numel() for p in net.parameters()),
            "gflops": counter.get_total_flops() / 1e9}


def measure(case: dict) -> dict:
    command = [sys.executable, __file__, "--case", json.dumps(case)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"case {case} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def default_models() -> list[str]:
    from hfcolor.hub import BUNDLED_MODELS, DEFAULT_MODEL, WEIGHTS_NAME

    bundled = BUNDLED_MODELS / DEFAULT_MODEL
    return [str(bundled)] if (bundled / WEIGHTS_NAME).is_file() else ["unet-lite0"]


def label(spec: str) -> str:
    from hfcolor.models import list_models

    if spec in list_models() and not Path(spec).exists():
        return f"{spec} (untrained)"
    return Path(spec.rstrip("/")).name


def ratio(reference: float, value: float) -> str:
    return f"{reference / value:.2f}×" if value > 0 else "–"


def header(args) -> str:
    import torch

    device = args.device
    if device.startswith("cuda"):
        device += f" ({torch.cuda.get_device_name(torch.device(device))})"
    else:
        device += f" ({cpu()}, {torch.get_num_threads()} torch threads)"
    return (f"hfcolor speed on {device}; torch {torch.__version__}; "
            f"load average {load_average()}; "
            f"median of up to {args.repeats} runs after a warm-up; render size {args.render_size}.")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.case:
        print(json.dumps(run_case(json.loads(args.case))))
        return 0
    specs = list(dict.fromkeys([*(args.models or default_models()), REFERENCE]))
    batches = args.batches or (CUDA_BATCHES if args.device.startswith("cuda") else CPU_BATCHES)
    started = time.perf_counter()
    facts = {spec: model_facts(spec) for spec in specs}
    common = {"device": args.device, "repeats": args.repeats, "budget": args.budget,
              "render_size": args.render_size}
    latency = {(spec, size): measure({**common, "model": spec, "kind": "latency", "size": size})
               for spec in specs for size in args.sizes}
    throughput = {(spec, b): measure({**common, "model": spec, "kind": "batch", "batch": b})
                  for spec in specs for b in batches}
    print(header(args), "\n")
    print_tables(specs, facts, args.sizes, latency, batches, throughput)
    print(f"\n({time.perf_counter() - started:.0f} s in all)")
    return 0


def print_tables(specs, facts, sizes, latency, batches, throughput) -> None:
    ref = facts[REFERENCE]
    print("| model | parameters | GFLOPs @256² | params vs ECCV16 | GFLOPs vs ECCV16 |")
    print("| --- | --- | --- | --- | --- |")
    for spec in specs:
        f = facts[spec]
        print(f"| {label(spec)} | {f['params'] / 1e6:.2f} M | {f['gflops']:.2f} | "
              f"{f['params'] / ref['params']:.3f} | {f['gflops'] / ref['gflops']:.3f} |")
    print("\nLatency per photo through colorize():\n")
    print("| model | photo | latency | peak memory | speed vs ECCV16 |")
    print("| --- | --- | --- | --- | --- |")
    for spec in specs:
        for size in sizes:
            case, ref_case = latency[spec, size], latency[REFERENCE, size]
            print(f"| {label(spec)} | {size[0]}x{size[1]} | {case['seconds'] * 1000:.0f} ms | "
                  f"{case['peak_mb']:.0f} MB | {ratio(ref_case['seconds'], case['seconds'])} |")
    print(f"\nNetwork throughput, {NET_SIZE}x{NET_SIZE} inputs:\n")
    print("| model | batch | images/s | peak memory | speed vs ECCV16 |")
    print("| --- | --- | --- | --- | --- |")
    for spec in specs:
        for batch in batches:
            case, ref_case = throughput[spec, batch], throughput[REFERENCE, batch]
            print(f"| {label(spec)} | {batch} | {batch / case['seconds']:.1f} | "
                  f"{case['peak_mb']:.0f} MB | {ratio(ref_case['seconds'], case['seconds'])} |")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="model folders, Hub ids or registry names "
                        "(default: the bundled default model, else unet-lite0 untrained)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case (default 3)")
    parser.add_argument("--sizes", type=parse_size, nargs="+", default=[
        parse_size(size) for size in DEFAULT_SIZES], help="photo sizes, WIDTHxHEIGHT")
    parser.add_argument("--batches", type=int, nargs="+",
                        help="batch sizes (default 1 8 32 on CPU, 1 8 32 64 on CUDA)")
    parser.add_argument("--render-size", type=int, default=256, help="default 256")
    parser.add_argument("--budget", type=float, default=6.0,
                        help="seconds of timed runs per case, after the warm-up (default 6)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
