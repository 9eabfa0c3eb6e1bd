"""`python -m recsim_ng simulate --config=configs/soft_attributes.py`: a population's statistics,
the rating histogram, the kept trajectory, and refused tag settings."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USERS = 20
TINY = (f"--config.num_users={USERS}", "--config.num_docs=10")


def run_cli(run_dir, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recsim_ng", "simulate",
                           "--config=configs/soft_attributes.py", f"--config.run_dir={run_dir}",
                           "--quiet", *overrides], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_simulate_writes_the_statistics_histogram_and_trajectory(tmp_path):
    run_dir = tmp_path / "run"
    result = run_cli(run_dir, *TINY, "--config.save_trajectory=True")
    assert result.returncode == 0, result.stderr
    summary = pd.read_csv(run_dir / "summary.csv").set_index("metric")["value"]
    with np.load(run_dir / "trajectory.npz", allow_pickle=False) as archive:
        num_rated = archive["user_response/num_rated"]
    assert num_rated.shape == (1, USERS)
    assert float(summary["mean_num_ratings"]) == pytest.approx(num_rated.mean())
    assert 1 <= num_rated.min() and num_rated.max() <= 10  # users rate 1 to 10 documents
    histogram = [float(summary[f"rating_histogram/{level}"]) for level in range(1, 6)]
    assert sum(histogram) == pytest.approx(1.0)
    assert all(0 <= float(summary[f"tag_rate/tag {tag}"]) <= 1 for tag in range(5))
    assert summary["trajectory_file"] == str(run_dir / "trajectory.npz")
    assert (run_dir / "plots" / "rating_histogram.png").stat().st_size > 0


@pytest.mark.parametrize("override, message", [
    ("--config.num_tags=8", "config.num_tags must be < config.dimension=8, got 8"),
    ("--config.num_subjective_tag_groups=3", "config.num_subjective_tag_groups=3 groups of"
                                             " config.subjective_tag_group_size=2 tags need 6"),
])
def test_tags_that_do_not_fit_are_refused_before_any_work(tmp_path, override, message):
    result = run_cli(tmp_path / "run", *TINY, override)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "run").exists()
