"""Training throughput (photos per second) of every preset of train/train.py, on this machine.

    python bench/bench_train.py [--steps 4] [--batch-size 32] [--crop 112] [--threads N]

Runs real training steps (forward, backward, optimiser; the discriminator's too where the preset
has a GAN) on random photos, so data loading is left out; prints a Markdown table.
"""

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "train"))
import model_setup  # noqa: E402

import train  # noqa: E402


def steps_per_second(preset: str, steps: int, batch: int, crop: int) -> float:
    cfg = train.parse_args([f"--preset={preset}", "--pretrained=false", "--gan_start=0"])
    model = model_setup.build_model(cfg, class_names=[])
    d_model = model_setup.build_discriminator(cfg)
    weights = torch.ones(313) if cfg.ce_weight else None
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    d_opt = torch.optim.Adam(d_model.parameters()) if d_model is not None else None
    gen = torch.Generator().manual_seed(0)
    rgb = torch.rand(batch, 3, crop, crop)
    timings = []
    for _ in range(steps + 1):  # the first step warms up and is not counted
        start = time.perf_counter()
        losses, d_loss = train.train_step(cfg, model, d_model, weights, rgb, None, 0, gen)
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
        if d_loss is not None:
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
        timings.append(time.perf_counter() - start)
    return batch / (sum(timings[1:]) / steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--crop", type=int, default=112)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch "
          f"{args.batch_size}, {args.crop} px crops, {args.steps} timed steps\n")
    print("| preset | model | objective | photos/s |\n| --- | --- | --- | --- |")
    for preset in train.PRESETS:
        cfg = train.parse_args([f"--preset={preset}"])
        objective = " + ".join(k[:-7] for k in ("l1_weight", "ce_weight", "gan_weight",
                                                 "div_weight") if getattr(cfg, k))
        rate = steps_per_second(preset, args.steps, args.batch_size, args.crop)
        print(f"| {preset} | {cfg.model} {cfg.model_kwargs or ''} | {objective} | {rate:.1f} |")


if __name__ == "__main__":
    main()
