"""The benchmark scripts still run against the code they measure (tiny sizes, no timing)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import bench_train  # noqa: E402


@pytest.mark.parametrize("preset", ["regression", "default"])
def test_bench_train_runs_real_steps(preset):
    assert bench_train.steps_per_second(preset, steps=1, batch=2, crop=32) > 0
