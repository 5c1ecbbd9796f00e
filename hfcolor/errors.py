"""The one error type users can meet: every message says what to do next."""


class ColorizeError(ValueError):
    """Bad input or an unavailable model; the message tells the user how to fix it.

    `setting`: the keyword at fault, when there is one; the message then begins with it, so a
    front end can name its own option instead (the CLI's --render-size for render_size).
    """

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        self.setting = setting
