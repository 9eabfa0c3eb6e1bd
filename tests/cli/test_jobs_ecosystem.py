"""`python -m recsim_ng simulate --config=configs/ecosystem.py` on a tiny config: the numbers are
the application's own (`run_simulation`), the files are there, and bad inputs are refused."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from recsim_ng.applications.ecosystem_simulation.simulation import run_simulation
from recsim_ng.applications.ecosystem_simulation.user import init_random_provider_clusters
from recsim_ng.cli import runner
from recsim_ng.cli.config_checks import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = "configs/ecosystem.py"
TINY = {"num_runs": 3, "num_users": 10, "num_provider_clusters": 3, "horizon": 5,
        "trajectory_runs": 2, "jit_compile": False}


def run_cli(mode: str, run_dir, **overrides) -> subprocess.CompletedProcess:
    keys = [f"--config.{key}={value}" for key, value in {**TINY, **overrides}.items()]
    return subprocess.run([sys.executable, "-m", "recsim_ng", mode, f"--config={CONFIG}",
                           f"--config.run_dir={run_dir}", "--quiet", *keys],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def run_here(mode: str, run_dir, **overrides):
    """The runner in this process (the CLI's path after absl), for the checks."""
    spec = importlib.util.spec_from_file_location("ecosystem_config", os.path.join(ROOT, CONFIG))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    config.update({**TINY, "run_dir": str(run_dir), **overrides})
    return runner.run(mode, config, quiet=True)


def test_simulate_reports_the_applications_welfare_and_provider_balance(tmp_path):
    run_dir = tmp_path / "run"
    simulated = run_cli("simulate", run_dir)
    assert simulated.returncode == 0, simulated.stderr
    with open(run_dir / "summary.csv", newline="", encoding="utf-8") as file:
        figures = {row["metric"]: float(row["value"]) for row in csv.DictReader(file)}
    means = init_random_provider_clusters(64.0, 2, 3, 2, seed=0)
    for prefix, cap in (("", 1.2), ("no_boost_", 0.0)):
        mean, standard_error = run_simulation(3, means, num_users=10, horizon=5, seed=0,
                                              provider_boost_cap=cap)
        assert figures[f"{prefix}average_user_utility"] == pytest.approx(mean, rel=1e-5)
        assert figures[f"{prefix}standard_error"] == pytest.approx(standard_error, rel=1e-4)
        assert 0.0 <= figures[f"{prefix}gini_provider_clicks"] <= 1.0
    assert figures["gini_reduction_by_boost"] == pytest.approx(
        figures["no_boost_gini_provider_clicks"] - figures["gini_provider_clicks"], abs=1e-9)
    assert figures["providers"] == 6 and figures["runs"] == 3
    assert sorted(os.listdir(run_dir / "plots")) == ["provider_trajectories.png",
                                                     "reward_over_time.png"]
    with open(run_dir / "metrics.jsonl", encoding="utf-8") as file:
        points = [json.loads(line) for line in file]
    providers = [p for p in points if p["figure"] == "provider_trajectories"]
    assert {p["series"] for p in providers} == {"providers publishing (boost cap 1.2)",
                                                "providers publishing (no boost)"}
    assert all(1 <= p["y"] <= 6 and p["ci95"] is not None for p in providers)
    at_end = [p["y"] for p in providers if p["x"] == 4 and "no boost" in p["series"]]
    assert figures["no_boost_providers_publishing_at_end"] == pytest.approx(at_end[0])
    assert sorted(p["x"] for p in points if p["series"] == "no boost") == [1, 2, 3, 4]


@pytest.mark.parametrize("overrides, message", [
    ({"trajectory_runs": 4}, "config.trajectory_runs must be <= config.num_runs=3"),
    ({"slate_size": 31}, "config.slate_size must be <= the documents per step (30)"),
    ({"num_runs": 1}, "config.num_runs must be an integer >= 2"),
    ({"provider_boost_cap": -1.0}, "config.provider_boost_cap must be a finite number in [0.0"),
])
def test_bad_inputs_are_refused_before_any_work(tmp_path, overrides, message):
    run_dir = tmp_path / "run"
    with pytest.raises(ConfigError) as error:
        run_here("simulate", run_dir, **overrides)
    assert message in str(error.value)
    assert not run_dir.exists()


def test_the_cli_exits_with_the_message_and_writes_nothing(tmp_path):
    run_dir = tmp_path / "run"
    refused = run_cli("simulate", run_dir, trajectory_runs=4)
    assert refused.returncode != 0
    assert "config.trajectory_runs must be <= config.num_runs=3" in refused.stderr
    assert not run_dir.exists()
