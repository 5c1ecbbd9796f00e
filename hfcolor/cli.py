"""The `hfcolor` command line: colorize | info | evaluate | prior.

Only argparse and the error type are imported at start-up; torch and the pipeline load inside
the command that needs them, so `hfcolor --help` answers at once.
"""

import argparse
import os
import sys
import textwrap
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hfcolor.errors import ColorizeError

# Mirrors hfcolor.pipeline.DECODERS (a test keeps them equal) so --help needs no torch.
DECODE_CHOICES = ("auto", "regression", "annealed_mean", "mode", "top_k", "sample")
OUTPUT_FORMATS = ("png", "tif", "jpg", "webp")
PENDING_SAVES = 2  # colorized photos waiting to be written; bounds memory for 50 MP photos
MAX_PIXELS = 60_000_000  # hfcolor.io.MAX_PIXELS (a test keeps them equal)
FORMAT_ALIASES = {"jpeg": "jpg", "tiff": "tif"}
# The library's names for settings (ColorizeError.setting) -> the options that set them.
SETTING_OPTIONS = {"render_size": "--render-size", "temperature": "--temperature",
                   "saturation": "--saturation", "num_samples": "--num-samples", "seed": "--seed"}
EVALUATE_OPTIONS = {**SETTING_OPTIONS, "seed": "--seeds", "limit": "--limit", "out": "--out"}

SAVED_MODEL_HELP = "a model folder, a Hub repo id (user/name) or a bundled model name"
MODEL_HELP = SAVED_MODEL_HELP + "; default: the bundled default model"

COLORIZE_EXAMPLES = """\
examples:
  hfcolor colorize old.jpg -o colour/
  hfcolor colorize scans/ family/1950.tif -o colour/ --format jpg
  hfcolor colorize scans/ -o colour/ --model user/hfcolor-model --render-size 384
  hfcolor colorize portrait.png -o out/ --num-samples 4 --seed 7
  hfcolor colorize street.jpg -o out/ --hint 120,80,#3a6ea5 --hint 40,200,#7a5230

Folders are searched recursively and their structure is kept under OUT. Photos whose output
already exists are skipped unless --overwrite. Exit status: 0 all done, 1 some photos failed
(listed at the end), 2 bad arguments or model."""

INFO_EXAMPLES = """\
examples:
  hfcolor info                      the bundled default model
  hfcolor info models/my-model      a saved model folder
  hfcolor info user/hfcolor-model   a Hub repo
  hfcolor info eccv16               an architecture from the registry (untrained)"""

EVALUATE_EXAMPLES = """\
examples:
  hfcolor evaluate models/my-model ../shared/data/val/imagenette
  hfcolor evaluate user/hfcolor-model photos/ --limit 50 --out eval/quick
  hfcolor evaluate models/classifier photos/ --decode sample --num-samples 4 --seeds 0 1
  hfcolor evaluate models/my-model photos/ --fid --sheet-all

DATA_DIR holds colour originals. Each is turned grey (L kept, ab = 0), colorized and compared
with the original. Three rows are always reported: the grey baseline, the model, and the
originals themselves, so every figure reads against both ends. Writes results.json,
results.md and contact_sheet.jpg to --out (default eval/<model>-<data>)."""

PRIOR_EXAMPLES = """\
examples:
  hfcolor prior ../shared/data/train/imagenette --out models/my-classifier"""


# --------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 some photos failed, 2 error)."""
    parser = build_parser()
    args = parser.parse_args(_hint_values_attached(sys.argv[1:] if argv is None else argv))
    try:
        return args.command(args)
    except ColorizeError as err:
        print(f"hfcolor: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        print("; ".join(["hfcolor: interrupted", *map(str, interrupt.args)]), file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `hfcolor info | head`: the reader left, nothing to say
        sys.stdout = None  # no second BrokenPipeError when Python flushes stdout at exit
        return 0


def _hint_values_attached(argv: list[str]) -> list[str]:
    """`--hint -5,2,#fff` (or argparse's abbreviation `--hin`) -> `--hint=-5,2,#fff`: argparse
    would take a value that starts with '-' for an option and say only "expected one
    argument". A missing value (the end, or `--`) is left for argparse to report."""
    out, index = [], 0
    while index < len(argv):
        arg, value = argv[index], argv[index + 1] if index + 1 < len(argv) else "--"
        if arg == "--":  # the rest are file names
            return out + argv[index:]
        attach = arg.startswith("--hi") and "--hint".startswith(arg) and value != "--"
        out.append(f"--hint={value}" if attach else arg)
        index += 2 if attach else 1
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hfcolor",
        description="Bring colour back to black-and-white photographs.",
        epilog="examples:\n  hfcolor colorize old.jpg -o colour/\n  hfcolor info\n"
               "  hfcolor evaluate MODEL ../shared/data/val/imagenette\n\n"
               "Run `hfcolor COMMAND --help` for each command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_colorize(commands)
    _add_info(commands)
    _add_evaluate(commands)
    _add_prior(commands)
    return parser


def _version() -> str:
    from hfcolor import __version__

    return __version__


def _subparser(commands, name: str, help_text: str, epilog: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=help_text, description=textwrap.fill(help_text, 79),
                               epilog=epilog,
                               formatter_class=argparse.RawDescriptionHelpFormatter)


# --------------------------------------------------------------------------- colorize


def _add_colorize(commands) -> None:
    sub = _subparser(commands, "colorize", "Colorize photos and folders of photos.",
                     COLORIZE_EXAMPLES)
    sub.add_argument("inputs", nargs="+", metavar="IN", help="photo files and/or folders")
    sub.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    sub.add_argument("--model", help=MODEL_HELP)
    _add_settings_arguments(sub)
    sub.add_argument("--seed", type=int, help="seed for sampled colours (default: the most "
                     "typical colours for the first sample)")
    sub.add_argument("--num-samples", type=int, default=1, metavar="K",
                     help="write K different colorizations per photo, as NAME_s1 ... NAME_sK "
                     "(numbered as in the demo; default 1)")
    sub.add_argument("--hint", type=parse_hint, action="append", default=[], metavar="X,Y,COLOR",
                     help="a known colour at pixel (X, Y) of the photo, e.g. 120,80,#3a6ea5; "
                          "it fills the region around it up to its edges; repeat for several "
                          "(hint-capable models only)")
    sub.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    sub.add_argument("--max-pixels", type=int, default=MAX_PIXELS, metavar="N",
                     help=f"refuse photos over N pixels (default {MAX_PIXELS:,}: 50 MP photos "
                          "fit; 0 for no limit)")
    sub.add_argument("--format", type=_format_name, choices=OUTPUT_FORMATS, default="png",
                     help="output format (default png; png and tif keep a 16-bit scan's 16 "
                          "bits; jpg keeps no transparency; jpeg and tiff are taken too)")
    sub.add_argument("--overwrite", action="store_true", help="redo photos already colorized")
    sub.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sub.set_defaults(command=run_colorize)


def _format_name(text: str) -> str:
    """'JPG' -> 'jpg', 'jpeg' -> 'jpg', 'tiff' -> 'tif' (argparse then checks the choices)."""
    return FORMAT_ALIASES.get(text.lower(), text.lower())


def _named_as_option(err: ColorizeError, options: dict[str, str]) -> ColorizeError:
    """'render_size 0 is outside ...' -> '--render-size 0 is outside ...'."""
    option = options.get(err.setting)
    if option is None:
        return err
    return ColorizeError(option + str(err).removeprefix(err.setting), setting=err.setting)


def _add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by colorize and evaluate (the fields of pipeline.Settings)."""
    parser.add_argument("--render-size", type=int, default=192, metavar="N",
                        help="long side, in pixels, the network sees (32-2048, default 192)")
    parser.add_argument("--temperature", type=float, default=0.38, metavar="T",
                        help="annealed-mean / sampling temperature for classifier models "
                             "(default 0.38)")
    parser.add_argument("--saturation", type=float, default=1.0, metavar="S",
                        help="scale the predicted colours: 0 grey, 1 the model's own (default), "
                             "up to 2 bolder")
    parser.add_argument("--decode", choices=DECODE_CHOICES, default="auto",
                        help="how colours are read from the network (default auto: regression "
                             "head if present, else annealed mean, or sampling for K > 1)")


def parse_hint(text: str):
    """'X,Y,#rrggbb' (or 'X,Y,rgb(r,g,b)') -> hfcolor.hints.Hint, for argparse."""
    from hfcolor.hints import Hint, parse_color, parse_position

    parts = text.split(",", 2)
    try:
        x, y = parse_position(parts[0]), parse_position(parts[1])
        return Hint(x, y, parse_color(parts[2]))
    except (IndexError, ValueError) as err:  # ColorizeError is a ValueError
        detail = f" ({err})" if isinstance(err, ColorizeError) else ""
        raise argparse.ArgumentTypeError(
            f"{text!r} is not X,Y,COLOR, e.g. 120,80,#3a6ea5{detail}") from err


@dataclass
class Job:
    """One photo to colorize and the file(s) it becomes."""

    source: Path
    outputs: list[Path]

    def done(self) -> bool:
        return all(path.exists() for path in self.outputs)


def run_colorize(args) -> int:
    if not args.output:
        raise ColorizeError("-o is empty; give a folder for the colorized photos, e.g. -o .")
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        raise ColorizeError(f"-o {out_dir} is a file; give a folder for the colorized photos.")
    if "" in args.inputs:
        raise ColorizeError("IN '' is empty; name photo files or folders ('.' for the current "
                            "folder).")
    if args.max_pixels < 0:
        raise ColorizeError(f"--max-pixels {args.max_pixels} is negative; give a pixel count, "
                            "or 0 for no limit.")
    jobs, results_found = plan_jobs(args.inputs, out_dir, args.format, args.num_samples)
    todo = jobs if args.overwrite else [job for job in jobs if not job.done()]
    from hfcolor.io import make_output_folder
    from hfcolor.pipeline import (  # torch: only once inputs are fine
        Settings,
        decode_method,
        resolve_model,
    )

    if [] in args.hint:  # `--hint=--`: argparse drops the '--' and never calls parse_hint
        raise ColorizeError("--hint needs X,Y,COLOR, e.g. --hint 120,80,#3a6ea5.")
    settings = Settings(render_size=args.render_size, temperature=args.temperature,
                        decode=args.decode, saturation=args.saturation, seed=args.seed,
                        num_samples=args.num_samples, hints=tuple(args.hint), device=args.device,
                        max_pixels=args.max_pixels or None)
    try:
        settings.check()
    except ColorizeError as err:
        raise _named_as_option(err, SETTING_OPTIONS) from None
    net = resolve_model(args.model, settings.device)
    decode_method(net, settings)  # refuse, up front, settings the model cannot honour
    failures = []
    if todo:
        make_output_folder(out_dir, "-o")
        try:
            failures = colorize_jobs(todo, net, settings, progress=not args.quiet)
        except KeyboardInterrupt:
            raise KeyboardInterrupt("the photos written are whole and kept; run the same "
                                    "command again to do the rest") from None
    print_summary(len(todo) - len(failures), len(jobs) - len(todo), failures, results_found)
    return 1 if failures else 0


def plan_jobs(inputs, out_dir: Path, fmt: str, num_samples: int) -> tuple[list[Job], int]:
    """Every photo named by `inputs` with its output path(s) under `out_dir`, and how many
    of hfcolor's own results the folders held (skipped).

    A folder's photos keep their path relative to that folder; files named directly go to the
    top of out_dir. When out_dir is a subfolder of a folder searched, the photos in it are
    skipped, so a folder colorized into colour/ does not colorize its own results next run;
    so are results of earlier runs elsewhere in the folders (their EXIF says hfcolor made
    them). out_dir being a folder searched itself is refused for the same reason.
    """
    from hfcolor.io import IMAGE_EXTENSIONS, find_images, made_by_hfcolor

    sources: dict[Path, tuple] = {}  # resolved source -> (source, relative output path)
    out_resolved, results_found = _real(out_dir), 0
    for arg in map(Path, inputs):
        out_is_below = arg.is_dir() and _output_is_below(arg, out_dir)
        for path in find_images(arg):
            resolved = _real(path)
            if out_is_below and out_resolved in resolved.parents:
                continue
            if arg.is_dir() and made_by_hfcolor(path):
                results_found += 1
                continue
            relative = path.relative_to(arg) if arg.is_dir() else Path(path.name)
            sources.setdefault(resolved, (path, relative))
    if not sources:
        found = (f" but {results_found} photo(s) hfcolor colorized; name one directly to "
                 "colorize it again") if results_found else ""
        raise ColorizeError(f"No photos found in {', '.join(map(str, inputs))} (looked for "
                            f"{', '.join(sorted(IMAGE_EXTENSIONS))}){found}.")
    # The folders the outputs go into are names taken too: a photo a.jpg beside a folder
    # a.png/ must not become a file a.png where a.png/'s results go.
    taken = {out_dir / folder for _, relative in sources.values()
             for folder in relative.parents if folder != Path(".")}
    jobs = []
    for resolved, (source, relative) in sorted(sources.items(), key=lambda item: str(item[1][1])):
        target = _unique_target(out_dir / relative, fmt, taken)
        # A photo named inside out_dir, or another file (or a folder) already at the name
        # that hfcolor did not write: never overwrite it, nor take it for a result.
        while _real(target) == resolved or any(map(_not_ours,
                                                    _sample_paths(target, num_samples))):
            target = _unique_target(target.with_stem(f"{target.stem}_colorized"), fmt, taken)
        jobs.append(Job(source, _sample_paths(target, num_samples)))
    return jobs, results_found


def _real(path: Path) -> Path:
    """Path.resolve(), but a symlink loop stays a path (Path.resolve raises RuntimeError)."""
    return Path(os.path.realpath(path))


def _not_ours(path: Path) -> bool:
    """Whether something is at `path` (a broken link too) that is not an earlier hfcolor
    result."""
    from hfcolor.io import made_by_hfcolor

    return os.path.lexists(path) and not (path.is_file() and made_by_hfcolor(path))


def _output_is_below(folder: Path, out_dir: Path) -> bool:
    """Whether out_dir is a subfolder of `folder`; out_dir being `folder` itself is refused."""
    if folder.resolve() == _real(out_dir):
        raise ColorizeError(
            f"-o {out_dir} is the folder being colorized; give a separate output folder (e.g. "
            f"-o {folder / 'colour'}), so that colorized photos are never taken for originals."
        )
    return folder.resolve() in _real(out_dir).parents


def _unique_target(path: Path, fmt: str, taken: set[Path]) -> Path:
    """photo.jpg -> photo.png; a second photo.png beside it becomes photo_png.png."""
    target = path.with_suffix(f".{fmt}")
    if target in taken:
        tag = path.suffix.lstrip(".").lower()
        target = path.with_name(f"{path.stem}_{tag}.{fmt}")
        number = 2
        while target in taken:
            target = path.with_name(f"{path.stem}_{tag}{number}.{fmt}")
            number += 1
    taken.add(target)
    return target


def _sample_paths(target: Path, num_samples: int) -> list[Path]:
    if num_samples == 1:
        return [target]
    return [target.with_name(f"{target.stem}_s{i}{target.suffix}")
            for i in range(1, num_samples + 1)]


def colorize_jobs(jobs: list[Job], net, settings, progress: bool = True) -> list[tuple]:
    """Colorize every job; returns (source, message) for each photo that failed.

    The next photo is decoded and finished ones are encoded on background threads while the
    network works (Pillow releases the GIL while decoding and encoding).
    """
    from tqdm import tqdm

    from hfcolor.io import keeps_alpha, load_image
    from hfcolor.pipeline import colorize

    options = vars(settings).copy()  # not asdict: that turns the Hint objects into dicts
    failures, warned = [], False
    saves: deque[tuple[Job, Future]] = deque()
    with ThreadPoolExecutor(1) as loader, ThreadPoolExecutor(1) as saver:
        def load(job: Job) -> Future:
            return loader.submit(load_image, job.source, settings.max_pixels)

        loads = deque((job, load(job)) for job in jobs[:2])
        for index in tqdm(range(len(jobs)), desc="colorizing", unit="photo",
                          disable=not progress):
            job, loading = loads.popleft()
            if index + 2 < len(jobs):
                upcoming = jobs[index + 2]
                loads.append((upcoming, load(upcoming)))
            try:
                photo = loading.result()
                results = colorize(photo, model=net, **options)
            except ColorizeError as err:
                failures.append((job.source, str(err)))
                continue
            except Exception as err:  # noqa: BLE001 - one photo's bug must not end the batch
                failures.append((job.source, f"unexpected {type(err).__name__}: {err} (a bug; "
                                             "please report it with this photo)"))
                continue
            while len(saves) >= PENDING_SAVES:
                failures += _finish_save(*saves.popleft())
            results = results if isinstance(results, list) else [results]
            if results[0].shape[-1] == 4 and not keeps_alpha(job.outputs[0]) and not warned:
                warned = True
                tqdm.write(f"hfcolor: note: {job.outputs[0].suffix} files keep no "
                           f"transparency (first lost: {job.source}); --format png, webp or "
                           "tif keeps it.", file=sys.stderr)
            saves.append((job, saver.submit(save_results, results, job.outputs, photo)))
        while saves:
            failures += _finish_save(*saves.popleft())
    return failures


def save_results(results: list, paths: list[Path], photo=None) -> None:
    """Write each (H, W, 3|4) uint8 or uint16 result; alpha is kept where the format allows
    it, and the photo's (a LoadedImage's) DPI and EXIF where the format records them (a 600 DPI
    scan prints at its own size, with its caption, date and copyright)."""
    from hfcolor.io import output_exif, save_image

    dpi, exif = (photo.dpi, photo.exif) if photo is not None else (None, None)
    exif = output_exif(exif)
    for rgb, path in zip(results, paths, strict=True):
        alpha = rgb[..., 3] if rgb.shape[-1] == 4 else None
        save_image(rgb[..., :3], path, alpha=alpha, dpi=dpi, exif=exif)


def _finish_save(job: Job, saving: Future) -> list[tuple]:
    try:
        saving.result()
    except ColorizeError as err:
        return [(job.source, str(err))]
    except Exception as err:  # noqa: BLE001 - one photo's bug must not end the batch
        return [(job.source, f"unexpected {type(err).__name__} saving {job.outputs[0]}: {err} "
                             "(a bug; please report it with this photo)")]
    return []


def print_summary(done: int, skipped: int, failures: list[tuple], results_found: int = 0) -> None:
    parts = [f"colorized {done} photo{'s' * (done != 1)}"]
    if skipped:
        parts.append(f"skipped {skipped} already done (--overwrite redoes them)")
    if results_found:
        parts.append(f"left out {results_found} that hfcolor colorized before (name one "
                     "directly to redo it)")
    if failures:
        parts.append(f"{len(failures)} failed")
    print("hfcolor: " + ", ".join(parts) + ("." if not failures else ":"), file=sys.stderr)
    for source, message in failures:
        # Most messages name the file already; say which file only where they do not.
        print(f"  {message}" if str(source) in message else f"  {source}: {message}",
              file=sys.stderr)


# --------------------------------------------------------------------------- info


def _add_info(commands) -> None:
    sub = _subparser(commands, "info", "Describe a model: config, size, heads, inputs.",
                     INFO_EXAMPLES)
    sub.add_argument("model", nargs="?", metavar="MODEL",
                     help=MODEL_HELP + "; or a registry name such as unet-lite0 (untrained)")
    sub.set_defaults(command=run_info)


def run_info(args) -> int:
    import json

    net, config, files = load_for_info(args.model)
    bins = config.get("num_bins", 313)
    heads = {"both": f"regression + classifier ({bins} bins)",
             "classifier": f"classifier ({bins} bins)"}.get(net.head, net.head)
    classes = getattr(net, "class_names", [])
    if classes:
        heads += f" + semantic ({len(classes)} classes, training only)"
    noise = getattr(net, "noise_channels", 0)
    size = sum(path.stat().st_size for path in files)
    lines = [
        ("model", args.model or "bundled default"),
        ("class", type(net).__name__),
        ("parameters", f"{net.num_parameters():,} ({net.num_parameters() / 1e6:.2f} M)"),
        ("size on disk", f"{size / 1e6:.1f} MB in {len(files)} files" if files
         else "not saved (registry architecture, untrained)"),
        ("heads", heads),
        ("stride", f"{net.stride} (inputs are padded to a multiple of it)"),
        ("hints", "yes" if getattr(net, "hints", False) else "no"),
        ("noise", f"yes ({noise} channels, {_noise_kind(net)})" if noise else "no"),
    ]
    for key, value in lines:
        print(f"{key + ':':<14}{value}")
    print("config.json:")
    print(json.dumps(config, indent=2, sort_keys=True))
    return 0


def _noise_kind(net) -> str:
    return "one code per photo" if getattr(net, "global_noise", False) else \
        "a map at the bottleneck's resolution"


def load_for_info(model: str | None):
    """(model, its config, the files it is stored in) for a saved model or a registry name."""
    from hfcolor import hub, loading
    from hfcolor.models import create_model, list_models

    if model is not None and model in list_models() and not Path(model).exists():
        net = create_model(model)
        return net, {**net._hub_mixin_config, "model_class": type(net).__name__}, []
    location = loading.locate(model)
    net = loading.from_pretrained(location)
    files = [Path(hub.resolve_file(location, name)) for name in ("config.json", hub.WEIGHTS_NAME)]
    readme = files[0].with_name("README.md")
    files += [readme] if readme.is_file() else []
    return net, hub.read_config(location), files


# --------------------------------------------------------------------------- evaluate


def _add_evaluate(commands) -> None:
    sub = _subparser(commands, "evaluate",
                     "Measure a model on colour photos against the grey baseline and originals.",
                     EVALUATE_EXAMPLES)
    sub.add_argument("model", metavar="MODEL", help=SAVED_MODEL_HELP)
    sub.add_argument("data_dir", metavar="DATA_DIR", help="folder of colour originals")
    _add_settings_arguments(sub)
    sub.add_argument("--seeds", type=int, nargs="+", metavar="S",
                     help="seeds to sample with; each adds --num-samples samples per photo "
                          "(default: one unseeded run)")
    sub.add_argument("--num-samples", type=int, default=1, metavar="K",
                     help="samples per photo and seed; with more than one sample in all, best "
                          "of n, mean over samples and diversity are reported (default 1)")
    sub.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N photos")
    sub.add_argument("--fid", action="store_true",
                     help="also compute FID (slow: minutes for a few hundred photos on a CPU)")
    sub.add_argument("--sheet-all", action="store_true",
                     help="put every photo on the contact sheet (default: up to 8)")
    sub.add_argument("--out", metavar="DIR", help="where results go (default eval/<model>-<data>)")
    sub.add_argument("--device", help="cpu, cuda, ... (default: cuda when available)")
    sub.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sub.set_defaults(command=run_evaluate)


def run_evaluate(args) -> int:
    from hfcolor.evaluate import results_markdown

    try:
        results = _evaluate(args)
    except ColorizeError as err:
        raise _named_as_option(err, EVALUATE_OPTIONS) from None
    print(results_markdown(results))
    print(f"\nwritten to {results['out']}")
    return 0


def _evaluate(args) -> dict:
    from hfcolor.evaluate import evaluate

    return evaluate(
        args.model, args.data_dir, render_size=args.render_size, temperature=args.temperature,
        decode=args.decode, saturation=args.saturation, seeds=args.seeds,
        num_samples=args.num_samples, limit=args.limit, fid=args.fid, sheet_all=args.sheet_all,
        out=args.out,
        device=args.device,
        progress=not args.quiet,
    )


# --------------------------------------------------------------------------- prior


def _add_prior(commands) -> None:
    sub = _subparser(commands, "prior",
                     "Measure the ab colour prior of a photo folder (for classifier training "
                     "and class rebalancing); writes MODEL_DIR/prior.safetensors.",
                     PRIOR_EXAMPLES)
    sub.add_argument("folder", metavar="FOLDER", help="folder of colour photos, searched "
                     "recursively")
    sub.add_argument("--out", required=True, metavar="MODEL_DIR",
                     help="model folder to write prior.safetensors to")
    sub.add_argument("--max-images", type=int, metavar="N", help="read at most N photos")
    sub.add_argument("--size", type=int, default=64,
                     help="photos are resized to SIZE x SIZE first (default 64)")
    sub.set_defaults(command=run_prior)


def run_prior(args) -> int:
    from hfcolor.io import make_output_folder
    from hfcolor.quantize import write_prior

    make_output_folder(Path(args.out), "--out")  # fails now, not after reading every photo
    print(write_prior(args.folder, args.out, args.max_images, args.size))
    return 0
