"""The default model's network in PyTorch against ONNX Runtime on the CPU.

    pip install onnxruntime onnx onnxscript           # not in requirements: this script only
    python bench/bench_onnx.py                        # 192² and 256² batch 1, 256² batch 8
    python bench/bench_onnx.py --threads 1 2 4 --repeats 30 --budget 20

Exports what `colorize()` runs for the bundled default model (UNetColorizer.encode, then
decode with only the regression "ab" head; inputs lightness, hints and noise, the noise all
zeros as colorize() uses without a seed) to ONNX in a temporary folder, once per input shape
(static shapes, the best case for ONNX Runtime), and checks that ONNX Runtime's ab equals
PyTorch's (max abs diff, ab in [-1, 1]; it stops above --tolerance). Then times PyTorch
(float32, torch.inference_mode) against an ONNX Runtime CPUExecutionProvider session (all
graph optimisations) with the same number of threads on both sides.

The two runtimes take turns, run for run, so load from other processes falls on both alike.
Times are medians of up to --repeats pairs after a warm-up pair, as many as fit in --budget
seconds. "torch / onnx" above 1 means ONNX Runtime is faster. Prints a Markdown table.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import cpu, load_average

INSTALL = "pip install onnxruntime onnx onnxscript"
CASES = ((192, 1), (256, 1), (256, 8))  # (input side, batch)


def require_onnxruntime():
    try:
        import onnx  # noqa: F401
        import onnxruntime
        import onnxscript  # noqa: F401
    except ImportError as err:
        raise SystemExit(f"bench_onnx.py needs ONNX Runtime ({err.name} is missing): "
                         f"{INSTALL}") from err
    return onnxruntime


def ab_network(net):
    """The network as colorize() runs it for regression models: (l, hints, noise) -> ab."""
    from torch import nn

    class AbNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, l, hints, noise):
            return self.net.decode(self.net.encode(l, hints), noise, heads=("ab",))["ab"]

    return AbNetwork().eval()


def example_inputs(net, side: int, batch: int) -> dict[str, np.ndarray]:
    """Lightness in [-1, 1] with some structure, no hints (zeros), zero noise."""
    rng = np.random.default_rng(side + batch)
    ramp = np.linspace(-0.8, 0.8, side, dtype=np.float32)
    l = ramp[None, None, :, None] + 0.2 * rng.standard_normal((batch, 1, side, side))
    return {"l": np.clip(l, -1, 1).astype(np.float32),
            "hints": np.zeros((batch, 3, side, side), np.float32),
            "noise": np.zeros(net.noise_shape(batch, side, side), np.float32)}


def export(module, inputs: dict[str, np.ndarray], path: Path) -> Path:
    """torch.export, decomposed to core ATen ops, then the torch.export-based ONNX exporter.

    Decomposing first turns SelfAttention's scaled_dot_product_attention on 3D (B, N, C)
    tensors into MatMul/Softmax: the exporter's own translation only takes 4D ones.
    """
    import torch

    args = tuple(torch.from_numpy(value) for value in inputs.values())
    program = torch.export.export(module, args).run_decompositions()
    torch.onnx.export(program, args, str(path), input_names=list(inputs), output_names=["ab"],
                      dynamo=True, external_data=False, verbose=False)
    return path


def ort_session(ort, path: Path, threads: int):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def torch_step(module, inputs: dict[str, np.ndarray]):
    import torch

    args = tuple(torch.from_numpy(value) for value in inputs.values())

    def step():
        with torch.inference_mode():
            return module(*args).numpy()

    return step


def max_abs_diff(module, session, inputs: dict[str, np.ndarray]) -> float:
    (onnx_ab,) = session.run(None, inputs)
    return float(np.abs(torch_step(module, inputs)() - onnx_ab).max())


def time_pair(steps: dict, repeats: int, budget: float) -> dict[str, float]:
    """Median seconds of each step, the steps taking turns, after a warm-up turn."""

    def timed(step) -> float:
        start = time.perf_counter()
        step()
        return time.perf_counter() - start

    warm_up = sum(timed(step) for step in steps.values())
    times = {name: [] for name in steps}
    for _ in range(max(1, min(repeats, int(budget // warm_up)))):
        for name, step in steps.items():
            times[name].append(timed(step))
    return {name: statistics.median(values) for name, values in times.items()}


def run(args, ort, net, scratch: Path) -> tuple[list, list]:
    """([(side, batch, max abs diff)], [(side, batch, threads, torch s, onnx s)])."""
    import torch

    module = ab_network(net)
    checks, rows = [], []
    for side, batch in CASES:
        inputs = example_inputs(net, side, batch)
        path = export(module, inputs, scratch / f"ab_{side}_b{batch}.onnx")
        for threads in args.threads:
            torch.set_num_threads(threads)
            session = ort_session(ort, path, threads)
            if threads == args.threads[0]:
                checks.append((side, batch, max_abs_diff(module, session, inputs)))
                if checks[-1][2] > args.tolerance:
                    raise SystemExit(f"ONNX differs from torch at {side}² batch {batch}: max "
                                     f"abs diff {checks[-1][2]:.2e} > {args.tolerance:g}")
            steps = {"torch": torch_step(module, inputs),
                     "onnx": lambda s=session, i=inputs: s.run(None, i)}
            seconds = time_pair(steps, args.repeats, args.budget)
            rows.append((side, batch, threads, seconds["torch"], seconds["onnx"]))
    return checks, rows


def print_tables(checks, rows) -> None:
    for side, batch, diff in checks:
        print(f"ONNX vs torch, {side}x{side} batch {batch}: max abs diff {diff:.2e} "
              f"(ab in [-1, 1]; {diff * 110:.1e} in Lab units)")
    print("\n| input | batch | threads | torch ms | onnxruntime ms | torch / onnx |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for side, batch, threads, torch_s, onnx_s in rows:
        print(f"| {side}x{side} | {batch} | {threads} | {torch_s * 1000:.1f} | "
              f"{onnx_s * 1000:.1f} | {torch_s / onnx_s:.2f}× |")


def header(args, ort, net) -> str:
    import torch

    params = sum(p.numel() for p in net.parameters()) / 1e6
    return (f"Default model network ({params:.2f} M parameters), float32 on CPU "
            f"({cpu()}); torch {torch.__version__} vs onnxruntime {ort.__version__} "
            f"(CPUExecutionProvider); load average {load_average()}; "
            f"median of up to {args.repeats} "
            f"alternating runs after a warm-up, {args.budget:g} s per case.")


def main(argv=None) -> int:
    args = parse_args(argv)
    ort = require_onnxruntime()
    import torch

    import hfcolor

    torch.set_num_interop_threads(1)
    net = hfcolor.from_pretrained().eval()
    if not (hasattr(net, "encode") and net.head in ("regression", "both")):
        raise SystemExit("The default model has no encode/decode regression head to export.")
    with tempfile.TemporaryDirectory(prefix="hfcolor-onnx-") as scratch:
        checks, rows = run(args, ort, net, Path(scratch))
    print(header(args, ort, net), "\n")
    print_tables(checks, rows)
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="thread counts, the same for both runtimes (default 1 2)")
    parser.add_argument("--repeats", type=int, default=20, help="timed pairs (default 20)")
    parser.add_argument("--budget", type=float, default=10.0,
                        help="seconds of timed runs per case, after the warm-up (default 10)")
    parser.add_argument("--tolerance", type=float, default=1e-3,
                        help="largest allowed max abs diff of ab in [-1, 1] (default 1e-3)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
