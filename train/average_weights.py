"""Average the weights of models fine-tuned from one start: a model soup (WiSE-FT).

    python train/average_weights.py runs/soup hfcolor-unet-lite0 runs/b/checkpoint
    python train/average_weights.py runs/soup A B --weights 0.3 0.7

Fine-tuning pulls a model towards what its new steps favour; the average of the start and the
fine-tuned weights often keeps what each does well (Wortsman et al., 2022). Every model must
have the same architecture; a model may be a folder or a bundled model's name. OUT gets the
weighted mean in float32, every other file of the last model (config.json, prior,
train_config.json, training_state.pt), so `train/export.py OUT` and `hfcolor evaluate OUT` take
it like a checkpoint, and a short model card naming what was averaged.
"""

import argparse
import shutil
import sys
from pathlib import Path

import safetensors.torch
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hfcolor.loading import locate  # noqa: E402

WEIGHTS = "model.safetensors"
CARD = "README.md"


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


def soup_card(out: Path, names: list[str], weights: list[float]) -> str:
    """The soup's model card: what was averaged (each input's own card says how it trained)."""
    parts = "\n".join(f"- `{name}` x {weight:g}" for name, weight in zip(names, weights,
                                                                         strict=True))
    return (f"# {out.name}\n\nA weight average (model soup, `train/average_weights.py`) of:"
            f"\n\n{parts}\n\nEach model's own card says how it was trained.\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the folder to write the average to")
    parser.add_argument("models", nargs="+",
                        help="model or checkpoint folders, or bundled model names")
    parser.add_argument("--weights", type=float, nargs="+", help="default: equal")
    args = parser.parse_args(argv)
    folders = [Path(locate(name)) for name in args.models]
    missing = [name for name, folder in zip(args.models, folders, strict=True)
               if not (folder / WEIGHTS).is_file()]
    if missing:
        raise SystemExit(f"no {WEIGHTS} in {', '.join(missing)}; give model or checkpoint "
                         "folders, or bundled model names")
    weights = args.weights or [1 / len(folders)] * len(folders)
    state = average(folders, weights)
    args.out.mkdir(parents=True, exist_ok=True)
    for file in folders[-1].iterdir():
        if file.is_file() and file.name not in (WEIGHTS, CARD):
            shutil.copy(file, args.out / file.name)
    safetensors.torch.save_file(state, str(args.out / WEIGHTS))
    (args.out / CARD).write_text(soup_card(args.out, args.models, weights))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
