"""The absl runner: a default-config run prints its summary; bad input is named."""

import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recsim_ng", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_default_config_run_prints_summary_and_saves_the_trajectory(tmp_path):
    output = tmp_path / "run.npz"
    result = run_cli("--config=configs/default.py", "--config.num_users=50",
                     "--config.horizon=12", f"--config.output={output}")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["users"] == 50 and summary["horizon"] == 12
    assert 0.0 < summary["click_rate_mean"] < 1.0
    with np.load(output, allow_pickle=False) as archive:
        assert archive["user/clicks"].shape == (12, 50)


def test_unknown_config_key_is_named():
    result = run_cli("--config=configs/default.py", "--config.num_userz=5")
    assert result.returncode != 0
    assert "unknown config key 'num_userz'" in result.stderr and 'num_users' in result.stderr


def test_missing_config_file_is_named():
    result = run_cli("--config=configs/no_such_file.py")
    assert result.returncode != 0
    assert "configs/no_such_file.py" in result.stderr
