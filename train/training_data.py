"""The training photos: a folder of them checked once and cached, seeded epoch batches that
can start mid-epoch, and the random resized crops each step trains on."""

import hashlib
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from hfcolor.io import find_images, is_grey


class PhotoFolder(torch.utils.data.Dataset):
    """Every photo under a folder: (square uint8 tensor of side load_size, class index).

    The class is the index of the photo's folder name in `class_names` (sorted), or 0 for all
    photos without `labels`."""

    def __init__(self, root: str, load_size: int, drop_grey: bool, cache: Path | None = None,
                 labels: bool = False, repeats: dict | None = None):
        self.load_size = load_size
        self.files = _usable_photos(root, drop_grey, cache)
        self.photo_count = len(self.files)  # each photo once, before folder_repeats
        repeats = repeats or {}
        unknown = set(repeats) - {Path(f).parent.name for f in self.files}
        if unknown:
            raise SystemExit(f"--folder_repeats names {sorted(unknown)}, but no photos under "
                             f"{root} are in folders of those names")
        self.files = [f for f in self.files for _ in range(repeats.get(Path(f).parent.name, 1))]
        folders = [Path(f).parent.name for f in self.files]
        self.class_names = sorted(set(folders)) if labels else []
        if labels and len(self.class_names) < 2:
            raise SystemExit(f"--labels needs photos in at least two class folders under {root} "
                             f"(one folder per class); found {self.class_names}")
        index = {name: i for i, name in enumerate(self.class_names)}
        self.labels = [index.get(folder, 0) for folder in folders]

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        # A photo that broke after the scan (its draft decode passed, or it changed since) is
        # replaced by the next readable one, so one bad file cannot end an hours-long run.
        for offset in range(len(self.files)):
            i = (index + offset) % len(self.files)
            try:
                return load_square(self.files[i], self.load_size), self.labels[i]
            except UNREADABLE as error:
                warn_unreadable(self.files[i], error)
        raise SystemExit(f"none of the {len(self.files)} training photos can be read")


UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


def warn_unreadable(path: str, error: Exception) -> None:
    tqdm.write(f"skipping unreadable photo {path} ({type(error).__name__}: {error})")


def _usable_photos(root: str, drop_grey: bool, cache: Path | None) -> list[str]:
    """The photos under root that open (and are in colour, with drop_grey), cached in `cache`
    for as long as the folder's listing stays the same."""
    listing = [str(p) for p in find_images([root])]
    source = {**data_stamp(root, listing), "drop_grey": drop_grey}
    if cache is not None and is_cached(cache, source):
        return [line for line in cache.read_text().split("\n") if line]
    files = [f for f in tqdm(listing, "checking photos") if _usable(f, drop_grey)]
    if files and cache is not None:
        cache.write_text("\n".join(files))
        mark_cached(cache, source)
    if not files:
        raise SystemExit(f"no colour photos found under {root}")
    return files


def is_cached(path: Path, source: dict) -> bool:
    """Whether `path` exists and was made from `source` (what it was computed from)."""
    stamp = _source_stamp(path)
    return path.exists() and stamp.exists() and json.loads(stamp.read_text()) == source


def mark_cached(path: Path, source: dict) -> None:
    _source_stamp(path).write_text(json.dumps(source))


def _source_stamp(path: Path) -> Path:
    return path.with_name(path.name + ".source.json")


def load_square(path: str, size: int) -> torch.Tensor:
    """A photo resized so its short side is `size`, centre-cropped square; (3, size, size) uint8."""
    with Image.open(path) as img:
        img = img.convert("RGB")
        scale = size / min(img.size)
        new = (max(round(img.width * scale), size), max(round(img.height * scale), size))
        img = img.resize(new, Image.BICUBIC)
        left, top = (new[0] - size) // 2, (new[1] - size) // 2
        img = img.crop((left, top, left + size, top + size))
    return torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(
        size, size, 3).permute(2, 0, 1)


def data_stamp(root: str, listing: list[str] | None = None) -> dict:
    """What a cache computed from a data folder depends on: its path and the photos in it."""
    listing = listing if listing is not None else [str(p) for p in find_images([root])]
    return {"data": str(Path(root).resolve()),
            "listing": hashlib.sha1("\n".join(listing).encode()).hexdigest()}


def _usable(path: str, drop_grey: bool) -> bool:
    """Whether the photo decodes (at a reduced size, fast) and, with drop_grey, has colour."""
    import numpy as np

    try:
        with Image.open(path) as img:
            img.draft("RGB", (64, 64))
            rgb = np.asarray(img.convert("RGB"))
    except UNREADABLE as error:
        warn_unreadable(path, error)
        return False
    return not (drop_grey and is_grey(rgb))


class EpochBatches(torch.utils.data.Sampler):
    """Seeded per-epoch shuffles, sharded over processes, that can start mid-epoch."""

    def __init__(self, size, batch_size, seed, rank=0, world=1):
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.rank, self.world = rank, world
        self.epoch, self.start = 0, 0

    def __iter__(self):
        order = torch.randperm(self.size, generator=torch.Generator().manual_seed(
            self.seed + self.epoch))
        order = order[:len(order) // self.world * self.world][self.rank::self.world]
        for i in range(self.start, len(order) // self.batch_size):
            yield order[i * self.batch_size:(i + 1) * self.batch_size].tolist()

    def __len__(self):
        return self.size // self.world // self.batch_size - self.start


def random_crops(images: torch.Tensor, crop: int, min_scale: float, gen: torch.Generator):
    """Random resized crops (area min_scale..1, aspect 3/4..4/3) and flips; -> float [0, 1]."""
    out = []
    side = images.shape[-1]
    for img in images.float() / 255:
        area = side * side * (min_scale + (1 - min_scale) * torch.rand(1, generator=gen).item())
        aspect = math.exp(math.log(3 / 4) + math.log(16 / 9) * torch.rand(1, generator=gen).item())
        w = min(side, round(math.sqrt(area * aspect)))
        h = min(side, round(math.sqrt(area / aspect)))
        y = int(torch.randint(0, side - h + 1, (1,), generator=gen))
        x = int(torch.randint(0, side - w + 1, (1,), generator=gen))
        patch = F.interpolate(img[None, :, y:y + h, x:x + w], size=(crop, crop), mode="bilinear",
                              antialias=True, align_corners=False)[0]
        if torch.rand(1, generator=gen).item() < 0.5:
            patch = patch.flip(-1)
        out.append(patch)
    return torch.stack(out).clamp(0, 1)
