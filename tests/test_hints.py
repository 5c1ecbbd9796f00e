"""parse_color takes exactly the documented colour forms; as_hints checks positions strictly."""

import numpy as np
import pytest

from hfcolor.errors import ColorizeError
from hfcolor.hints import COLOR_FORMS, Hint, as_hints, parse_color, parse_position


@pytest.mark.parametrize(("color", "rgb"), [
    # What Gradio's ColorPicker sends: tinycolor's toHexString, the eyedropper's sRGBHex.
    ("#3b82f6", (59, 130, 246)), ("#FF8000", (255, 128, 0)),
    # What older Gradio pickers and tinycolor's toRgbString / toHslString give.
    ("rgba(255, 0, 0, 1)", (255, 0, 0)), ("rgb(255.0, 0, 0)", (255, 0, 0)),
    ("rgba(209.10067749023438, 18.70004272460937, 18.70004272460937, 1)", (209, 19, 19)),
    ("rgba(255, 127.6, 0, 0.5)", (255, 128, 0)), ("rgb(255, 128, 0)", (255, 128, 0)),
    ("hsl(30, 100%, 50%)", (255, 128, 0)), ("hsla(120, 100%, 25%, 0.3)", (0, 128, 0)),
    ("hsl(360, 100%, 50%)", (255, 0, 0)), ("hsl(0.5, 0%, 100%)", (255, 255, 255)),
    # Typed by hand: short hex, alpha hex, any case, spaces around the text and the commas.
    ("#f80", (255, 136, 0)), ("#ff800080", (255, 128, 0)), ("  #abc ", (170, 187, 204)),
    ("RGB(1,2,3)", (1, 2, 3)), ("rgba( 1 ,2 , 3,0 )", (1, 2, 3)), ("rgb(0, 0, 0)", (0, 0, 0)),
    # The Python API: three ints 0-255, numpy's too.
    ((1, 2, 3), (1, 2, 3)), ([255, 0, 255], (255, 0, 255)),
    (np.array([10, 20, 30], dtype=np.uint8), (10, 20, 30)),
    ((np.int64(4), 5, 6), (4, 5, 6)),
])
def test_accepted_colour_forms(color, rgb):
    parsed = parse_color(color)
    assert parsed == rgb and all(type(v) is int for v in parsed)


@pytest.mark.parametrize("color", [
    # Floats in a tuple: fractions 0-1 used to read as near black, 255.0 is refused alike.
    (1.0, 0.5, 0.0), (255.0, 0.0, 0.0), np.array([1.0, 0.5, 0.0]), "1.0,0.5,0", "255,0,0",
    # Percentages, exponents, signs, out of range, nan, hex-like number formats.
    "rgb(100%,0%,0%)", "rgb(1e2,0,0)", "rgb(-1, 0, 0)", "rgb(+1, 0, 0)", "rgb(256, 0, 0)",
    "rgb(255.6, 0, 0)", "rgb(nan, 0, 0)", "rgb(inf, 0, 0)", "rgb(0x10, 0, 0)", "rgb(1_0, 0, 0)",
    "rgb(.5, 0, 0)", "rgb(5., 0, 0)", "rgb(\u0663, 0, 0)",  # an Arabic-Indic 3
    # rgb takes three values and rgba four; alpha is 0-1, a decimal.
    "rgb(1, 2, 3, 1)", "rgba(1, 2, 3)", "rgba(1, 2, 3, 2)", "rgba(1, 2, 3, 50%)",
    "rgb(1 2 3)", "rgb(1, 2, 3) x", "rgb (1, 2, 3)", "rgb(1,, 2, 3)", "rgb(1, 2)",
    # hsl needs percentages, in range.
    "hsl(30, 100, 50)", "hsl(361, 100%, 50%)", "hsl(-30, 100%, 50%)", "hsl(30, 101%, 50%)",
    "hsl(30, 100%, 50%, 1)", "hsla(30, 100%, 50%)", "hsla(30, 100%, 50%, 1.5)",
    # Hex: spaces inside, wrong lengths, non-hex digits, no '#'.
    "# ff ff", "#ff ff ff", "#f f f", "#ff80", "#ff800", "#ff8000a", "#ff8000800", "#ggg",
    "#f_ff_ff", "ff8000", "#",
    # Named colours, empty text, other types, wrong lengths, bools.
    "red", "chartreuse", "", "   ", None, 255, b"abc", {"r": 1}, (1, 2), (1, 2, 3, 4),
    (256, 0, 0), (-1, 0, 0), (True, False, True), ("1", "2", "3"), np.array([[1, 2, 3]]),
])
def test_refused_colours_get_one_message_naming_the_forms(color):
    with pytest.raises(ColorizeError) as refused:
        parse_color(color)
    assert str(refused.value) == f"Colour {color!r} not understood; give {COLOR_FORMS}."


def test_the_message_names_every_accepted_form():
    for form in ("'#rrggbb'", "'#rgb'", "'#rrggbbaa'", "'rgb(r, g, b)'", "'rgba(r, g, b, a)'",
                 "'hsl(h, s%, l%)'", "'hsla(h, s%, l%, a)'", "(r, g, b) tuple", "0 to 255"):
        assert form in COLOR_FORMS


def test_hints_with_the_colour_forms_are_checked_up_front():
    hints = as_hints([(1, 2, "rgba(255, 0, 0, 1)"), Hint(3.5, 0, (0, 0, 255), radius=0)])
    assert [hint.color for hint in hints] == ["rgba(255, 0, 0, 1)", (0, 0, 255)]
    with pytest.raises(ColorizeError, match=r"^Colour \(1\.0, 0\.5, 0\.0\) not understood"):
        as_hints((1, 2, (1.0, 0.5, 0.0)))


@pytest.mark.parametrize(("x", "y"), [(-1, 2), (2, -0.5), (float("nan"), 2), (2, float("inf")),
                                      (True, 2), ("1e2", 3), ("1", 3), (None, 3)])
def test_hint_positions_are_finite_numbers_from_zero(x, y):
    with pytest.raises(ColorizeError, match="is not two finite numbers from 0; give pixel"):
        as_hints([Hint(x, y, "#ff0000")])


@pytest.mark.parametrize("radius", [-1, 33, 2.0, True, "2"])
def test_hint_radius_is_a_whole_number_to_32(radius):
    with pytest.raises(ColorizeError, match="is not a whole number in 0..32"):
        as_hints([Hint(1, 1, "#ff0000", radius=radius)])


@pytest.mark.parametrize(("text", "value"), [("120", 120.0), (" 80.5 ", 80.5), ("0", 0.0)])
def test_a_typed_coordinate_is_a_plain_number(text, value):
    assert parse_position(text) == value


@pytest.mark.parametrize("text", ["1e2", "-5", "nan", "inf", "1_0", "0x10", ".5", "", "12px"])
def test_a_coordinate_that_is_not_a_plain_number_is_refused(text):
    with pytest.raises(ColorizeError, match="not a pixel coordinate; give a plain number"):
        parse_position(text)
