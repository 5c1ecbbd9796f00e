"""Finding photos in folders, and making the folder results go into."""

import os
from collections.abc import Iterable
from pathlib import Path

from hfcolor.errors import ColorizeError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".tif",
                              ".tiff", ".gif"})
"""What folder searches take (.jfif: how Windows browsers save JPEGs; animated GIFs refused)."""


def is_image_file(path) -> bool:
    """Whether the path has a photo extension (IMAGE_EXTENSIONS: jpg, png, webp, tif, ...)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def find_images(paths, recursive: bool = True) -> list[Path]:
    """Photos named by `paths` (one path or several): files as given, folders searched.

    Folders contribute files with a photo extension; hidden files and folders (".*", such as
    macOS "._photo.jpg" resource forks) are skipped and symlinked folders are not followed.
    Files named directly are kept whatever their extension, so load_image can say what is
    wrong with them. The result is sorted and free of duplicates.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    found: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            found.update(_images_in_folder(path, recursive))
        elif path.exists():
            found.add(path)
        else:
            raise ColorizeError(f"{path} does not exist; check the path.")
    return sorted(found)


def _images_in_folder(folder: Path, recursive: bool) -> Iterable[Path]:
    for root, dirnames, filenames in os.walk(folder):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and is_image_file(name):
                yield Path(root) / name
        if not recursive:
            return


def make_output_folder(folder: Path, option: str) -> None:
    """Create an output folder before any work, so one that cannot be made or written to is
    one error up front; `option` names it as the user gave it (-o, --out)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ColorizeError(f"Cannot create {option} {folder} ({err.strerror or err}); give a "
                            "folder you can write to.") from err
    if not os.access(folder, os.W_OK):
        raise ColorizeError(f"{option} {folder} is not writable; give a folder you can write to.")
