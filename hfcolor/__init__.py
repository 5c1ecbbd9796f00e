"""hfcolor: bring colour back to black-and-white photographs.

    >>> import hfcolor
    >>> rgb = hfcolor.colorize("grey.jpg")             # bundled default model
    >>> model = hfcolor.from_pretrained("user/repo")   # or a local folder

Heavy modules (torch, timm) load on first use, so `import hfcolor` stays light for the CLI.
"""

from hfcolor.errors import ColorizeError

__version__ = "0.1.0"
__all__ = ["ColorizeError", "colorize", "create_model", "from_pretrained", "list_models"]


def __getattr__(name):
    if name == "colorize":
        from hfcolor.pipeline import colorize

        return colorize
    if name in ("from_pretrained", "list_models", "create_model"):
        from hfcolor import loading

        return getattr(loading, name)
    if name == "hints":  # hfcolor.hints.Hint works after a bare `import hfcolor`
        from hfcolor import hints

        return hints
    raise AttributeError(f"module 'hfcolor' has no attribute {name!r}")
