"""Average the weights of models fine-tuned from one start: a model soup (WiSE-FT).

    python train/average_weights.py runs/soup models/hfcolor-unet-lite0 runs/b/checkpoint
    python train/average_weights.py runs/soup A B --weights 0.3 0.7

Fine-tuning pulls a model towards what its new steps favour; the average of the start and the
fine-tuned weights often keeps what each does well (Wortsman et al., 2022). Every model must
have the same architecture. OUT gets the weighted mean in float32 and every other file of the
last model (config.json, prior, train_config.json, training_state.pt), so `train/export.py OUT`
and `hfcolor evaluate OUT` take it like a checkpoint.
"""

import argparse
import shutil
from pathlib import Path

import safetensors.torch
import torch

WEIGHTS = "model.safetensors"


def average(folders: list[Path], weights: list[float]) -> dict[str, torch.Tensor]:
    """The weighted mean of each floating-point tensor; integer ones (BN counts) from the last."""
    if len(weights) != len(folders) or abs(sum(weights) - 1) > 1e-6:
        raise SystemExit(f"give one weight per model, summing to 1 (got {weights})")
    states = [safetensors.torch.load_file(folder / WEIGHTS) for folder in folders]
    last = states[-1]
    last_shapes = {k: v.shape for k, v in last.items()}
    for folder, state in zip(folders, states, strict=True):
        if {k: v.shape for k, v in state.items()} != last_shapes:
            raise SystemExit(f"{folder} has another architecture than {folders[-1]}; only "
                             "models fine-tuned from one start can be averaged")
    return {key: sum(w * s[key].float() for w, s in zip(weights, states, strict=True))
            if value.is_floating_point() else value for key, value in last.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("models", type=Path, nargs="+", help="model or checkpoint folders")
    parser.add_argument("--weights", type=float, nargs="+", help="default: equal")
    args = parser.parse_args(argv)
    weights = args.weights or [1 / len(args.models)] * len(args.models)
    state = average(args.models, weights)
    args.out.mkdir(parents=True, exist_ok=True)
    for file in args.models[-1].iterdir():
        if file.is_file() and file.name != WEIGHTS:
            shutil.copy(file, args.out / file.name)
    safetensors.torch.save_file(state, str(args.out / WEIGHTS))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
