"""The benchmark scripts still run against the code they measure (tiny sizes, no timing)."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import bench_hints  # noqa: E402
import bench_train  # noqa: E402
import sweep_chroma_shaping as shaping  # noqa: E402

from hfcolor.color import lab_to_rgb, rgb_to_lab  # noqa: E402


@pytest.mark.parametrize("preset", ["regression", "default"])
def test_bench_train_runs_real_steps(preset):
    assert bench_train.steps_per_second(preset, steps=1, batch=2, crop=32) > 0


def test_chroma_shaping_variants_do_what_their_names_say():
    ab = torch.tensor([[[[10.0, 60.0]], [[0.0, 0.0]]]])  # chroma 10 and 60
    assert torch.equal(shaping.shape_chroma(ab, shaping.parse_variant("scale=1")), ab)
    weak, strong = shaping.shape_chroma(ab, shaping.parse_variant("below=2"))[0, 0, 0]
    assert weak == pytest.approx(10 * 10 / 30) and strong == 60
    inside = rgb_to_lab(torch.tensor([0.2, 0.5, 0.3]).view(1, 3, 1, 1))
    assert torch.allclose(shaping.clipped_lab_to_rgb(inside), lab_to_rgb(inside), atol=1e-5)
    outside = torch.tensor([90.0, -100.0, 100.0]).view(1, 3, 1, 1)  # far outside sRGB
    clipped = rgb_to_lab(shaping.clipped_lab_to_rgb(outside))
    assert abs(clipped[0, 0].item() - 90.0) > 1  # clipping moves lightness; lab_to_rgb does not


def test_bench_hints_scores_hinted_photos(tmp_path):
    from hfcolor.models import create_model

    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg"):
        Image.fromarray((rng.random((40, 60, 3)) * 255).astype(np.uint8)).save(tmp_path / name)
    cases = bench_hints.hinted_cases(tmp_path, limit=5, count=2)
    assert len(cases) == 2 and all(len(hints) == 2 for _, _, hints in cases)
    model = create_model("unet-tiny").eval()
    for use_hints in (False, True):
        assert all(np.isfinite(bench_hints.score(cases, model, use_hints)))
