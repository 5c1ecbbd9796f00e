"""The evaluation harness behind `hfcolor evaluate` (and `python -m hfcolor.evaluate`).

Each colour original is turned grey (its L kept, a = b = 0, through the same skimage Lab
conversion the metrics use), fed to the model as a grey uint8 RGB photo through
`hfcolor.pipeline.colorize`, and compared with the original by `hfcolor.metrics`.

Three rows are always reported, so every figure reads against both ends of the scale:
the grey baseline (what doing nothing scores), the model, and the originals compared with
themselves (their colourfulness is the target). With several samples per photo the model
gets two rows, the mean over samples and the best of n by CIEDE2000, plus a diversity score.

    >>> results = evaluate("models/my-model", "../shared/data/val/imagenette", limit=50)
    >>> print(results_markdown(results))
"""

import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from skimage.color import lab2rgb, rgb2lab

from hfcolor import metrics
from hfcolor.errors import ColorizeError
from hfcolor.io import find_images, is_grey, load_image, make_output_folder
from hfcolor.pipeline import Settings, colorize, decode_method, resolve_model

SHEET_PHOTOS = 8
CONTACT_SHEET, RESULTS_JSON = "contact_sheet.jpg", "results.json"
RUN_FOLDERS = ("checkpoint", "ema")  # train.py writes runs/NAME/checkpoint and runs/NAME/ema
MIN_SIDE = 7  # skimage's SSIM window
THUMB_HEIGHT = 192
FID_SIZE = 256  # all three sets are written at this size, so FID compares like with like

GREY_ROW, ORIGINALS_ROW = "grey baseline", "originals"
COLUMNS = {  # results key -> table heading, in table order
    "psnr": "PSNR ↑",
    "ssim": "SSIM ↑",
    "delta_e76": "ΔE76 ↓",
    "ciede2000": "CIEDE2000 ↓",
    "ab_rmse": "ab RMSE ↓",
    "colorfulness": "colorfulness",
    "colorfulness_gap": "colorfulness gap ↓",
    "lightness_change": "lightness change ↓",
    "diversity": "diversity",
    "fid": "FID ↓",
}


# --------------------------------------------------------------------------- the harness


def evaluate(model, data_dir, *, render_size: int = 192, temperature: float = 0.38,
             decode: str = "auto", saturation: float = 1.0, seeds=None, num_samples: int = 1,
             limit: int | None = None, fid: bool = False, sheet_all: bool = False, out=None,
             device=None, progress: bool = True) -> dict:
    """Colorize the grey versions of the colour photos in `data_dir` and score them.

    model: a model folder, Hub id, bundled name, a loaded model, or None (bundled default).
    seeds: each seed gives `num_samples` samples per photo (default: one unseeded run).
    limit: only the first `limit` photos (sorted by path). fid: also compute FID (slow).
    out: folder for results.json, results.md and contact_sheet.jpg
      (default eval/<model>-<data>). Returns what results.json holds, with float('inf')
      kept for the originals' PSNR (null in the JSON file).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ColorizeError(f"{data_dir} is not a folder; give a folder of colour photos.")
    if limit is not None and limit < 1:
        raise ColorizeError(f"limit {limit}: give at least 1 photo (or no limit).",
                            setting="limit")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise ColorizeError(f"out {out} is a file; give a folder for the results.",
                            setting="out")
    out = Path(out) if out is not None else default_out_dir(model, data_dir)
    paths = [p for p in find_images(data_dir) if not _written_by_the_harness(p, out)]
    paths = paths[:limit]
    if not paths:
        raise ColorizeError(f"No photos in {data_dir} (looked for .jpg, .png, .webp, .tif, ...).")
    settings = Settings(render_size=render_size, temperature=temperature, decode=decode,
                        saturation=saturation, num_samples=num_samples, device=device)
    settings.check()
    _check_seeds(seeds, settings)
    if fid and len(paths) < 2:
        raise ColorizeError(f"FID needs at least 2 photos; {data_dir} gives {len(paths)}.")
    net = resolve_model(model, settings.device)
    seeds = list(seeds) if seeds else [None]
    settings = replace(settings, decode=_decode_for_every_seed(net, settings, seeds))
    make_output_folder(out, "out")  # fails now, not after the whole run
    run = _Run(net, settings, seeds, _sheet_indices(len(paths), sheet_all))
    with tempfile.TemporaryDirectory(prefix="hfcolor-fid-") as fid_root:
        run.fid_dir = Path(fid_root) if fid else None
        for index, path in enumerate(_progress(paths, progress)):
            run.add_photo(index, path, data_dir)
        if not run.records:
            raise ColorizeError(f"None of the photos in {data_dir} could be scored (unreadable "
                                "or black-and-white ones are skipped); give colour photos.")
        rows = summary_rows(run.records, run.samples_per_photo)
        if fid:
            _add_fid(rows, run.fid_dir, run.samples_per_photo)
    results = {
        "model": model_label(model),
        "data": str(data_dir),
        "photos": len(run.records),
        "samples_per_photo": run.samples_per_photo,
        "options": {"render_size": render_size, "temperature": temperature,
                    "decode": settings.decode,
                    "saturation": saturation, "seeds": run.seeds, "num_samples": num_samples,
                    "limit": limit, "fid": fid, "device": str(settings.device)},
        "seconds_per_photo": run.seconds / len(run.records),
        "rows": rows,
        "skipped": run.skipped,
        "per_photo": run.records,
        "out": str(out),
    }
    write_results(results, out, run.thumbnails)
    return results


@dataclass
class _Run:
    """What one evaluation accumulates, photo by photo."""

    net: torch.nn.Module
    settings: Settings
    seeds: list
    sheet_indices: set[int]
    fid_dir: Path | None = None
    records: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    thumbnails: list[tuple[str, list[Image.Image]]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def samples_per_photo(self) -> int:
        return len(self.seeds) * self.settings.num_samples

    def add_photo(self, index: int, path: Path, data_dir: Path) -> None:
        name = path.relative_to(data_dir).as_posix()
        try:
            original = load_image(path, max_pixels=None).rgb
            if min(original.shape[:2]) < MIN_SIDE:
                raise ColorizeError(f"{original.shape[1]}x{original.shape[0]} is too small to "
                                    f"score (SSIM needs sides of {MIN_SIDE} pixels or more)")
            if is_grey(original):
                raise ColorizeError("the original has no colour to score against (a "
                                    "black-and-white photo gives infinite PSNR for any grey "
                                    "result); evaluate on colour photos")
            grey = grey_version(original)
            started = time.perf_counter()
            samples = self.colorize_samples(grey)
            self.seconds += time.perf_counter() - started
        except ColorizeError as err:
            self.skipped.append({"file": name, "reason": str(err)})
            print(f"hfcolor: skipped {name}: {err}", file=sys.stderr)
            return
        record, best = photo_record(name, original, grey, samples)
        self.records.append(record)
        if index in self.sheet_indices:
            self.thumbnails.append((name, [thumbnail(x) for x in (grey, samples[0], original)]))
        if self.fid_dir is not None:
            sets = {"grey": grey, "originals": original, "model": samples[0]}
            if len(samples) > 1:
                sets["model_best"] = samples[best]
            for folder, image in sets.items():
                (self.fid_dir / folder).mkdir(exist_ok=True)
                _fid_image(image).save(self.fid_dir / folder / f"{index:06d}.png")

    def colorize_samples(self, grey: np.ndarray) -> list[np.ndarray]:
        samples = []
        for seed in self.seeds:
            result = colorize(grey, model=self.net, **vars(replace(self.settings, seed=seed)))
            samples += result if isinstance(result, list) else [result]
        return samples


def grey_version(rgb: np.ndarray) -> np.ndarray:
    """The grey baseline of a uint8 RGB photo: its Lab L kept, a = b = 0, as uint8 RGB.

    skimage's float64 conversion, as in hfcolor.metrics, so the grey row reproduces the
    dataset README's figures. The channels are averaged before rounding: lab2rgb of a neutral
    colour leaves R, G and B a hair apart, and rounding would tint a few pixels.
    """
    lab = rgb2lab(rgb.astype(np.float64) / 255.0)
    lab[..., 1:] = 0.0
    grey = np.round(np.clip(lab2rgb(lab).mean(axis=-1), 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=-1)


def photo_record(name: str, original: np.ndarray, grey: np.ndarray,
                 samples: list[np.ndarray]) -> tuple[dict, int]:
    """Per-photo metrics (grey, original, model) and the index of the best sample."""
    scores = [_scores(sample, original) for sample in samples]
    best = int(np.argmin([score["ciede2000"] for score in scores]))
    record = {
        "file": name,
        "size": [int(original.shape[1]), int(original.shape[0])],
        GREY_ROW: _scores(grey, original),
        ORIGINALS_ROW: _scores(original, original),
        "model": metrics.mean_metrics(scores),
    }
    if len(samples) > 1:
        record["model best"] = scores[best]
        record["diversity"] = metrics.diversity(samples)
    return record, best


def _scores(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    scores = metrics.image_metrics(pred, target)
    scores.pop("colorfulness_original")  # the originals row reports it
    return scores


def summary_rows(records: list[dict], samples_per_photo: int) -> list[dict]:
    """Means over photos: grey baseline, model row(s), originals; plus the colourfulness gap."""
    model_rows = [("model", "model")]
    if samples_per_photo > 1:
        model_rows = [(f"model (mean of {samples_per_photo} samples)", "model"),
                      (f"model (best of {samples_per_photo} by CIEDE2000)", "model best")]
    rows = [{"name": GREY_ROW, **metrics.mean_metrics(r[GREY_ROW] for r in records)}]
    for label, key in model_rows:
        row = {"name": label, **metrics.mean_metrics(r[key] for r in records)}
        if samples_per_photo > 1:
            row["diversity"] = float(np.mean([r["diversity"] for r in records]))
        rows.append(row)
    rows.append({"name": ORIGINALS_ROW, **metrics.mean_metrics(r[ORIGINALS_ROW] for r in records)})
    target = rows[-1]["colorfulness"]
    for row in rows:
        row["colorfulness_gap"] = abs(row["colorfulness"] - target)
    return rows


def _check_seeds(seeds, settings: Settings) -> None:
    """Each seed as colorize() would take it, and no seed twice (its samples would be alike)."""
    for seed in seeds or ():
        replace(settings, seed=seed).check()
    if seeds and len(set(seeds)) < len(seeds):
        raise ColorizeError(f"seeds {list(seeds)} repeat one; give different seeds.")


def _decode_for_every_seed(net, settings: Settings, seeds: list) -> str:
    """The decode each seed runs, chosen for all of a photo's samples together (so a classifier
    samples rather than give every seed one annealed mean); refused up front if the model cannot
    honour it or it would give every seed the same colours."""
    method = decode_method(net, settings)
    if len(seeds) == 1:
        return method
    try:
        return decode_method(net, replace(settings, num_samples=len(seeds) * settings.num_samples))
    except ColorizeError:
        advice = "decode='sample'" if net.head != "regression" else "one seed (this model has " \
            "no noise input)"
        raise ColorizeError(f"seeds {seeds}: decode={method!r} gives this model the same colours "
                            f"for every seed; use {advice}.") from None


def _add_fid(rows: list[dict], fid_dir: Path, samples_per_photo: int) -> None:
    folders = ["grey"] + (["model", "model_best"] if samples_per_photo > 1 else ["model"])
    reference = metrics.fid_stats(fid_dir / "originals")  # once, not once a row
    for row, folder in zip(rows, folders, strict=False):
        row["fid"] = metrics.fid_from_stats(reference, metrics.fid_stats(fid_dir / folder))
    rows[-1]["fid"] = 0.0  # the originals against themselves, by definition


def _fid_image(rgb: np.ndarray) -> Image.Image:
    """Centre square crop, resized to FID_SIZE, so every set is measured at one size."""
    height, width = rgb.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = Image.fromarray(rgb[top:top + side, left:left + side])
    return square.resize((FID_SIZE, FID_SIZE), Image.Resampling.BICUBIC)


# --------------------------------------------------------------------------- naming


def model_label(model) -> str:
    """A short name for a model: its folder or repo name (parent-name for a training run's
    checkpoint or ema folder), or its class."""
    if model is None:
        from hfcolor.hub import DEFAULT_MODEL

        return DEFAULT_MODEL
    if isinstance(model, torch.nn.Module):
        return type(model).__name__
    path = Path(str(model).rstrip("/"))
    if path.name in RUN_FOLDERS:
        return f"{path.absolute().parent.name}-{path.name}"
    return path.name


def _written_by_the_harness(path: Path, out: Path) -> bool:
    """Whether `path` is the contact sheet this run writes into `out`, or one an earlier run
    left beside its results.json: no photo to score."""
    if path.resolve() == (out / CONTACT_SHEET).resolve():
        return True
    return path.name == CONTACT_SHEET and (path.parent / RESULTS_JSON).is_file()


def default_out_dir(model, data_dir: Path) -> Path:
    return Path("eval") / f"{model_label(model)}-{Path(data_dir).resolve().name}"


def _progress(paths: list[Path], enabled: bool):
    from tqdm import tqdm

    return tqdm(paths, desc="evaluating", unit="photo", disable=not enabled)


def _sheet_indices(count: int, sheet_all: bool) -> set[int]:
    """All photos, or up to SHEET_PHOTOS spread evenly over the set."""
    if sheet_all or count <= SHEET_PHOTOS:
        return set(range(count))
    return {int(i) for i in np.linspace(0, count - 1, SHEET_PHOTOS).round()}


# --------------------------------------------------------------------------- writing


def write_results(results: dict, out: Path, thumbnails) -> None:
    """results.json (non-finite numbers as null), results.md and contact_sheet.jpg."""
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_finite_or_none(results), indent=2, ensure_ascii=False)
    (out / RESULTS_JSON).write_text(text + "\n", encoding="utf-8")
    (out / "results.md").write_text(results_markdown(results) + "\n", encoding="utf-8")
    contact_sheet(thumbnails).save(out / CONTACT_SHEET, quality=90)  # a quarter of a PNG


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(item) for item in value]
    return value


def results_markdown(results: dict) -> str:
    """The summary table in Markdown, with a line saying what was measured."""
    rows = results["rows"]
    keys = [key for key in COLUMNS if any(key in row for row in rows)]
    options = results["options"]
    saturation = options.get("saturation", 1.0)
    lines = [
        f"**{results['model']}** on `{results['data']}`: {results['photos']} photos, "
        f"{results['samples_per_photo']} sample(s) each, render size {options['render_size']}, "
        f"decode {options['decode']}, T = {options['temperature']}, "
        + (f"saturation {saturation}, " if saturation != 1 else "") +
        f"{results['seconds_per_photo']:.3f} s per photo on {options['device']}.",
        "",
        "| | " + " | ".join(COLUMNS[key] for key in keys) + " |",
        "| --- " * (len(keys) + 1) + "|",
    ]
    for row in rows:
        cells = [_format(row.get(key), key) for key in keys]
        lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    if results["skipped"]:
        lines += ["", f"{len(results['skipped'])} photo(s) skipped: unreadable, too small or "
                  "without colour (see results.json)."]
    return "\n".join(lines)


def _format(value, key: str) -> str:
    if value is None:
        return "–"
    if math.isinf(value):
        return "∞"
    return f"{value:.3f}" if key == "ssim" else f"{value:.2f}"


def thumbnail(rgb: np.ndarray, height: int = THUMB_HEIGHT) -> Image.Image:
    image = Image.fromarray(rgb)
    width = max(round(image.width * height / image.height), 1)
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def contact_sheet(rows, labels=("grey input", "model", "original"), gap: int = 6) -> Image.Image:
    """Rows of thumbnails (grey | model | original), each under a caption with the file name."""
    font = ImageFont.load_default(size=13)
    caption = 20
    row_height = caption + THUMB_HEIGHT + gap
    width = max((sum(t.width for t in thumbs) + gap * (len(thumbs) - 1) for _, thumbs in rows),
                default=THUMB_HEIGHT)
    sheet = Image.new("RGB", (width + 2 * gap, row_height * len(rows) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    for number, (name, thumbs) in enumerate(rows):
        top = gap + number * row_height
        draw.text((gap, top + 2), name, fill="black", font=font)
        left = gap
        for label, thumb in zip(labels, thumbs, strict=True):
            sheet.paste(thumb, (left, top + caption))
            box = draw.textbbox((left + 4, top + caption + 3), label, font=font)
            draw.rectangle((box[0] - 3, box[1] - 2, box[2] + 3, box[3] + 2), fill="black")
            draw.text((left + 4, top + caption + 3), label, fill="white", font=font)
            left += thumb.width + gap
    return sheet


if __name__ == "__main__":
    from hfcolor.cli import main

    raise SystemExit(main(["evaluate", *sys.argv[1:]]))
