"""The `hfcolor` command line, called the way users call it (tiny model, small photos)."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hfcolor import ColorizeError
from hfcolor.cli import DECODE_CHOICES, MAX_PIXELS, main, parse_hint, plan_jobs

COMMANDS = ["colorize", "info", "evaluate", "prior"]


@pytest.fixture
def photo_tree(tmp_path, color_photos) -> Path:
    """photos/a.png, photos/sub/b.jpg, photos/sub/deeper/c.png."""
    root = tmp_path / "photos"
    for relative, rgb in zip(["a.png", "sub/b.jpg", "sub/deeper/c.png"], color_photos,
                             strict=False):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(path)
    return root


def colorize_args(inputs, out, model_dir, *extra) -> list[str]:
    return ["colorize", *map(str, inputs), "-o", str(out), "--model", str(model_dir),
            "--render-size", "64", "-q", *extra]


def run_module(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "hfcolor", *args], capture_output=True,
                          text=True, env=env, timeout=120)


# --------------------------------------------------------------------------- help and start-up


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_for_every_command_shows_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"] if command else ["--help"])
    assert exit_info.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli_without_importing_torch_for_help():
    result = run_module("--help")
    assert result.returncode == 0 and "colorize" in result.stdout
    check = ("import sys, hfcolor.cli as c; c.build_parser().format_help(); "
             "assert 'torch' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", check], timeout=60).returncode == 0


def test_decode_choices_and_pixel_limit_match_the_pipeline():
    from hfcolor.io import MAX_PIXELS as io_max_pixels
    from hfcolor.pipeline import DECODERS

    assert DECODE_CHOICES == DECODERS and MAX_PIXELS == io_max_pixels


# --------------------------------------------------------------------------- colorize


def test_colorize_keeps_the_folder_tree_and_photo_sizes(photo_tree, tmp_path, tiny_model_dir,
                                                        color_photos):
    single = tmp_path / "single.png"
    Image.fromarray(color_photos[3]).save(single)
    out = tmp_path / "out"
    assert main(colorize_args([photo_tree, single], out, tiny_model_dir)) == 0
    expected = {"a.png": 0, "sub/b.png": 1, "sub/deeper/c.png": 2, "single.png": 3}
    written = sorted(path.relative_to(out).as_posix() for path in out.rglob("*.png"))
    assert written == sorted(expected)
    for relative, index in expected.items():
        with Image.open(out / relative) as image:
            assert image.mode == "RGB"
            assert image.size == color_photos[index].shape[1::-1]


def test_colorize_skips_existing_outputs_unless_overwrite(photo_tree, tmp_path, tiny_model_dir,
                                                          capsys):
    out = tmp_path / "out"
    assert main(colorize_args([photo_tree], out, tiny_model_dir)) == 0
    result = out / "a.png"
    os.utime(result, (0, 0))
    assert main(colorize_args([photo_tree], out, tiny_model_dir)) == 0
    assert result.stat().st_mtime == 0
    assert "skipped 3 already done" in capsys.readouterr().err
    assert main(colorize_args([photo_tree], out, tiny_model_dir, "--overwrite")) == 0
    assert result.stat().st_mtime > 0


@pytest.mark.parametrize("extra", [[], ["--overwrite"], ["--num-samples", "2", "--seed", "1"]])
def test_a_file_hfcolor_did_not_write_is_neither_done_nor_overwritten(
        photo_tree, tmp_path, tiny_model_dir, extra):
    out = tmp_path / "out"
    out.mkdir()
    names = ["a_s1.png"] if "--num-samples" in extra else ["a.png"]
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(out / names[0])  # someone's original
    (out / "sub").mkdir()
    (out / "sub" / "b.png").mkdir()  # a folder where a result would go
    before = (out / names[0]).read_bytes()
    assert main(colorize_args([photo_tree], out, tiny_model_dir, *extra)) == 0
    assert (out / names[0]).read_bytes() == before
    assert (out / names[0].replace("a", "a_colorized")).is_file()
    samples = "--num-samples" in extra  # then b_s1.png, b_s2.png: the folder is no clash
    assert (out / "sub" / ("b_s1.png" if samples else "b_colorized.png")).is_file()


def test_a_photo_a_format_cannot_hold_fails_alone(tmp_path, tiny_model_dir, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    exif = Image.Exif()
    exif[0x010E] = "a long caption " * 5000  # 75 KB: more than a JPEG segment holds
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(folder / "a.png", exif=exif)
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(folder / "b.png")
    assert main(colorize_args([folder], tmp_path / "out", tiny_model_dir, "--format",
                              "jpg")) == 1
    err = capsys.readouterr().err
    assert "more than JPEG can hold" in err and "Traceback" not in err
    assert (tmp_path / "out" / "b.jpg").is_file()


def test_a_broken_link_is_named_by_the_link(tmp_path, tiny_model_dir, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(folder / "fine.png")
    assert main(colorize_args([folder], tmp_path / "out", tiny_model_dir)) == 1
    assert "gone.jpg is a broken link" in capsys.readouterr().err


def test_failures_are_listed_and_exit_1_while_other_photos_are_done(photo_tree, tmp_path,
                                                                    tiny_model_dir, capsys):
    (photo_tree / "sub" / "notes.jpg").write_text("this is not a photo")
    out = tmp_path / "out"
    assert main(colorize_args([photo_tree], out, tiny_model_dir)) == 1
    err = capsys.readouterr().err
    assert "1 failed" in err and "notes.jpg" in err and "not an image" in err
    assert "Traceback" not in err
    assert (out / "a.png").exists() and (out / "sub" / "deeper" / "c.png").exists()
    assert not (out / "sub" / "notes.png").exists()


def test_unknown_model_exits_2_with_one_line(photo_tree, tmp_path, capsys):
    args = ["colorize", str(photo_tree), "-o", str(tmp_path / "out"), "--model", "no-such-model"]
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hfcolor: error:")
    assert "no-such-model" in lines[0]


def test_missing_input_exits_2(tmp_path, capsys):
    assert main(["colorize", str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_output_that_is_a_file_exits_2_before_any_work(photo_tree, tmp_path, capsys):
    (tmp_path / "out").write_text("a file")
    assert main(["colorize", str(photo_tree), "-o", str(tmp_path / "out")]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err


def test_an_output_folder_that_cannot_be_made_exits_2_before_any_work(photo_tree, tmp_path,
                                                                      capsys):
    (tmp_path / "a-file").write_text("not a folder")
    assert main(["colorize", str(photo_tree), "-o", str(tmp_path / "a-file" / "out")]) == 2
    assert "Cannot create -o" in capsys.readouterr().err


def test_bad_seed_exits_2_with_one_line(photo_tree, tmp_path, tiny_model_dir, capsys):
    args = colorize_args([photo_tree], tmp_path / "out", tiny_model_dir, "--seed", str(2**70))
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "seed" in lines[0] and "outside" in lines[0]


@pytest.mark.parametrize("extra, message", [
    (["--render-size", "0"], "--render-size 0 is outside 32..2048"),
    (["--num-samples", "0"], "--num-samples 0 is outside 1..16"),
    (["--saturation", "nan"], "--saturation nan is outside 0..2"),
    (["--temperature", "-1"], "--temperature -1.0 is outside 0.01..2"),
    (["--seed", "-1"], "--seed -1 is outside 0.."),
])
def test_a_bad_setting_is_named_as_its_option(photo_tree, tmp_path, tiny_model_dir, capsys,
                                             extra, message):
    assert main(colorize_args([photo_tree], tmp_path / "out", tiny_model_dir, *extra)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hfcolor: error: {message}")


@pytest.mark.parametrize("extra, message", [
    (["--seeds", "-1"], "--seeds -1 is outside 0.."),
    (["--render-size", "4096"], "--render-size 4096 is outside 32..2048"),
    (["--limit", "0"], "--limit 0: give at least 1"),
])
def test_evaluate_names_a_bad_setting_as_its_option(photo_dir, tmp_path, tiny_model_dir,
                                                   capsys, extra, message):
    args = ["evaluate", str(tiny_model_dir), str(photo_dir), "--out", str(tmp_path / "e"), "-q"]
    assert main([*args, *extra]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hfcolor: error: {message}")


def test_an_empty_input_exits_2_and_does_not_colorize_the_current_folder(
        photo_dir, tmp_path, tiny_model_dir, monkeypatch, capsys):
    monkeypatch.chdir(photo_dir)
    assert main(colorize_args([""], tmp_path / "out", tiny_model_dir)) == 2
    assert "IN '' is empty" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_symlink_loop_in_a_folder_fails_alone(photo_dir, tmp_path, tiny_model_dir, capsys):
    (photo_dir / "loop.jpg").symlink_to(photo_dir / "loop.jpg")
    out = tmp_path / "out"
    assert main(colorize_args([photo_dir], out, tiny_model_dir)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "1 failed" in err and "loop.jpg" in err
    assert len(list(out.glob("photo*.png"))) == 4


def test_an_output_folder_that_is_a_symlink_loop_exits_2(photo_dir, tmp_path, tiny_model_dir,
                                                        capsys):
    out = tmp_path / "out"
    out.symlink_to(out)
    assert main(colorize_args([photo_dir], out, tiny_model_dir)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hfcolor: error: Cannot create -o")


def test_a_broken_link_or_loop_at_an_output_name_is_kept(photo_dir, tmp_path,
                                                         tiny_model_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo0.png").symlink_to(out / "photo0.png")
    (out / "photo1.png").symlink_to(tmp_path / "unmounted" / "photo1.png")
    photos = [photo_dir / "photo0.png", photo_dir / "photo1.png"]
    assert main(colorize_args(photos, out, tiny_model_dir)) == 0
    assert (out / "photo0.png").is_symlink() and (out / "photo1.png").is_symlink()
    assert (out / "photo0_colorized.png").is_file() and (out / "photo1_colorized.png").is_file()


@pytest.mark.parametrize("given, suffix", [("JPG", ".jpg"), ("jpeg", ".jpg"), ("tiff", ".tif"),
                                           ("PNG", ".png")])
def test_format_takes_capitals_and_the_long_names(photo_dir, tmp_path, tiny_model_dir, given,
                                                  suffix):
    out = tmp_path / "out"
    assert main(colorize_args([photo_dir / "photo0.png"], out, tiny_model_dir, "--format",
                              given)) == 0
    assert (out / f"photo0{suffix}").is_file()


def test_ctrl_c_says_that_a_rerun_continues(photo_dir, tmp_path, tiny_model_dir, monkeypatch,
                                            capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("hfcolor.cli.colorize_jobs", interrupted)
    assert main(colorize_args([photo_dir], tmp_path / "out", tiny_model_dir)) == 130
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hfcolor: interrupted;")
    assert "run the same command again" in lines[0]


def test_photo_named_inside_the_output_folder_is_colorized_beside_itself(
        tmp_path, tiny_model_dir, color_photos):
    original = tmp_path / "a.png"
    Image.fromarray(color_photos[0]).save(original)
    before = original.read_bytes()
    for _ in range(2):  # the second run finds a_colorized.png done and leaves a.png alone
        assert main(colorize_args([original], tmp_path, tiny_model_dir, "--overwrite")) == 0
    assert original.read_bytes() == before and (tmp_path / "a_colorized.png").is_file()


def test_max_pixels_option(photo_tree, tmp_path, tiny_model_dir, capsys):
    photo = photo_tree / "a.png"  # 64x64
    assert main(colorize_args([photo], tmp_path / "out", tiny_model_dir,
                              "--max-pixels", "1000")) == 1
    assert "--max-pixels 4096 on the command line" in capsys.readouterr().err
    assert main(colorize_args([photo], tmp_path / "out", tiny_model_dir,
                              "--max-pixels", "0")) == 0


def test_num_samples_writes_one_file_per_sample(photo_tree, tmp_path, tiny_model_dir):
    out = tmp_path / "out"
    photo = photo_tree / "a.png"
    assert main(colorize_args([photo], out, tiny_model_dir, "--num-samples", "2",
                              "--seed", "1")) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a_s1.png", "a_s2.png"]
    first, second = (np.asarray(Image.open(out / name)) for name in ("a_s1.png", "a_s2.png"))
    assert not np.array_equal(first, second)


def test_format_alpha_and_hints_on_a_wide_photo(tmp_path, tiny_model_dir, color_photo_factory):
    rgba = np.dstack([color_photo_factory(40, 100, seed=5), np.full((40, 100), 90, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "wide.png")
    out = tmp_path / "out"
    assert main(colorize_args([tmp_path / "wide.png"], out, tiny_model_dir, "--format", "webp",
                              "--hint", "90,10,#ff0000")) == 0
    with Image.open(out / "wide.webp") as image:
        assert image.mode == "RGBA" and image.size == (100, 40)


def test_outputs_keep_the_scan_resolution(tmp_path, tiny_model_dir, color_photos):
    Image.fromarray(color_photos[0]).save(tmp_path / "scan.jpg", dpi=(600, 600))
    out = tmp_path / "out"
    assert main(colorize_args([tmp_path / "scan.jpg"], out, tiny_model_dir)) == 0
    with Image.open(out / "scan.png") as image:
        assert np.allclose(image.info["dpi"], (600, 600), atol=0.01)


def test_outputs_keep_the_caption_and_copyright(tmp_path, tiny_model_dir, color_photos):
    exif = Image.Exif()
    exif[0x010E], exif[0x8298] = "Grandma at the lake, 1952", "(c) the family"
    Image.fromarray(color_photos[0]).save(tmp_path / "scan.jpg", exif=exif)
    out = tmp_path / "out"
    assert main(colorize_args([tmp_path / "scan.jpg"], out, tiny_model_dir, "--num-samples",
                              "2", "--seed", "3")) == 0
    outputs = sorted(out.iterdir())
    assert len(outputs) == 2
    for output in outputs:
        with Image.open(output) as image:
            assert image.getexif()[0x010E] == "Grandma at the lake, 1952", output.name
            assert image.getexif()[0x8298] == "(c) the family"


def test_a_sixteen_bit_scan_comes_out_sixteen_bit(tmp_path, tiny_model_dir):
    import tifffile

    grey = (np.arange(48 * 64).reshape(48, 64) * 20).astype(np.uint16)
    Image.fromarray(grey).save(tmp_path / "scan16.png", dpi=(1200, 1200))
    tifffile.imwrite(tmp_path / "scan48.tif", np.dstack([grey] * 3), photometric="rgb")
    out = tmp_path / "out"
    assert main(colorize_args([tmp_path / "scan16.png"], out, tiny_model_dir)) == 0
    assert main(colorize_args([tmp_path / "scan48.tif"], out, tiny_model_dir, "--format",
                              "tif")) == 0
    header = (out / "scan16.png").read_bytes()[:26]
    assert header[24] == 16 and header[25] == 2  # IHDR: 16 bits per channel, RGB
    with tifffile.TiffFile(out / "scan48.tif") as tiff:
        assert tiff.pages[0].dtype == np.uint16 and tiff.pages[0].shape == (48, 64, 3)
    with Image.open(out / "scan16.png") as image:
        assert np.allclose(image.info["dpi"], (1200, 1200), atol=0.01)


def test_saturation_zero_writes_grey_photos(photo_tree, tmp_path, tiny_model_dir):
    out = tmp_path / "out"
    assert main(colorize_args([photo_tree / "a.png"], out, tiny_model_dir,
                              "--saturation", "0")) == 0
    rgb = np.asarray(Image.open(out / "a.png").convert("RGB")).astype(int)
    assert (rgb.max(axis=2) - rgb.min(axis=2)).max() <= 1  # a.png is a colour photo: rounding


def test_settings_the_model_cannot_honour_exit_2(photo_tree, tmp_path, tiny_classifier_dir,
                                                 capsys):
    args = colorize_args([photo_tree], tmp_path / "out", tiny_classifier_dir,
                         "--decode", "regression")
    assert main(args) == 2
    assert "classifier" in capsys.readouterr().err


def test_model_and_settings_are_checked_even_when_every_photo_is_done(
        photo_tree, tmp_path, tiny_model_dir, tiny_classifier_dir, capsys):
    out = tmp_path / "out"
    assert main(colorize_args([photo_tree], out, tiny_model_dir)) == 0
    assert main(colorize_args([photo_tree], out, tiny_classifier_dir, "--decode",
                              "regression")) == 2
    assert "classifier" in capsys.readouterr().err
    assert main(["colorize", str(photo_tree), "-o", str(out), "--model", "no-such-model"]) == 2


def test_a_hint_may_start_with_a_minus_sign(tmp_path, photo_dir, tiny_model_dir, capsys):
    """argparse would take `-5,2,...` for an option; the hint's own check answers instead."""
    for option in ("--hint", "--hin"):  # argparse takes abbreviations of options
        args = colorize_args([photo_dir / "photo0.png"], tmp_path / "out", tiny_model_dir,
                             option, "-5,2,#ff0000")
        with pytest.raises(SystemExit):
            main(args)
        err = capsys.readouterr().err
        assert "expected one argument" not in err and "'-5' is not a pixel coordinate" in err
    with pytest.raises(SystemExit):  # `--hint --` is a missing value, as argparse says
        main(colorize_args([photo_dir / "photo0.png"], tmp_path / "out", tiny_model_dir,
                           "--hint", "--"))
    assert "--hint: expected one argument" in capsys.readouterr().err
    assert main(args[:-2] + ["--hint=--"]) == 2
    assert "--hint needs X,Y,COLOR" in capsys.readouterr().err


def test_jpeg_output_says_once_that_transparency_is_lost(tmp_path, tiny_model_dir,
                                                         color_photo_factory, capsys):
    for index in range(2):
        rgba = np.dstack([color_photo_factory(40, 60, seed=index), np.full((40, 60), 90,
                                                                           np.uint8)])
        Image.fromarray(rgba, "RGBA").save(tmp_path / f"clear{index}.png")
    out = tmp_path / "out"
    args = colorize_args([tmp_path / "clear0.png", tmp_path / "clear1.png"], out,
                         tiny_model_dir, "--format", "jpg")
    assert main(args) == 0
    err = capsys.readouterr().err
    assert err.count("keep no transparency") == 1 and "--format png" in err
    assert (out / "clear1.jpg").exists()


def test_parse_hint():
    hint = parse_hint("12,5.5,#ff8000")
    assert (hint.x, hint.y, hint.color) == (12.0, 5.5, (255, 128, 0))
    assert parse_hint("1,2,rgb(1, 2, 3)").color == (1, 2, 3)
    for bad in ["12,#ff0000", "a,b,#ff0000", "1,2,blue", "1e2,3,#fff", "-5,3,#fff", "nan,3,#fff"]:
        with pytest.raises(argparse.ArgumentTypeError):
            parse_hint(bad)


def test_plan_jobs_names_clashes_and_ignores_its_own_output(tmp_path, color_photos):
    folder = tmp_path / "photos"
    (folder / "colour").mkdir(parents=True)
    for name in ["x.jpg", "x.png", "colour/old.png"]:
        Image.fromarray(color_photos[0]).save(folder / name)
    jobs, _ = plan_jobs([folder], folder / "colour", "png", num_samples=1)
    assert [job.source.name for job in jobs] == ["x.jpg", "x.png"]
    assert [job.outputs[0].name for job in jobs] == ["x.png", "x_png.png"]


def test_a_photo_named_like_a_folder_beside_it_does_not_take_that_folders_name(
        tmp_path, tiny_model_dir):
    album = tmp_path / "album"
    (album / "a.png").mkdir(parents=True)
    for name in ["a.jpg", "a.png/b.jpg"]:
        Image.new("L", (40, 30), 90).save(album / name)
    assert main(colorize_args([album], tmp_path / "out", tiny_model_dir)) == 0
    assert (tmp_path / "out" / "a_jpg.png").is_file()
    assert (tmp_path / "out" / "a.png" / "b.png").is_file()


def test_results_of_an_earlier_run_elsewhere_are_left_out_of_a_folder(tmp_path,
                                                                      tiny_model_dir, capsys):
    scans = tmp_path / "scans"
    scans.mkdir()
    Image.new("L", (48, 32), 100).save(scans / "plain.png")  # no EXIF of its own
    assert main(colorize_args([scans], scans / "colour", tiny_model_dir)) == 0
    assert main(colorize_args([scans], tmp_path / "again", tiny_model_dir)) == 0
    assert "left out 1 that hfcolor colorized before" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "again").rglob("*.png")] == ["plain.png"]
    assert main(colorize_args([scans / "colour"], tmp_path / "third", tiny_model_dir)) == 2
    assert "but 1 photo(s) hfcolor colorized; name one directly" in capsys.readouterr().err
    assert main(colorize_args([scans / "colour" / "plain.png"], tmp_path / "third",
                              tiny_model_dir)) == 0  # named directly: colorized again


def test_plan_jobs_refuses_the_searched_folder_as_output_and_allows_its_parent(tmp_path,
                                                                          color_photos):
    folder = tmp_path / "project" / "scans"
    folder.mkdir(parents=True)
    Image.fromarray(color_photos[0]).save(folder / "a.jpg")
    with pytest.raises(ColorizeError, match="is the folder being colorized.*separate output"):
        plan_jobs([folder], folder, "png", num_samples=1)
    jobs, _ = plan_jobs([folder], tmp_path / "project", "png", num_samples=1)
    assert [job.outputs[0] for job in jobs] == [tmp_path / "project" / "a.png"]


# --------------------------------------------------------------------------- info, prior


def test_info_prints_the_config_and_facts(tiny_model_dir, capsys):
    assert main(["info", str(tiny_model_dir)]) == 0
    out = capsys.readouterr().out
    for text in ["UNetColorizer", "parameters:", "size on disk:", "regression + classifier",
                 "stride:", "hints:        yes", '"backbone": "test_efficientnet"']:
        assert text in out


def test_info_of_a_registry_architecture(capsys):
    assert main(["info", "eccv16-tiny"]) == 0
    out = capsys.readouterr().out
    assert "ECCV16Colorizer" in out and "not saved" in out and "hints:        no" in out


@pytest.mark.parametrize("extra, message", [
    (["--size", "0"], "--size 0 is outside 8..1024"),
    (["--max-images", "-1"], "--max-images -1: give at least 1"),
])
def test_prior_refuses_bad_options(photo_dir, tmp_path, capsys, extra, message):
    assert main(["prior", str(photo_dir), "--out", str(tmp_path / "m"), *extra]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hfcolor: error: {message}")


def test_prior_refuses_an_out_it_cannot_make_before_reading_photos(photo_dir, tmp_path,
                                                                   capsys):
    (tmp_path / "file").write_text("")
    assert main(["prior", str(photo_dir), "--out", str(tmp_path / "file" / "m")]) == 2
    assert "Cannot create --out" in capsys.readouterr().err


def test_prior_writes_the_prior_file(photo_dir, tmp_path, capsys):
    model_dir = tmp_path / "model"
    assert main(["prior", str(photo_dir), "--out", str(model_dir), "--size", "16"]) == 0
    assert (model_dir / "prior.safetensors").is_file()
