"""`python -m recsim_ng MODE --config=configs/interest_evolution.py` on a tiny config: simulate,
train (resumed: the same as an uninterrupted run), evaluate, and the bad inputs each check names."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from recsim_ng.cli import runner
from recsim_ng.cli.config_checks import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = "configs/interest_evolution.py"
TINY = {"num_users": 8, "num_docs": 10, "history_length": 3, "horizon": 4,
        "num_eval_batches": 2, "checkpoint_every": 2, "jit_compile": False,
        "learning_rate": 0.5}  # a few steps change the policy


def run_cli(mode: str, run_dir, **overrides) -> subprocess.CompletedProcess:
    keys = [f"--config.{key}={value}" for key, value in {**TINY, **overrides}.items()]
    return subprocess.run([sys.executable, "-m", "recsim_ng", mode, f"--config={CONFIG}",
                           f"--config.run_dir={run_dir}", "--quiet", *keys],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def tiny_config(run_dir, **overrides):
    spec = importlib.util.spec_from_file_location("interest_evolution_config",
                                                  os.path.join(ROOT, CONFIG))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    config.update({**TINY, "run_dir": str(run_dir), **overrides})
    return config


def run_here(mode: str, run_dir, **overrides):
    """The runner in this process (the CLI's path after absl): for reference runs and checks."""
    return runner.run(mode, tiny_config(run_dir, **overrides), quiet=True)


def summary(run_dir) -> dict[tuple[str, str], str]:
    with open(os.path.join(run_dir, "summary.csv"), newline="", encoding="utf-8") as file:
        return {(row["mode"], row["metric"]): row["value"] for row in csv.DictReader(file)}


def curve(run_dir) -> np.ndarray:
    with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as file:
        points = [json.loads(line) for line in file]
    return np.array([p["y"] for p in sorted(points, key=lambda p: p["x"])
                     if p["figure"] == "learning_curve"])


def test_simulate_runs_the_untrained_recommender_on_the_evaluation_users(tmp_path):
    run_dir = tmp_path / "run"
    simulated = run_cli("simulate", run_dir)
    assert simulated.returncode == 0, simulated.stderr
    figures = summary(run_dir)
    assert float(figures[("simulate", "users")]) == 16  # 2 batches of 8
    assert float(figures[("simulate", "mean_cumulative_reward")]) > 0
    assert 0.0 <= float(figures[("simulate", "clickbait_share")]) <= 1.0
    assert sorted(os.listdir(run_dir / "plots")) == [
        "choice_by_slot.png", "interest_trajectories.png", "reward_over_time.png"]
    assert not (run_dir / "checkpoints").exists()


def test_train_resumes_from_its_checkpoint_and_evaluate_needs_it(tmp_path):
    run_dir = tmp_path / "run"
    refused = run_cli("evaluate", run_dir, num_training_steps=2)
    assert refused.returncode != 0 and "run train first" in refused.stderr
    assert "config.run_dir" in refused.stderr and not run_dir.exists()

    first = run_cli("train", run_dir, num_training_steps=2)
    assert first.returncode == 0, first.stderr
    assert sorted(os.listdir(run_dir / "checkpoints")) == [
        "checkpoint", "ckpt-2.data-00000-of-00001", "ckpt-2.index"]
    continued = run_cli("train", run_dir, num_training_steps=4)
    assert continued.returncode == 0, continued.stderr
    assert float(summary(run_dir)[("train", "resumed_from_step")]) == 2
    uninterrupted = tmp_path / "uninterrupted"
    run_here("train", uninterrupted, num_training_steps=4)
    assert curve(run_dir).shape == (4,)
    np.testing.assert_allclose(curve(run_dir), curve(uninterrupted), rtol=1e-5)
    with pytest.raises(ConfigError, match="config.num_training_steps=3 is below the 4 steps"):
        run_here("train", run_dir, num_training_steps=3)
    with pytest.raises(ConfigError, match="would delete the training"):
        runner.check("evaluate", tiny_config(run_dir, num_training_steps=4, overwrite=True))

    evaluated = run_cli("evaluate", run_dir, num_training_steps=4)
    assert evaluated.returncode == 0, evaluated.stderr
    figures = {metric: float(value) for (mode, metric), value in summary(run_dir).items()
               if mode == "evaluate"}
    assert figures["training_steps"] == 4 and figures["trained_users"] == 16
    assert figures["trained_clickbait_share"] != figures["untrained_clickbait_share"]  # restored
    assert figures["improvement"] == pytest.approx(
        figures["trained_mean_cumulative_reward"] - figures["untrained_mean_cumulative_reward"],
        abs=1e-5)
    assert figures["improvement_standard_error"] >= 0
    assert "reward_over_time.png" in os.listdir(run_dir / "plots")


@pytest.mark.parametrize("overrides, message", [
    ({"slate_size": 11}, "config.slate_size must be <= config.num_docs=10"),
    ({"eval_seed": 0}, "config.eval_seed must differ from config.seed=0"),
    ({"learning_rate": 0.0}, "config.learning_rate must be a finite number in (0.0"),
    ({"num_eval_batches": 0}, "config.num_eval_batches must be an integer >= 1"),
])
def test_bad_inputs_are_refused_before_any_work(tmp_path, overrides, message):
    run_dir = tmp_path / "run"
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        run_here("simulate", run_dir, **overrides)
    assert not run_dir.exists()
