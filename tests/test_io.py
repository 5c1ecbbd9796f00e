"""Tests for hfcolor.io: every input form, every PIL mode, the input checks and saving."""

import errno
import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import ExifTags, Image

from hfcolor.errors import ColorizeError
from hfcolor.io import (
    MAX_PIXELS,
    LoadedImage,
    find_images,
    is_grey,
    is_image_file,
    load_image,
    save_image,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- helpers


def saved(image: Image.Image, path: Path, **options) -> Path:
    image.save(path, **options)
    return path


def noisy_rgb(height: int = 64, width: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def png_bytes(
    width: int, height: int, bit_depth: int, colour_type: int, pixel_data: bytes
) -> bytes:
    """A PNG written by hand, for layouts Pillow cannot save (16-bit RGB, cut-off data)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixel_data) + chunk(b"IEND", b"")


def header_only_png(width: int, height: int) -> bytes:
    """A grey PNG that claims width x height but whose pixel data stops after one row."""
    compressor = zlib.compressobj()
    first_row = compressor.compress(b"\x00" + bytes(width)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return png_bytes(width, height, 8, 0, first_row)


def s15_fixed(*values: float) -> bytes:
    return b"".join(struct.pack(">i", round(value * 65536)) for value in values)


D50_WHITE = (0.9642, 1.0, 0.8249)
SRGB_COLORANTS = {b"rXYZ": (0.4361, 0.2225, 0.0139), b"gXYZ": (0.3851, 0.7169, 0.0971),
                  b"bXYZ": (0.1431, 0.0606, 0.7141)}  # sRGB's primaries, adapted to D50


def gamma_profile(gamma: float, space: str = "GRAY") -> bytes:
    """An ICC v2 profile with a pure gamma curve: greyscale (Photoshop's "Gray Gamma 1.8") or,
    for space "RGB ", sRGB's primaries with that gamma (not sRGB, so load_image converts)."""
    name = b"Gamma test\0"
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)
    tags = [
        (b"desc", b"desc" + bytes(4) + struct.pack(">I", len(name)) + name + bytes(79)),
        (b"wtpt", b"XYZ " + bytes(4) + s15_fixed(*D50_WHITE)),
    ]
    if space == "GRAY":
        tags.append((b"kTRC", curve))
    else:
        tags += [(tag, b"XYZ " + bytes(4) + s15_fixed(*xyz)) for tag, xyz in SRGB_COLORANTS.items()]
        tags += [(tag, curve) for tag in (b"rTRC", b"gTRC", b"bTRC")]
    offset, table, data = 132 + 12 * len(tags), b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + b"lcms" + bytes([2, 0x10, 0, 0])
              + b"mntr" + space.encode() + b"XYZ " + bytes(12) + b"acsp" + bytes(28)
              + s15_fixed(*D50_WHITE) + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + data


def grey_gamma_profile(gamma: float) -> bytes:
    return gamma_profile(gamma, "GRAY")


def pixel(loaded: LoadedImage, y: int = 0, x: int = 0) -> tuple[int, ...]:
    return tuple(int(v) for v in loaded.rgb[y, x])


def assert_rgb_uint8(loaded: LoadedImage, height: int, width: int) -> None:
    assert loaded.rgb.dtype == np.uint8
    assert loaded.rgb.shape == (height, width, 3)


# --------------------------------------------------------------------------- PIL modes


def palette_image(transparent_index: int | None = None) -> Image.Image:
    image = Image.new("P", (4, 3), 1)
    image.putpalette([0, 0, 0, 200, 50, 30] + [0] * (256 * 3 - 6))
    image.putpixel((0, 0), 0)
    if transparent_index is not None:
        image.info["transparency"] = transparent_index
    return image


def merged(mode: str, values: tuple[int, ...]) -> Image.Image:
    return Image.merge(mode, [Image.new("L", (4, 3), v) for v in values])


@pytest.mark.parametrize(
    ("make_image", "expected"),
    [
        pytest.param(lambda: Image.new("1", (4, 3), 1), (255, 255, 255), id="1"),
        pytest.param(lambda: Image.new("L", (4, 3), 100), (100, 100, 100), id="L"),
        pytest.param(lambda: Image.new("RGB", (4, 3), (10, 20, 30)), (10, 20, 30), id="RGB"),
        pytest.param(lambda: Image.new("CMYK", (4, 3), (0, 255, 255, 0)), (255, 0, 0), id="CMYK"),
        pytest.param(lambda: Image.new("I;16", (4, 3), 65535), (255, 255, 255), id="I;16-max"),
        pytest.param(lambda: Image.new("I;16", (4, 3), 32768), (128, 128, 128), id="I;16-mid"),
        pytest.param(lambda: Image.new("I;16B", (4, 3), 32768), (128, 128, 128), id="I;16B"),
        pytest.param(lambda: Image.new("I;16L", (4, 3), 257 * 7), (7, 7, 7), id="I;16L"),
        pytest.param(lambda: Image.new("I", (4, 3), 65535), (255, 255, 255), id="I-16bit"),
        pytest.param(lambda: Image.new("I", (4, 3), 32768), (128, 128, 128), id="I-16bit-mid"),
        pytest.param(lambda: Image.new("I", (4, 3), 100), (100, 100, 100), id="I-8bit"),
        pytest.param(lambda: Image.new("I", (4, 3), 2**31 - 1), (128,) * 3, id="I-32bit-mid"),
        pytest.param(lambda: Image.new("F", (4, 3), 0.5), (128, 128, 128), id="F-unit"),
        pytest.param(lambda: Image.new("F", (4, 3), 200.0), (200, 200, 200), id="F-8bit"),
        pytest.param(lambda: merged("HSV", (0, 255, 255)), (255, 0, 0), id="HSV"),
    ],
)
def test_pil_modes_become_uint8_rgb(make_image, expected):
    loaded = load_image(make_image())
    assert_rgb_uint8(loaded, 3, 4)
    assert pixel(loaded, 2, 3) == expected
    assert loaded.alpha is None


def test_ycbcr_neutral_stays_grey():
    loaded = load_image(merged("YCbCr", (128, 128, 128)))
    assert_rgb_uint8(loaded, 3, 4)
    assert pixel(loaded) == (128, 128, 128)


def test_lab_converts_with_neutral_grey_and_red():
    neutral = load_image(merged("LAB", (128, 128, 128)))
    red = load_image(merged("LAB", (140, 200, 128)))
    r, g, b = pixel(neutral)
    assert r == g == b and 100 < r < 140
    r, g, b = pixel(red)
    assert r > 200 and g < 100


def test_palette_without_transparency_has_no_alpha():
    loaded = load_image(palette_image())
    assert pixel(loaded, 1, 1) == (200, 50, 30)
    assert pixel(loaded) == (0, 0, 0)
    assert loaded.alpha is None


@pytest.mark.parametrize(
    ("make_image", "opaque_alpha"),
    [
        pytest.param(lambda: Image.new("RGBA", (4, 3), (10, 20, 30, 40)), 40, id="RGBA"),
        pytest.param(lambda: Image.new("LA", (4, 3), (90, 60)), 60, id="LA"),
        pytest.param(lambda: palette_image(transparent_index=0), 255, id="P-transparency"),
    ],
)
def test_alpha_is_kept_aside_and_saved_back_to_png(tmp_path, make_image, opaque_alpha):
    original = make_image()
    loaded = load_image(saved(original, tmp_path / "in.png"))
    assert_rgb_uint8(loaded, 3, 4)
    assert loaded.alpha is not None and loaded.alpha.shape == (3, 4)
    assert int(loaded.alpha[2, 3]) == opaque_alpha
    if original.mode == "P":
        assert int(loaded.alpha[0, 0]) == 0

    out = save_image(loaded.rgb, tmp_path / "out.png", alpha=loaded.alpha)
    with Image.open(out) as reread:
        assert reread.mode == "RGBA"
    again = load_image(out)
    np.testing.assert_array_equal(again.alpha, loaded.alpha)
    np.testing.assert_array_equal(again.rgb, loaded.rgb)


def test_sixteen_bit_grey_png_file_scales_to_eight_bit(tmp_path):
    values = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    path = saved(Image.fromarray(values), tmp_path / "grey16.png")
    loaded = load_image(path)
    assert loaded.rgb[0, :, 0].tolist() == [0, 1, 128, 255]
    assert loaded.name == "grey16.png"


def test_sixteen_bit_grey_files_keep_their_sixteen_bits(tmp_path):
    values = np.array([[0, 1000, 32768, 65535]], dtype=np.uint16)
    for name in ("grey16.png", "grey16.tif"):
        loaded = load_image(saved(Image.fromarray(values), tmp_path / name))
        assert loaded.deep.dtype == np.uint16 and loaded.deep.shape == (1, 4, 3)
        assert loaded.deep[0, :, 0].tolist() == [0, 1000, 32768, 65535]
        assert loaded.rgb[0, :, 0].tolist() == [0, 4, 128, 255]
    assert load_image(values).deep[0, :, 2].tolist() == [0, 1000, 32768, 65535]
    assert load_image(noisy_rgb(4, 4)).deep is None
    assert load_image(saved(Image.new("L", (4, 3), 9), tmp_path / "grey8.png")).deep is None


def test_thirty_two_bit_grey_is_scaled_to_sixteen_bits(tmp_path):
    import tifffile

    values = np.array([[0, 65537 * 1000, 2**31, 2**32 - 1]], dtype=np.uint32)
    path = tmp_path / "grey32.tif"
    tifffile.imwrite(path, values)
    for source in (path, Image.fromarray(values)):  # Pillow holds uint32 wrapped in mode I
        loaded = load_image(source)
        assert loaded.deep[0, :, 0].tolist() == [0, 1000, 32768, 65535]
        assert loaded.rgb[0, :, 0].tolist() == [0, 4, 128, 255]


def test_forty_eight_bit_tiff_keeps_its_sixteen_bits_and_orientation(tmp_path):
    import tifffile

    rgb16 = np.random.default_rng(1).integers(0, 65536, (5, 7, 3), dtype=np.uint16)
    path = tmp_path / "scan48.tif"
    tifffile.imwrite(path, rgb16, photometric="rgb", extratags=[(0x0112, "H", 1, 6, True)])
    loaded = load_image(path)
    np.testing.assert_array_equal(loaded.deep, np.rot90(rgb16, -1))  # orientation 6: 90 cw
    np.testing.assert_array_equal(loaded.rgb, np.rint(loaded.deep / 257).astype(np.uint8))
    with Image.open(path) as image:
        assert load_image(image).deep is not None  # a caller's PIL image too


def test_a_sixteen_bit_photo_with_another_icc_profile_is_converted_at_eight_bits(tmp_path):
    grey = Image.fromarray(np.full((3, 4), 30000, np.uint16))
    loaded = load_image(saved(grey, tmp_path / "gamma18.png", icc_profile=grey_gamma_profile(1.8)))
    assert loaded.deep is None and loaded.rgb.dtype == np.uint8


def png_16_bit_pixels(path: Path) -> np.ndarray:
    """Decode a 16-bit RGB(A) PNG of Sub-filtered rows (what save_image writes; Pillow reads
    such PNGs at 8 bits only)."""
    data, chunks, offset = path.read_bytes(), {}, 8
    while offset < len(data):
        (length,), kind = struct.unpack(">I", data[offset:offset + 4]), data[offset + 4:offset + 8]
        chunks[kind] = chunks.get(kind, b"") + data[offset + 8:offset + 8 + length]
        offset += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 16
    channels = {2: 3, 6: 4}[colour_type]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 1).all()  # the Sub filter
    pixels = rows[:, 1:].reshape(height, width, channels * 2).cumsum(axis=1, dtype=np.uint8)
    return pixels.reshape(height, -1).view(">u2").reshape(height, width, channels)


def test_sixteen_bit_colours_save_as_sixteen_bit_png_and_tiff(tmp_path):
    import tifffile

    rgb = np.random.default_rng(2).integers(0, 65536, (300, 9, 3), dtype=np.uint16)  # 2 blocks
    alpha = np.random.default_rng(3).integers(0, 65536, (300, 9), dtype=np.uint16)
    exif = Image.Exif()
    exif[0x013B], exif[0x8298] = "Ann Smith", "(c) family"
    png = save_image(rgb, tmp_path / "out.png", alpha=alpha, dpi=(600, 600), exif=exif.tobytes())
    np.testing.assert_array_equal(png_16_bit_pixels(png), np.dstack([rgb, alpha]))
    with Image.open(png) as image:
        assert image.info["dpi"] == pytest.approx((600, 600), abs=0.01)
        assert image.getexif()[0x013B] == "Ann Smith"
    tif = save_image(rgb, tmp_path / "out.tif", dpi=(300, 300), exif=exif.tobytes())
    with tifffile.TiffFile(tif) as tiff:
        np.testing.assert_array_equal(tiff.asarray(), rgb)
        tags = tiff.pages[0].tags
        assert tags["Artist"].value == "Ann Smith" and tags["Copyright"].value == "(c) family"
        assert tags["XResolution"].value == (300, 1)
    exif[0x0132] = "about 1952"  # not the date form TIFF wants: left out, the photo still saved
    assert save_image(rgb, tmp_path / "dated.tif", exif=exif.tobytes()).exists()
    flat = np.full((8, 8, 3), (51400, 25700, 12850), np.uint16)
    jpeg = save_image(flat, tmp_path / "out.jpg")  # JPEG holds 8 bits
    with Image.open(jpeg) as image:
        assert image.mode == "RGB"
        assert np.abs(np.asarray(image, float) - (200, 100, 50)).max() <= 2


def test_sixteen_bit_rgb_png_file_keeps_the_high_byte(tmp_path):
    row = b"\x00" + struct.pack(">6H", 65535, 32768, 0, 0, 4096, 65535)
    path = tmp_path / "rgb16.png"
    path.write_bytes(png_bytes(2, 1, 16, 2, zlib.compress(row)))
    loaded = load_image(path)
    assert pixel(loaded, 0, 0) == (255, 128, 0)
    assert pixel(loaded, 0, 1) == (0, 16, 255)


def test_exif_orientation_6_rotates_clockwise(tmp_path):
    image = Image.new("RGB", (4, 2), (0, 0, 0))
    image.putpixel((0, 0), (255, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6
    path = saved(image, tmp_path / "rotated.png", exif=exif)
    loaded = load_image(path)
    assert_rgb_uint8(loaded, 4, 2)
    assert pixel(loaded, 0, 1) == (255, 0, 0)


def test_exif_orientation_on_caller_pil_image_leaves_it_alone(tmp_path):
    image = Image.new("RGB", (4, 2))
    exif = image.getexif()
    exif[0x0112] = 6
    with Image.open(saved(image, tmp_path / "rotated.jpg", exif=exif)) as opened:
        loaded = load_image(opened)
        assert opened.size == (4, 2)
    assert_rgb_uint8(loaded, 4, 2)
    assert loaded.name == "rotated.jpg"


def test_icc_tagged_photo_is_converted_to_srgb(tmp_path):
    # A viewer shows grey 64 under Gray Gamma 1.8 as sRGB 81; the colorized photo keeps that.
    grey = Image.new("L", (4, 3), 64)
    path = saved(grey, tmp_path / "scan.jpg", icc_profile=grey_gamma_profile(1.8), quality=100)
    assert pixel(load_image(path)) == (81, 81, 81)
    with Image.open(path) as opened:
        assert pixel(load_image(opened)) == (81, 81, 81)


def test_damaged_or_mismatched_icc_profile_keeps_the_pixels(tmp_path):
    rgb = Image.new("RGB", (4, 3), (64, 64, 64))
    for name, profile in [("damaged.png", b"not a profile"), ("grey.png", grey_gamma_profile(1.8))]:
        path = saved(rgb, tmp_path / name, icc_profile=profile)
        assert pixel(load_image(path)) == (64, 64, 64)


def test_icc_tagged_grey_alpha_and_palette_photos_convert_like_l_and_rgb(tmp_path):
    grey_profile, rgb_profile = grey_gamma_profile(1.8), gamma_profile(1.8, "RGB ")
    with_alpha = saved(Image.new("LA", (4, 3), (64, 200)), tmp_path / "la.png",
                       icc_profile=grey_profile)
    for source in (with_alpha, Image.open(with_alpha)):
        loaded = load_image(source)
        assert pixel(loaded) == (81, 81, 81) and int(loaded.alpha[0, 0]) == 200  # as L gives

    rgb = Image.new("RGB", (4, 3), (64, 128, 200))
    rgb.info["icc_profile"] = rgb_profile
    expected = pixel(load_image(rgb))
    assert expected != (64, 128, 200)
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE)
    palette.info["icc_profile"] = rgb_profile
    assert pixel(load_image(palette)) == expected
    palette_alpha = palette.convert("PA")
    palette_alpha.putalpha(90)
    palette_alpha.info["icc_profile"] = rgb_profile
    loaded = load_image(palette_alpha)
    assert pixel(loaded) == expected and int(loaded.alpha[0, 0]) == 90


# --------------------------------------------------------------------------- other sources


def test_bytes_and_file_objects_load(tmp_path):
    path = saved(Image.new("RGB", (5, 4), (1, 2, 3)), tmp_path / "photo.png")
    from_bytes = load_image(path.read_bytes())
    with path.open("rb") as file:
        from_file = load_image(file)
    for loaded in (from_bytes, from_file):
        assert pixel(loaded) == (1, 2, 3)
        assert loaded.name is None
    assert load_image(str(path)).name == "photo.png"


@pytest.mark.parametrize(
    ("array", "expected", "has_alpha"),
    [
        pytest.param(np.full((3, 4), 7, np.uint8), (7, 7, 7), False, id="HW-uint8"),
        pytest.param(np.full((3, 4, 1), 7, np.uint8), (7, 7, 7), False, id="HW1-uint8"),
        pytest.param(np.full((3, 4, 3), 7, np.uint8), (7, 7, 7), False, id="HW3-uint8"),
        pytest.param(np.full((3, 4, 4), 7, np.uint8), (7, 7, 7), True, id="HW4-uint8"),
        pytest.param(np.full((3, 4), 65535, np.uint16), (255,) * 3, False, id="HW-uint16"),
        pytest.param(np.full((3, 4, 3), 0.5, np.float32), (128,) * 3, False, id="HW3-float32"),
        pytest.param(np.full((3, 4, 4), 1.0, np.float64), (255,) * 3, True, id="HW4-float64"),
        pytest.param(np.full((3, 4), 1.02, np.float16), (255,) * 3, False, id="float-overshoot"),
        pytest.param(np.ones((3, 4), bool), (255, 255, 255), False, id="HW-bool"),
        pytest.param(np.full((3, 4, 3), 32768, ">u2"), (128,) * 3, False, id="big-endian-uint16"),
        pytest.param(np.full((3, 4, 4), 0.5, ">f4"), (128,) * 3, True, id="big-endian-float32"),
        pytest.param(np.full((3, 4, 2), 7, np.uint8), (7, 7, 7), True, id="HW2-grey-alpha"),
    ],
)
def test_numpy_inputs(array, expected, has_alpha):
    loaded = load_image(array)
    assert_rgb_uint8(loaded, 3, 4)
    assert pixel(loaded) == expected
    assert (loaded.alpha is not None) == has_alpha
    assert not np.shares_memory(loaded.rgb, array)


def test_numpy_rgba_alpha_is_the_fourth_channel():
    array = np.zeros((2, 2, 4), np.uint8)
    array[..., 3] = [[0, 50], [100, 255]]
    assert load_image(array).alpha.tolist() == [[0, 50], [100, 255]]


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_an_np_matrix_loads_as_a_grey_array():
    matrix = np.matrix(np.full((3, 4), 7, np.uint8))
    np.testing.assert_array_equal(load_image(matrix).rgb, np.full((3, 4, 3), 7, np.uint8))


def test_a_big_endian_array_loads_as_its_native_twin():
    native = np.random.default_rng(2).integers(0, 65536, (3, 4, 3), dtype=np.uint16)
    swapped, twin = load_image(native.astype(">u2")), load_image(native)
    np.testing.assert_array_equal(swapped.rgb, twin.rgb)
    np.testing.assert_array_equal(swapped.deep, twin.deep)


def test_grey_and_alpha_arrays_and_tensors_load_like_pil_la():
    grey_alpha = np.stack([np.full((3, 4), 90, np.uint8), np.full((3, 4), 60, np.uint8)], axis=2)
    from_pil = load_image(Image.fromarray(grey_alpha, "LA"))
    for source in (grey_alpha, torch.from_numpy(grey_alpha).permute(2, 0, 1)):
        loaded = load_image(source)
        np.testing.assert_array_equal(loaded.rgb, from_pil.rgb)
        np.testing.assert_array_equal(loaded.alpha, from_pil.alpha)


@pytest.mark.parametrize("channels", [2, 4])
def test_sixteen_bit_alpha_is_scaled_to_eight_bits_like_the_colours(channels):
    array = np.full((3, 4, channels), 65535, np.uint16)
    array[..., -1] = [0, 257 * 7, 32768, 65535]
    loaded = load_image(array)
    assert loaded.alpha[0].tolist() == [0, 7, 128, 255]
    assert loaded.deep.shape == (3, 4, 3) and int(loaded.deep.min()) == 65535


def test_an_opaque_alpha_channel_is_kept():
    # colorize gives back as many channels as it was given: RGBA in, RGBA out
    assert load_image(Image.new("RGBA", (4, 3), (1, 2, 3, 255))).alpha.min() == 255
    assert load_image(Image.new("RGB", (4, 3))).alpha is None


@pytest.mark.parametrize(
    ("tensor", "expected", "has_alpha"),
    [
        pytest.param(torch.full((3, 3, 4), 0.5), (128,) * 3, False, id="CHW3-float"),
        pytest.param(torch.full((1, 3, 4), 1.0), (255,) * 3, False, id="CHW1-float"),
        pytest.param(torch.full((4, 3, 4), 0.0), (0, 0, 0), True, id="CHW4-float"),
        pytest.param(torch.full((3, 4), 9, dtype=torch.uint8), (9,) * 3, False, id="HW-uint8"),
        pytest.param(torch.full((3, 3, 4), 0.5, dtype=torch.float16), (128,) * 3, False, id="f16"),
        pytest.param(
            torch.full((3, 3, 4), 0.5, dtype=torch.bfloat16), (128,) * 3, False, id="bf16"
        ),
        pytest.param(torch.full((3, 3, 4), 0.5, requires_grad=True), (128,) * 3, False, id="grad"),
    ],
)
def test_tensor_inputs(tensor, expected, has_alpha):
    loaded = load_image(tensor)
    assert_rgb_uint8(loaded, 3, 4)
    assert pixel(loaded) == expected
    assert (loaded.alpha is not None) == has_alpha


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_a_sparse_tensor_loads_like_its_dense_twin():
    dense = torch.zeros(3, 4, 4)
    dense[0, 1, 2] = 1.0
    for sparse in (dense.to_sparse(), dense[0].to_sparse_csr()):
        twin = dense if sparse.ndim == 3 else dense[0]
        np.testing.assert_array_equal(load_image(sparse).rgb, load_image(twin).rgb)


def test_tensor_channels_are_read_in_order():
    tensor = torch.zeros(3, 2, 2)
    tensor[0] = 1.0
    assert pixel(load_image(tensor)) == (255, 0, 0)


def test_importing_hfcolor_io_does_not_import_torch():
    code = "import sys, hfcolor.io; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


# --------------------------------------------------------------------------- bad input


def test_text_file_is_not_an_image(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, not a photo\n")
    with pytest.raises(ColorizeError, match="not an image Pillow can read") as caught:
        load_image(path)
    assert "JPEG, PNG, WebP, TIFF or BMP" in str(caught.value)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_truncated_file_is_refused(tmp_path, image_format):
    buffer = io.BytesIO()
    Image.fromarray(noisy_rgb()).save(buffer, image_format)
    path = tmp_path / f"cut.{image_format.lower()}"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ColorizeError, match="truncated or damaged.*Re-download or re-export"):
        load_image(path)


@pytest.mark.parametrize("name", ["pages.tif", "animation.gif", "animation.webp", "animation.png"])
def test_several_frames_are_refused_not_cut_to_the_first(tmp_path, name):
    frames = [Image.new("RGB", (8, 6), (v, v, v)) for v in (50, 200)]
    path = saved(frames[0], tmp_path / name, save_all=True, append_images=frames[1:])
    with pytest.raises(ColorizeError, match="holds 2 frames.*its own file"):
        load_image(path)


def test_a_pil_animation_is_refused_and_one_of_its_frames_loads(tmp_path):
    frames = [Image.new("RGB", (8, 6), (v, v, v)) for v in (50, 200)]
    path = saved(frames[0], tmp_path / "animation.gif", save_all=True, append_images=frames[1:])
    with Image.open(path) as animation:
        with pytest.raises(ColorizeError, match=r"holds 2 frames.*image.seek\(n\), then"):
            load_image(animation)
        animation.seek(1)
        assert pixel(load_image(animation.copy())) == (200, 200, 200)


def test_a_closed_pil_image_is_refused(tmp_path):
    path = saved(Image.new("RGB", (4, 3)), tmp_path / "photo.png")
    with Image.open(path) as unread:
        pass
    closed = Image.new("RGB", (4, 3))
    closed.close()
    for image in (unread, closed):
        with pytest.raises(ColorizeError, match=r"is closed .*pass it before closing it"):
            load_image(image)


def layered_psd(width: int, height: int, levels: list[int]) -> bytes:
    """A greyscale Photoshop file: the composite at levels[0], one plain layer per level."""
    pixels = width * height
    extra = bytes(12)  # no mask, no blending ranges, empty name
    record = (struct.pack(">4iHhI", 0, 0, height, width, 1, 0, 2 + pixels) + b"8BIMnorm"
              + bytes([255, 0, 0, 0]) + struct.pack(">I", len(extra)) + extra)
    layers = struct.pack(">h", len(levels)) + record * len(levels)
    layers += b"".join(bytes(2) + bytes([level]) * pixels for level in levels)
    layers += bytes(len(layers) % 2)
    section = struct.pack(">I", len(layers)) + layers
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 1, height, width, 8, 1) + bytes(8)
    composite = bytes(2) + bytes([levels[0]]) * pixels
    return header + struct.pack(">I", len(section)) + section + composite


def test_camera_jpeg_previews_and_photoshop_layers_are_not_refused(tmp_path):
    photo, preview = Image.new("RGB", (8, 6), (90, 90, 90)), Image.new("RGB", (4, 3))
    camera = saved(photo, tmp_path / "camera.jpg", format="MPO", save_all=True,
                   append_images=[preview])
    layered = tmp_path / "restored.psd"
    layered.write_bytes(layered_psd(8, 6, [90, 200]))
    for path in (camera, layered):
        loaded = load_image(path)
        assert_rgb_uint8(loaded, 6, 8)
        assert pixel(loaded) == (90, 90, 90)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.jpg"
    path.touch()
    with pytest.raises(ColorizeError, match=r"empty \(0 bytes\)"):
        load_image(path)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(Image.new("L", (0, 5)), id="pil"),
        pytest.param(np.zeros((0, 5, 3), np.uint8), id="numpy"),
        pytest.param(torch.zeros(3, 5, 0), id="tensor"),
    ],
)
def test_zero_size_image_is_refused(source):
    with pytest.raises(ColorizeError, match=r"is empty \(\d+x\d+ pixels\)"):
        load_image(source)


def test_pixel_limit_is_checked_before_decoding(tmp_path):
    # The file is truncated, so only a check made from the header can give this message.
    path = tmp_path / "big.png"
    path.write_bytes(header_only_png(20, 10))
    with pytest.raises(ColorizeError) as caught:
        load_image(path, max_pixels=100)
    message = str(caught.value)
    assert "is 20x10 (200 pixels), above the 100-pixel limit" in message
    assert "resize it first, or raise the limit: max_pixels=200 in Python" in message


def test_max_pixels_replaces_pillows_bomb_limit(tmp_path, monkeypatch):
    # Pillow alone refuses files over twice MAX_IMAGE_PIXELS and warns above it.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40)
    path = tmp_path / "big.png"
    path.write_bytes(header_only_png(20, 10))
    with pytest.raises(ColorizeError, match=r"20x10 \(200 pixels\), above the 60-pixel limit"):
        load_image(path, max_pixels=60)
    with pytest.raises(ColorizeError, match="truncated"):
        load_image(path, max_pixels=None)  # past every size check, to decoding
    assert Image.MAX_IMAGE_PIXELS == 40  # Pillow's own setting is left as it was


def test_default_limit_refuses_63_mp_and_allows_a_50_mp_camera(tmp_path):
    too_big = tmp_path / "too_big.png"
    too_big.write_bytes(header_only_png(9000, 7000))
    with pytest.raises(ColorizeError, match=r"9000x7000 \(63.0 MP\), above the 60 MP limit"):
        load_image(too_big)
    fifty_mp = tmp_path / "fifty_mp.png"
    fifty_mp.write_bytes(header_only_png(8660, 5773))
    assert 8660 * 5773 <= MAX_PIXELS
    with pytest.raises(ColorizeError, match="truncated"):
        load_image(fifty_mp)  # got past the size checks to decoding


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(np.zeros((1, 30), np.uint8), id="numpy-wide"),
        pytest.param(Image.new("RGB", (2, 60)), id="pil-tall"),
    ],
)
def test_extreme_aspect_ratio_is_refused(source):
    with pytest.raises(ColorizeError, match=r"30\.0:1\); panoramas over 20:1 .*crop it"):
        load_image(source)


def test_aspect_ratio_of_exactly_20_is_allowed():
    assert_rgb_uint8(load_image(np.zeros((1, 20), np.uint8)), 1, 20)


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_a_photo_over_pillows_limit_loads_when_max_pixels_allows_it(tmp_path, monkeypatch):
    path = saved(Image.new("L", (40, 40)), tmp_path / "scan.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1,600 pixels: Pillow would warn
    assert_rgb_uint8(load_image(path), 40, 40)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # Pillow would refuse
    assert_rgb_uint8(load_image(path, max_pixels=None), 40, 40)


def test_missing_file_folder_and_url_are_refused(tmp_path):
    with pytest.raises(ColorizeError, match="does not exist; check the path"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(ColorizeError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(ColorizeError, match="is a URL; download"):
        load_image("https://example.com/photo.jpg")


def test_paths_from_home_and_as_bytes_load(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    saved(Image.new("RGB", (5, 4), (1, 2, 3)), tmp_path / "photo.png")
    monkeypatch.chdir(tmp_path)
    absolute = os.fsencode(tmp_path / "photo.png")
    for source in ("~/photo.png", Path("~/photo.png"), b"photo.png", absolute):
        loaded = load_image(source)
        assert pixel(loaded) == (1, 2, 3) and loaded.name == "photo.png"
    with pytest.raises(ColorizeError, match=r"missing.png does not exist; check the path"):
        load_image(b"missing.png")


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        pytest.param("", r"path is empty \(''\); give the photo's file path", id="empty"),
        pytest.param("a" * 300 + ".png", r"\.\.\..*too long for this system \(304 characters\); "
                     "rename", id="long-name"),
        pytest.param("/".join(["a" * 200] * 30), "too long for this system", id="long-path"),
    ],
)
def test_unusable_paths_are_refused(path, pattern):
    with pytest.raises(ColorizeError, match=pattern):
        load_image(path)


@pytest.mark.parametrize(
    ("source", "pattern"),
    [
        pytest.param(np.zeros((3, 8, 8)), r"channels-first.*transpose\(1, 2, 0\)", id="CHW"),
        pytest.param(np.zeros((8, 8, 5)), r"expected \(H, W\)", id="five-channels"),
        pytest.param(np.zeros((1, 8, 8, 3)), r"pass array\[0\]", id="batch"),
        pytest.param(np.zeros(8), r"has shape \(8,\)", id="1-d"),
        pytest.param(np.zeros((8, 8), np.int64), "dtype int64; give uint8", id="int64"),
        pytest.param(np.full((8, 8), 255.0), "divide it by 255", id="float-0-255"),
        pytest.param(np.full((8, 8), np.nan), "NaN", id="nan"),
        pytest.param(torch.zeros(8, 8, 3), r"channels-last.*permute\(2, 0, 1\)", id="tensor-HWC"),
        pytest.param(torch.zeros(1, 3, 8, 8), r"pass tensor\[0\]", id="tensor-batch"),
        pytest.param(torch.zeros(3, 8, 8, dtype=torch.int32), "dtype int32", id="tensor-int"),
        pytest.param(torch.zeros(3, 8, 8, device="meta"), "meta device", id="tensor-meta"),
        pytest.param(12, "Cannot load a photo from a int", id="int"),
    ],
)
def test_unsupported_arrays_and_types_are_refused(source, pattern):
    with pytest.raises(ColorizeError, match=pattern):
        load_image(source)


@pytest.mark.parametrize("max_pixels", [0, -5, "100", 1.5, True])
def test_bad_max_pixels_is_refused(max_pixels):
    with pytest.raises(ColorizeError, match="max_pixels must be a positive whole number"):
        load_image(np.zeros((2, 2), np.uint8), max_pixels=max_pixels)


def test_max_pixels_none_disables_the_limit():
    assert_rgb_uint8(load_image(np.zeros((2, 2), np.uint8), max_pixels=None), 2, 2)


# --------------------------------------------------------------------------- finding files


def test_is_image_file_by_extension():
    assert all(is_image_file(f"a.{ext}") for ext in ("jpg", "JPEG", "png", "webp", "bmp", "tif"))
    assert is_image_file(Path("x/y.TIFF"))
    assert not is_image_file("notes.txt")
    assert not is_image_file("png")


def test_find_images_in_nested_folders(tmp_path):
    for name in [
        "album/b.jpg",
        "album/A.PNG",
        "album/notes.txt",
        "album/._b.jpg",
        "album/.thumbs/t.jpg",
        "album/2020/summer/c.webp",
        "album/2020/d.tiff",
        "album/e.jfif",
        "album/f.gif",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    album = tmp_path / "album"

    assert find_images(album) == [
        album / "2020/d.tiff",
        album / "2020/summer/c.webp",
        album / "A.PNG",
        album / "b.jpg",
        album / "e.jfif",
        album / "f.gif",
    ]
    top = [album / "A.PNG", album / "b.jpg", album / "e.jfif", album / "f.gif"]
    assert find_images([album], recursive=False) == top
    named = find_images([str(album / "notes.txt"), album / "b.jpg", album], recursive=False)
    assert named == top + [album / "notes.txt"]
    with pytest.raises(ColorizeError, match="does not exist"):
        find_images([album / "missing.jpg"])


# --------------------------------------------------------------------------- saving


def test_save_png_is_lossless_and_creates_folders(tmp_path):
    rgb = noisy_rgb(8, 6)
    out = save_image(rgb, tmp_path / "a" / "b" / "out.png")
    assert out == tmp_path / "a" / "b" / "out.png"
    np.testing.assert_array_equal(load_image(out).rgb, rgb)


def test_save_adds_png_when_there_is_no_extension(tmp_path):
    out = save_image(noisy_rgb(4, 4), tmp_path / "result")
    assert out.name == "result.png"
    with Image.open(out) as reread:
        assert reread.format == "PNG"


def test_save_refuses_a_photo_too_wide_for_webp_before_encoding(tmp_path):
    with pytest.raises(ColorizeError, match="16400x1 is larger than WebP allows"):
        save_image(np.zeros((1, 16400, 3), np.uint8), tmp_path / "wide.webp")
    assert not list(tmp_path.iterdir())


def test_save_jpeg_drops_alpha_and_webp_keeps_it(tmp_path):
    rgb = np.full((8, 8, 3), 120, np.uint8)
    alpha = np.full((8, 8), 255, np.uint8)
    alpha[0, 0] = 0
    jpeg = save_image(rgb, tmp_path / "out.JPG", alpha=alpha)
    webp = save_image(rgb, tmp_path / "out.webp", alpha=alpha)
    with Image.open(jpeg) as reread:
        assert (reread.format, reread.mode) == ("JPEG", "RGB")
    assert np.abs(load_image(jpeg).rgb.astype(int) - 120).max() <= 2
    assert load_image(webp).alpha is not None


def test_dpi_is_read_and_saved_back(tmp_path):
    scan = saved(Image.new("L", (8, 6)), tmp_path / "scan.jpg", dpi=(600, 600))
    loaded = load_image(scan)
    assert loaded.dpi == (600, 600)
    assert load_image(np.zeros((6, 8), np.uint8)).dpi is None
    assert load_image(saved(Image.new("L", (8, 6)), tmp_path / "no_dpi.tif")).dpi is None
    for name in ("out.png", "out.jpg", "out.tif"):
        with Image.open(save_image(loaded.rgb, tmp_path / name, dpi=loaded.dpi)) as image:
            assert np.allclose(image.info["dpi"], (600, 600), atol=0.01)


def _described_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: a viewer turns it upright
    exif[0x010E], exif[0x8298] = "Grandma at the lake, 1952", "(c) the family"
    exif.get_ifd(ExifTags.IFD.Exif)[0x9003] = "1952:07:04 10:00:00"  # DateTimeOriginal
    return exif


def test_exif_caption_date_and_copyright_are_kept_orientation_is_not(tmp_path):
    scan = saved(Image.new("L", (8, 6)), tmp_path / "scan.jpg", exif=_described_exif())
    loaded = load_image(scan)
    assert loaded.rgb.shape[:2] == (8, 6)  # turned upright by its orientation
    for name in ("out.png", "out.jpg", "out.webp", "out.tif"):
        with Image.open(save_image(loaded.rgb, tmp_path / name, exif=loaded.exif)) as image:
            exif = image.getexif()
            assert exif[0x010E] == "Grandma at the lake, 1952" and exif[0x8298] == "(c) the family"
            if image.format != "TIFF":  # libtiff writes no sub-IFDs
                assert exif.get_ifd(ExifTags.IFD.Exif)[0x9003] == "1952:07:04 10:00:00"
            assert exif[0x0131].startswith("hfcolor ")  # Software
            assert 0x0112 not in exif and image.size == (6, 8)  # upright, and not turned again
    assert load_image(saved(Image.new("L", (8, 6)), tmp_path / "plain.png")).exif is None


def test_tiff_layout_tags_are_not_taken_for_exif(tmp_path):
    tiff = saved(Image.new("L", (8, 6)), tmp_path / "scan.tif", dpi=(300, 300))
    assert load_image(tiff).exif is None  # width, strips, compression: the file's, not the photo's


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow says so as it reads it
def test_damaged_exif_costs_the_metadata_not_the_photo(tmp_path):
    broken = saved(Image.new("L", (8, 6)), tmp_path / "broken.jpg", exif=b"Exif\x00\x00MM\x00*junk")
    loaded = load_image(broken)
    assert loaded.rgb.shape == (6, 8, 3) and loaded.exif is None


def test_save_overwrites_atomically_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    save_image(noisy_rgb(4, 4), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(("error", "advice"), [
    (OSError(errno.EACCES, "Permission denied"), "check that the folder is writable"),
    (OSError(errno.ENOSPC, "No space left on device"), "free some space on its disk"),
])
def test_failed_save_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch, error, advice):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")

    def broken_save(*args, **kwargs):
        raise error

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(ColorizeError, match=f"{error.strerror}.*{advice}"):
        save_image(noisy_rgb(4, 4), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize(
    ("rgb", "alpha", "name", "pattern"),
    [
        pytest.param(np.zeros((4, 4, 3), np.float32), None, "o.png", "uint16 .H, W, 3.", id="f32"),
        pytest.param(np.zeros((4, 4), np.uint8), None, "o.png", "uint16 .H, W, 3.", id="grey"),
        pytest.param(np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2), np.uint8), "o.png",
                     "alpha as uint8", id="alpha-shape"),
        pytest.param(np.zeros((4, 4, 3), np.uint16), np.zeros((4, 4), np.uint8), "o.png",
                     "alpha as uint16", id="alpha-dtype"),
        pytest.param(np.zeros((4, 4, 3), np.uint8), None, "o.gif", "use .png", id="extension"),
    ],
)  # fmt: skip
def test_save_refuses_bad_input(tmp_path, rgb, alpha, name, pattern):
    with pytest.raises(ColorizeError, match=pattern):
        save_image(rgb, tmp_path / name, alpha=alpha)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- is_grey


def test_is_grey():
    grey = np.repeat(np.arange(64, dtype=np.uint8).reshape(8, 8, 1), 3, axis=2)
    assert is_grey(grey)
    assert is_grey(grey[..., 0])

    noisy = grey.copy()
    noisy[..., 0] += 3  # JPEG-sized chroma noise
    assert is_grey(noisy)
    assert not is_grey(noisy, tol=2)

    coloured = noisy_rgb(8, 8)
    assert not is_grey(coloured)

    stamp = np.repeat(np.full((100, 100, 1), 90, np.uint8), 3, axis=2)
    stamp[0, :50] = (255, 0, 0)  # 0.5% of the pixels
    assert is_grey(stamp)
    assert not is_grey(stamp, outlier_fraction=0.0)


def test_is_grey_on_a_grey_photo_saved_as_colour_jpeg(tmp_path):
    grey = np.random.default_rng(1).integers(0, 256, (32, 32), dtype=np.uint8)
    path = saved(Image.fromarray(grey).convert("RGB"), tmp_path / "grey.jpg", quality=75)
    assert is_grey(load_image(path).rgb)


def test_is_grey_refuses_non_uint8():
    with pytest.raises(ColorizeError, match="uint8"):
        is_grey(np.zeros((4, 4, 3), np.float32))


def test_outputs_say_hfcolor_made_them_and_originals_do_not(tmp_path):
    from hfcolor.io import made_by_hfcolor, output_exif

    rgb = noisy_rgb(8, 8)
    assert not made_by_hfcolor(saved(Image.fromarray(rgb), tmp_path / "original.png"))
    for name in ("out.png", "out.jpg", "out.webp", "out.tif"):
        assert made_by_hfcolor(save_image(rgb, tmp_path / name, exif=output_exif(None))), name
    assert made_by_hfcolor(save_image(rgb.astype(np.uint16) * 257, tmp_path / "deep.tif"))
    assert not made_by_hfcolor(tmp_path / "missing.png")
