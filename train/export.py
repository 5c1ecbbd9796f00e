"""Turn a training checkpoint into the bundled models, evaluate them and write their cards.

    python train/export.py runs/default/checkpoint            # weights + evaluation + cards
    python train/export.py runs/default/checkpoint --no-eval  # weights and cards only
    python train/export.py runs/zhang/checkpoint --models classifier   # a classifier-only run
    python train/export.py --reevaluate models/hfcolor-unet-lite0 --fid  # after a pipeline change

Writes models/hfcolor-unet-lite0 (the generator: regression head, noise, hints) and
models/hfcolor-unet-lite0-classifier (the same trunk with the 313-bin Zhang head only), each
with config.json, model.safetensors (float16: half the size; the evaluation figures moved by at
most 0.04), prior.safetensors and a model card whose figures come
from `hfcolor evaluate` (eval/<model>-<set>/results.md, also kept in the repository).
--reevaluate re-runs those evaluations on a bundled model as it is (no checkpoint needed) and
replaces only the Evaluation section of its card.
"""

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from checkpoints import describe_losses  # noqa: E402

from hfcolor.hub import BUNDLED_MODELS, halve_weights  # noqa: E402
from hfcolor.loading import from_pretrained  # noqa: E402
from hfcolor.models.unet import UNetColorizer  # noqa: E402

VAL_SETS = ("imagenette", "imagenet1k", "hires")
SHARED_TRAIN = ROOT.parent / "shared" / "data" / "train"
SHARED_TRAIN_NOTE = ("Imagenette and every 6th Imagewoof training photo at 128 px, 270 ImageNet "
                     "samples at short side 144; non-commercial research licences")
DESCRIPTIONS = {
    "generator": (
        "The default hfcolor generator: a U-Net on an ImageNet-pretrained EfficientNet-Lite0 "
        "encoder (timm `tf_efficientnet_lite0`), predicting ab from L. It takes optional user "
        "colour hints (a, b, mask channels) and a noise code (one per photo), so "
        "different seeds give different colourings. Trained with L1, the Zhang et al. "
        "class-rebalanced 313-bin loss on an auxiliary head, a diversity-sensitive loss and a "
        "PatchGAN discriminator; then its decoder was retrained on the encoder's original "
        "ImageNet weights, held fixed; then those weights were averaged with a fine-tune "
        "whose encoder learned at a tenth of the rate (a model soup); last, the soup was "
        "fine-tuned the same way again, and the moving average of those weights (EMA) ships."
    ),
    "classifier": (
        "A Zhang et al. (ECCV 2016) objective classifier: 313 ab bins, soft-encoded targets and "
        "class rebalancing from the training data's own prior (prior.safetensors). It shares its "
        "trunk with the default generator and decodes by annealed mean at temperature 0.38 "
        "(lower is bolder, 1 is the mean), or by coherent sampling for several versions."
    ),
}


def export(checkpoint: Path, names: dict[str, str]) -> dict[str, Path]:
    """Save the models named in `names` ("generator", "classifier") from one checkpoint.

    Every requested model is checked before any is written, so a refusal leaves no half
    export behind."""
    for file in ("train_config.json", "training_state.pt"):  # the model cards need them
        if not (checkpoint / file).exists():
            raise SystemExit(f"{checkpoint} has no {file}; export takes a train/train.py "
                             "checkpoint, its ema folder or an average_weights.py soup")
    model = from_pretrained(checkpoint)
    models = {kind: _exported_model(model, kind, checkpoint) for kind in names}
    return {kind: _save(m, names[kind], checkpoint) for kind, m in models.items()}


def _exported_model(model: UNetColorizer, kind: str, checkpoint: Path) -> UNetColorizer:
    if kind == "generator":
        if model.head == "classifier":
            raise SystemExit(f"{checkpoint} has no regression head; use --models classifier")
        return model
    if model.head == "regression":
        raise SystemExit(f"{checkpoint} has no classifier head; use --models generator")
    return classifier_only(model)


def classifier_only(model: UNetColorizer) -> UNetColorizer:
    """The model with its 313-bin head only (the regression head dropped)."""
    if model.head == "classifier":
        return model
    classifier = UNetColorizer(**{**model._hub_mixin_config, "head": "classifier"})
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("ab_head.")}
    classifier.load_state_dict(state, strict=True)
    return classifier


def _save(model, name: str, checkpoint: Path) -> Path:
    folder = BUNDLED_MODELS / name
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    halve_weights(folder)  # what is evaluated is what ships
    if (checkpoint / "prior.safetensors").exists():
        shutil.copy(checkpoint / "prior.safetensors", folder / "prior.safetensors")
    return folder


def evaluate_all(folder: Path, data_root: Path, kind: str, fid: bool) -> dict[str, dict]:
    from hfcolor.evaluate import evaluate

    results = {}
    for name in VAL_SETS:
        data = data_root / name
        if not data.is_dir():
            continue
        out = ROOT / "eval" / f"{folder.name}-{name}"
        with_fid = fid and kind == "generator" and name != "hires"  # FID targets: generator
        results[name] = evaluate(str(folder), data, out=out, fid=with_fid,
                                 sheet_all=False)
    if kind == "generator" and (data_root / "imagenet1k").is_dir():
        out = ROOT / "eval" / f"{folder.name}-imagenet1k-4seeds"
        results["imagenet1k-4seeds"] = evaluate(str(folder), data_root / "imagenet1k", out=out,
                                                seeds=[1, 2, 3, 4])
    return results


def write_card(folder: Path, kind: str, checkpoint: Path, results: dict[str, dict],
               history: str = ""):
    model = from_pretrained(folder)
    state = torch.load(checkpoint / "training_state.pt", weights_only=True)
    cfg = json.loads((checkpoint / "train_config.json").read_text())
    training = (
        f"`train/train.py` on {_training_data(checkpoint, state, cfg)}. "
        f"{state['seen']:,} photos seen in "
        f"{state['step']:,} steps of {cfg['batch_size']} ({cfg['crop']} px random resized crops "
        f"and flips), {state['seconds'] / 3600:.2f} h of training on {_where(state, cfg)}. "
        f"Losses: {describe_losses(cfg)}; AdamW lr {cfg['lr']}, betas {cfg['betas']}, cosine "
        f"schedule. Hints simulated on {cfg['hint_prob']:.0%} of photos. {history}"
        f"\n\n```json\n{json.dumps(cfg, indent=2)}\n```"
    )
    samples = []
    for name in results:
        sheet = ROOT / "eval" / f"{folder.name}-{name}" / "contact_sheet.jpg"
        if sheet.exists():
            samples.append(f"../../eval/{folder.name}-{name}/contact_sheet.jpg")
    model.generate_model_card(
        title=folder.name, description=DESCRIPTIONS[kind], training=training,
        evaluation=_evaluation_md(results), samples=samples[:2]).save(folder / "README.md")


def _evaluation_md(results: dict[str, dict]) -> str:
    return "\n\n".join(
        f"### val/{name}\n\n{_results_md(result)}" for name, result in results.items()
    ) or "Not evaluated yet: run `python train/export.py CHECKPOINT`."


def reevaluate(folder: Path, data_root: Path, fid: bool) -> None:
    """Evaluate a bundled model again and put the figures in its card's Evaluation section;
    refuses, before any work, a data folder without every validation set or a card without
    that section."""
    folder = folder.resolve()
    missing = [name for name in VAL_SETS if not (data_root / name).is_dir()]
    if missing:
        raise SystemExit(f"--data {data_root} lacks {', '.join(missing)}; the card's tables "
                         f"need every validation set ({', '.join(VAL_SETS)}).")
    card_path = folder / "README.md"
    card = card_path.read_text() if card_path.exists() else ""
    if not _EVALUATION_SECTION.search(card):
        raise SystemExit(f"{card_path} has no '## Evaluation' section to refresh; export the "
                         "model from its checkpoint instead.")
    kind = "generator" if from_pretrained(folder).head != "classifier" else "classifier"
    results = evaluate_all(folder, data_root, kind, fid)
    card_path.write_text(_EVALUATION_SECTION.sub(
        lambda match: match.group(1) + _evaluation_md(results) + "\n\n", card, count=1))
    print(f"evaluated {folder.name} on {', '.join(results)}{' with FID' if fid else ''}")


_EVALUATION_SECTION = re.compile(r"(^## Evaluation\n).*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def _training_data(checkpoint: Path, state: dict, cfg: dict) -> str:
    """The training folder in words, with its photo count when the run recorded it."""
    count = state.get("photos") or _listed_photos(checkpoint.parent / "files.txt")
    about = [f"{count:,} colour photos"] if count else []
    if (ROOT / cfg["data"]).resolve() == SHARED_TRAIN.resolve():
        about.append(SHARED_TRAIN_NOTE)
    return f"`{cfg['data']}`" + (f" ({': '.join(about)})" if about else "")


def _listed_photos(files: Path) -> int | None:
    """How many photos the run's file list (train.py's OUT/files.txt) holds."""
    return len(files.read_text().split("\n")) if files.exists() else None


def _where(state: dict, cfg: dict) -> str:
    hardware = state.get("hardware", "CPU").replace("(1 threads)", "(1 thread)")
    if not hardware.startswith("CPU"):
        return f"one {hardware} ({cfg['mixed_precision']} mixed precision)"
    if "cores" in hardware:  # train.py records the core count too
        return f"a {hardware}, no GPU"
    return f"a {hardware}, no GPU (the export machine has {os.cpu_count()} CPU cores)"


def _results_md(result: dict) -> str:
    md = Path(result["out"]) / "results.md"
    return md.read_text() if md.exists() else json.dumps(result["rows"], indent=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", type=Path, nargs="?",
                        help="a train/train.py checkpoint folder (or its ema folder, or a soup)")
    parser.add_argument("--reevaluate", type=Path, metavar="MODEL_FOLDER",
                        help="evaluate this bundled model again and refresh its card's figures")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "val",
                        help="the folder of validation sets (%(default)s)")
    parser.add_argument("--name", default="hfcolor-unet-lite0",
                        help="folder name under models/; the classifier gets NAME-classifier")
    parser.add_argument("--no-eval", action="store_true",
                        help="write weights and cards without evaluating")
    parser.add_argument("--fid", action="store_true", help="also FID (slow on a CPU)")
    parser.add_argument("--history", default="", help="how the checkpoint's start was trained")
    parser.add_argument("--models", nargs="+", choices=("generator", "classifier"),
                        default=("generator", "classifier"), help="which models to export")
    args = parser.parse_args(argv)
    if args.reevaluate:
        reevaluate(args.reevaluate, args.data, args.fid)
        return
    if args.checkpoint is None:
        parser.error("name a checkpoint to export, or --reevaluate a model folder")
    names = {"generator": args.name, "classifier": f"{args.name}-classifier"}
    names = {kind: name for kind, name in names.items() if kind in args.models}
    for kind, folder in export(args.checkpoint, names).items():
        results = {} if args.no_eval else evaluate_all(folder, args.data, kind, args.fid)
        write_card(folder, kind, args.checkpoint, results, args.history)
        print(f"wrote {folder}")


if __name__ == "__main__":
    main()
