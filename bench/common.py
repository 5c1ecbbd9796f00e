"""What the bench scripts share: the WIDTHxHEIGHT argument and the machine line of a header."""

import argparse
import os
import platform


def parse_size(text: str) -> tuple[int, int]:
    """'4000x3000' -> (4000, 3000), for argparse's `type=`."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 4000x3000") from err
    return width, height


def cpu() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())
