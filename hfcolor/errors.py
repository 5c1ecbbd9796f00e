"""The one error type users can meet: every message says what to do next."""


class ColorizeError(ValueError):
    """Bad input or an unavailable model; the message tells the user how to fix it."""
