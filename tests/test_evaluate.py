"""The evaluation harness: its three rows, its files, and a grey row that matches the metrics."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage.color import rgb2lab

from hfcolor import evaluate as harness
from hfcolor import metrics
from hfcolor.cli import main
from hfcolor.errors import ColorizeError
from hfcolor.evaluate import evaluate, grey_version, results_markdown

FAST = {"render_size": 64, "progress": False}


@pytest.fixture(scope="module")
def results(tiny_model, tmp_path_factory, color_photos):
    folder = tmp_path_factory.mktemp("eval-photos")
    for index, rgb in enumerate(color_photos):
        Image.fromarray(rgb).save(folder / f"photo{index}.png")
    out = tmp_path_factory.mktemp("eval-out")
    return evaluate(tiny_model, folder, out=out, **FAST)


def test_three_rows_grey_model_originals(results):
    assert [row["name"] for row in results["rows"]] == ["grey baseline", "model", "originals"]
    assert results["photos"] == 4 and results["samples_per_photo"] == 1
    grey, model, originals = results["rows"]
    assert math.isinf(originals["psnr"]) and originals["ciede2000"] == 0.0
    assert grey["colorfulness"] == 0.0
    assert grey["colorfulness_gap"] == pytest.approx(originals["colorfulness"])
    assert model["colorfulness_gap"] == pytest.approx(
        abs(model["colorfulness"] - originals["colorfulness"]))


def test_grey_row_equals_the_metrics_computed_directly(results, color_photos):
    direct = metrics.mean_metrics(metrics.image_metrics(grey_version(rgb), rgb)
                                  for rgb in color_photos)
    grey_row = results["rows"][0]
    for key, value in direct.items():
        if key != "colorfulness_original":
            assert grey_row[key] == pytest.approx(value, rel=1e-9), key
    assert results["rows"][2]["colorfulness"] == pytest.approx(direct["colorfulness_original"])


def test_grey_version_keeps_lightness_and_is_truly_grey(color_photos):
    rgb = color_photos[1]
    grey = grey_version(rgb)
    assert grey.dtype == np.uint8 and grey.shape == rgb.shape
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    lightness_change = np.abs(rgb2lab(grey / 255.0)[..., 0] - rgb2lab(rgb / 255.0)[..., 0])
    assert lightness_change.mean() < 0.3


def test_writes_json_markdown_and_contact_sheet(results):
    out = Path(results["out"])
    saved = json.loads((out / "results.json").read_text())
    assert saved["rows"][2]["psnr"] is None  # infinity is not JSON
    assert [photo["file"] for photo in saved["per_photo"]] == [f"photo{i}.png" for i in range(4)]
    markdown = (out / "results.md").read_text()
    assert "| grey baseline |" in markdown and "| originals | ∞ |" in markdown
    assert "CIEDE2000" in markdown and markdown.strip() == results_markdown(results)
    with Image.open(out / "contact_sheet.jpg") as sheet:
        assert sheet.height >= 4 * harness.THUMB_HEIGHT and sheet.width >= 3 * 48


def test_several_samples_report_mean_best_and_diversity(tiny_model, photo_dir, tmp_path):
    results = evaluate(tiny_model, photo_dir, seeds=[0, 1], num_samples=2, limit=2,
                       out=tmp_path, **FAST)
    assert results["photos"] == 2 and results["samples_per_photo"] == 4
    names = [row["name"] for row in results["rows"]]
    assert names == ["grey baseline", "model (mean of 4 samples)",
                     "model (best of 4 by CIEDE2000)", "originals"]
    mean, best = results["rows"][1:3]
    assert best["ciede2000"] <= mean["ciede2000"]
    assert mean["diversity"] > 0 and "diversity" in results_markdown(results)


def test_fid_uses_folders_of_equal_size_images(tiny_model, photo_dir, tmp_path, monkeypatch):
    seen = []

    def fake_stats(folder):
        sizes = {Image.open(path).size for path in folder.iterdir()}
        seen.append((folder.name, len(list(folder.iterdir())), sizes))
        return folder.name

    monkeypatch.setattr(metrics, "fid_stats", fake_stats)
    monkeypatch.setattr(metrics, "fid_from_stats", lambda a, b: 1.5)
    results = evaluate(tiny_model, photo_dir, fid=True, out=tmp_path, **FAST)
    size = (harness.FID_SIZE, harness.FID_SIZE)
    assert seen == [("originals", 4, {size}), ("grey", 4, {size}), ("model", 4, {size})]
    assert [row["fid"] for row in results["rows"]] == [1.5, 1.5, 0.0]


def test_unreadable_photos_are_skipped_and_recorded(tiny_model, photo_dir, tmp_path):
    (photo_dir / "broken.png").write_bytes(b"not a png")
    results = evaluate(tiny_model, photo_dir, out=tmp_path, **FAST)
    assert results["photos"] == 4
    assert [item["file"] for item in results["skipped"]] == ["broken.png"]


def test_photos_too_small_to_score_are_skipped(tiny_model, photo_dir, tmp_path):
    Image.fromarray(np.full((5, 5, 3), (200, 40, 40), np.uint8)).save(photo_dir / "dot.png")
    results = evaluate(tiny_model, photo_dir, out=tmp_path, **FAST)
    assert results["photos"] == 4 and "too small to score" in results["skipped"][0]["reason"]


def test_black_and_white_originals_are_skipped_not_scored_infinite(tiny_model, photo_dir,
                                                                   tmp_path):
    Image.new("L", (64, 64), 90).save(photo_dir / "grey.png")
    results = evaluate(tiny_model, photo_dir, out=tmp_path, **FAST)
    assert results["photos"] == 4 and "no colour to score" in results["skipped"][0]["reason"]
    assert all(row["psnr"] is not None and row["psnr"] < 99 for row in results["rows"][:2])


def test_bad_limit_and_out_are_user_errors(tiny_model, photo_dir, tmp_path):
    with pytest.raises(ColorizeError, match="limit 0: give at least 1"):
        evaluate(tiny_model, photo_dir, out=tmp_path, limit=0, **FAST)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ColorizeError, match="is a file"):
        evaluate(tiny_model, photo_dir, out=tmp_path / "afile", **FAST)
    with pytest.raises(ColorizeError, match="Cannot create out"):
        evaluate(tiny_model, photo_dir, out=tmp_path / "afile" / "below", **FAST)
    for seeds, message in [([-5], "seed -5 is outside"), ([2, 2], r"seeds \[2, 2\] repeat")]:
        with pytest.raises(ColorizeError, match=message):
            evaluate(tiny_model, photo_dir, out=tmp_path / "r", seeds=seeds, **FAST)
    with pytest.raises(ColorizeError, match="FID needs at least 2 photos"):
        evaluate(tiny_model, photo_dir, out=tmp_path / "r", limit=1, fid=True, **FAST)


def test_cli_evaluate_with_limit_and_default_out(tiny_model_dir, photo_dir, tmp_path,
                                                 monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["evaluate", str(tiny_model_dir), str(photo_dir), "--limit", "2", "--render-size",
            "64", "-q"]
    assert main(args) == 0
    assert "| grey baseline |" in capsys.readouterr().out
    out = tmp_path / "eval" / f"{tiny_model_dir.name}-photos"
    assert json.loads((out / "results.json").read_text())["photos"] == 2
    assert (out / "contact_sheet.jpg").is_file()


def test_empty_folder_is_a_user_error(tiny_model, tmp_path):
    with pytest.raises(ColorizeError, match="No photos"):
        evaluate(tiny_model, tmp_path, out=tmp_path / "out", **FAST)


def test_an_out_inside_the_data_folder_does_not_score_its_own_contact_sheet(tiny_model,
                                                                             photo_dir):
    first = evaluate(tiny_model, photo_dir, render_size=32, out=photo_dir / "results",
                     progress=False)
    again = evaluate(tiny_model, photo_dir, render_size=32, out=photo_dir / "results",
                     progress=False)
    assert (photo_dir / "results" / "contact_sheet.jpg").is_file()
    assert again["photos"] == first["photos"]


def test_an_earlier_runs_contact_sheet_beside_its_results_is_not_scored(
        tiny_model, photo_dir, tmp_path, color_photo_factory):
    evaluate(tiny_model, photo_dir, out=photo_dir / "earlier", limit=1, **FAST)
    Image.fromarray(color_photo_factory(40, 40, seed=9)).save(photo_dir / "contact_sheet.jpg")
    results = evaluate(tiny_model, photo_dir, out=tmp_path / "now", **FAST)
    assert [photo["file"] for photo in results["per_photo"]] == [
        "contact_sheet.jpg", *(f"photo{i}.png" for i in range(4))]  # a user's photo is scored


def test_a_runs_checkpoint_and_ema_folders_are_named_with_their_run():
    assert harness.model_label("runs/default/ema") == "default-ema"
    assert harness.model_label("runs/gan/checkpoint/") == "gan-checkpoint"
    assert harness.model_label("models/hfcolor-unet-lite0") == "hfcolor-unet-lite0"
    assert harness.default_out_dir("runs/l1/ema", Path("val/hires")) == Path("eval/l1-ema-hires")


def test_seeds_of_a_classifier_sample_and_record_the_decode_they_ran(tiny_classifier,
                                                                     photo_dir, tmp_path):
    results = evaluate(tiny_classifier, photo_dir, seeds=[1, 2], limit=1, out=tmp_path / "a",
                       **FAST)
    saved = json.loads((tmp_path / "a" / "results.json").read_text())["options"]
    assert saved["decode"] == "sample" and results["rows"][1]["diversity"] > 1
    again = evaluate(tiny_classifier, photo_dir, seeds=saved["seeds"], limit=1,
                     decode=saved["decode"], out=tmp_path / "b", **FAST)
    assert again["per_photo"][0]["model"] == results["per_photo"][0]["model"]
    with pytest.raises(ColorizeError, match=r"seeds \[1, 2\]: decode='mode' gives .* every seed"):
        evaluate(tiny_classifier, photo_dir, seeds=[1, 2], decode="mode", out=tmp_path, **FAST)
