"""`python -m recsim_ng MODE --config=...` driven as a user would: every mode on a tiny config,
overrides, each kind of bad input with its message, the run folder, and resuming a killed run."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = "--config=configs/reference_network.py"
TINY_REFERENCE = ("--config.num_users=20", "--config.horizon=6", "--config.jit_compile=False",
                  "--config.benchmark_repeats=2")
V1 = "--config=configs/recsim_v1.py:interest_evolution,slate_q"
TINY_V1 = ("--config.train_users=8", "--config.eval_users=16", "--config.simulate_users=16",
           "--config.curve_users=8", "--config.curve_points=2", "--config.num_candidates=6",
           "--config.slate_size=2")


def run_cli(mode: str, *args: str, run_dir=None) -> subprocess.CompletedProcess:
    extra = [f"--config.run_dir={run_dir}"] if run_dir is not None else []
    return subprocess.run([sys.executable, "-m", "recsim_ng", mode, *args, *extra, "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def summary(run_dir) -> dict[tuple[str, str], str]:
    with open(os.path.join(run_dir, "summary.csv"), newline="", encoding="utf-8") as file:
        return {(row["mode"], row["metric"]): row["value"] for row in csv.DictReader(file)}


def records(run_dir) -> list[dict]:
    with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def test_simulate_benchmark_and_report_leave_a_run_folder(tmp_path):
    run_dir = tmp_path / "run"
    simulated = run_cli("simulate", REFERENCE, *TINY_REFERENCE, run_dir=run_dir)
    assert simulated.returncode == 0, simulated.stderr
    assert f"run folder: {run_dir}" in simulated.stdout and "plots (3)" in simulated.stdout
    figures = summary(run_dir)
    assert figures[("simulate", "users")] == "20" and figures[("simulate", "horizon")] == "6"
    assert 0.0 < float(figures[("simulate", "click_rate_mean")]) < 1.0
    stored = json.loads((run_dir / "config.json").read_text())
    assert stored["num_users"] == 20 and stored["application"] == "reference_network"
    assert sorted(os.listdir(run_dir / "plots")) == [
        "choice_by_slot.png", "interest_trajectories.png", "reward_over_time.png"]
    steps = [r["x"] for r in records(run_dir) if r["figure"] == "reward_over_time"]
    assert steps == [1, 2, 3, 4, 5]
    assert os.listdir(run_dir / "tensorboard" / "simulate")  # event files

    timed = run_cli("benchmark", REFERENCE, *TINY_REFERENCE, run_dir=run_dir)
    assert timed.returncode == 0, timed.stderr
    assert float(summary(run_dir)[("benchmark", "user_steps_per_second_median")]) > 0
    (run_dir / "plots" / "reward_over_time.png").unlink()
    stored = (run_dir / "config.json").read_text()
    reported = run_cli("report", REFERENCE, *TINY_REFERENCE, "--config.benchmark_repeats=3",
                       run_dir=run_dir)
    assert reported.returncode == 0, reported.stderr
    assert (run_dir / "plots" / "reward_over_time.png").exists()
    assert (run_dir / "config.json").read_text() == stored  # report only reads the run
    assert ("simulate", "click_rate_mean") in summary(run_dir)  # every mode's figures kept


def test_the_trajectory_is_saved_when_asked(tmp_path):
    import numpy as np
    run_dir = tmp_path / "run"
    result = run_cli("simulate", REFERENCE, *TINY_REFERENCE, "--config.save_trajectory=True",
                     run_dir=run_dir)
    assert result.returncode == 0, result.stderr
    with np.load(run_dir / "trajectory.npz", allow_pickle=False) as archive:
        assert archive["user/clicks"].shape == (6, 20)


def test_train_evaluate_and_simulate_a_learner(tmp_path):
    run_dir = tmp_path / "run"
    args = (V1, *TINY_V1, "--config.environment_steps=4")
    refused = run_cli("evaluate", *args, run_dir=run_dir)
    assert refused.returncode != 0 and "run train first" in refused.stderr
    assert not run_dir.exists()
    trained = run_cli("train", *args, run_dir=run_dir)
    assert trained.returncode == 0, trained.stderr
    figures = summary(run_dir)
    assert figures[("train", "environment_steps")] == "4"
    curve = [r for r in records(run_dir) if r["figure"] == "learning_curve"]
    assert [r["x"] for r in curve] == [0, 2, 4]
    assert os.listdir(run_dir / "train" / "checkpoints")
    evaluated = run_cli("evaluate", *args, run_dir=run_dir)
    assert evaluated.returncode == 0, evaluated.stderr
    figures = summary(run_dir)
    # The same policy on the same fresh users as train's final evaluation.
    assert figures[("evaluate", "mean_return")] == figures[("train", "mean_return")]
    assert float(figures[("evaluate", "random_mean_return")]) > 0
    simulated = run_cli("simulate", *args, run_dir=run_dir)
    assert simulated.returncode == 0, simulated.stderr
    assert sorted(os.listdir(run_dir / "plots")) == ["learning_curve.png", "reward_over_time.png"]


def test_more_steps_continue_a_run_instead_of_restarting_it(tmp_path):
    run_dir = tmp_path / "run"
    first = run_cli("train", V1, *TINY_V1, "--config.environment_steps=2", run_dir=run_dir)
    assert first.returncode == 0, first.stderr
    more = run_cli("train", V1, *TINY_V1, "--config.environment_steps=4", run_dir=run_dir)
    assert more.returncode == 0, more.stderr
    curve = [r["x"] for r in records(run_dir) if r["figure"] == "learning_curve"]
    # The first run's points (every step), then the continued run's (every 2 steps).
    assert curve == [0, 1, 2, 4]
    assert summary(run_dir)[("train", "environment_steps")] == "4"
    fewer = run_cli("train", V1, *TINY_V1, "--config.environment_steps=3", run_dir=run_dir)
    assert fewer.returncode != 0
    assert "config.environment_steps=3 is below the 4 steps already trained" in fewer.stderr
    assert summary(run_dir)[("train", "environment_steps")] == "4"
    assert len(os.listdir(run_dir / "tensorboard" / "train")) == 1  # the rerun's curves only


def test_a_killed_training_resumes_to_the_uninterrupted_result(tmp_path):
    args = (V1, *TINY_V1, "--config.environment_steps=300", "--config.checkpoint_every=20")
    whole = run_cli("train", *args, run_dir=tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr

    run_dir = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "recsim_ng", "train", *args, f"--config.run_dir={run_dir}",
         "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = run_dir / "train" / "checkpoints"
    deadline = time.monotonic() + 300
    while not (checkpoints.exists() and any(name.startswith("ckpt-20.")
                                            for name in os.listdir(checkpoints))):
        assert process.poll() is None and time.monotonic() < deadline, "no checkpoint came"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert not (checkpoints / "ckpt-300.index").exists(), "the run ended before the kill"
    resumed = run_cli("train", *args, run_dir=run_dir)
    assert resumed.returncode == 0, resumed.stderr
    for metric in ("environment_steps", "mean_return", "ci95_half_width"):
        assert summary(run_dir)[("train", metric)] == summary(tmp_path / "whole")[("train", metric)]


@pytest.mark.parametrize("mode, args, message", [
    ("simulate", (REFERENCE, "--config.num_userz=5"),
     "unknown config key 'num_userz'"),
    ("simulate", (REFERENCE, "--config.num_users=0"), "config.num_users must be an integer >= 1, got 0"),
    ("simulate", (REFERENCE, "--config.num_users=2.5"), "num_users"),
    ("simulate", (REFERENCE, "--config.horizon=abc"), "horizon"),
    ("simulate", (REFERENCE, "--config.jit_compile=maybe"), "jit_compile"),
    ("simulate", (REFERENCE, "--config.slate_size=101"), "config.slate_size must be <="),
    ("simulate", (REFERENCE, "--config.seed=-1"), "config.seed"),
    ("simulate", (REFERENCE, "--config.num_users=10000000", "--config.horizon=2000000000"),
     "config.horizon=2000000000 needs"),
    ("simulate", ("--config=configs/no_such_file.py",), "configs/no_such_file.py"),
    ("simulate", (), "--config is required"),
    ("simulat", (REFERENCE,), "did you mean 'simulate'"),
    ("train", (REFERENCE,), "has no mode 'train'"),
    ("simulate", ("--config=configs/recsim_v1.py:interest_evolution,slate_qq",),
     "did you mean 'slate_q'"),
    ("simulate", ("--config=configs/recsim_v1.py:interest_evolution,cluster_ucb1",),
     "config.agent='cluster_ucb1'"),
    ("train", ("--config=configs/recsim_v1.py:interest_evolution,random",),
     "does not learn"),
    ("simulate", ("--config=configs/recsim_v1.py:interest_evolution,random",
                  "--config.environment_steps=5"), "config.environment_steps must be 0"),
    ("simulate", (V1, "--config.training_restart=each"), "config.training_restart"),
    ("evaluate", (V1, "--config.overwrite=True"), "would delete the training evaluate needs"),
    ("simulate", (V1, "--config.slate_size=50", "--config.num_candidates=10"),
     "config.slate_size must be <="),
])
def test_bad_input_is_named_before_any_work(tmp_path, mode, args, message):
    run_dir = tmp_path / "run"
    result = run_cli(mode, *args, run_dir=run_dir)
    assert result.returncode != 0
    assert message.lower() in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert not run_dir.exists() and result.stdout.strip() == ""


def test_a_run_folder_with_other_settings_is_kept_unless_overwrite(tmp_path):
    run_dir = tmp_path / "run"
    assert run_cli("simulate", REFERENCE, *TINY_REFERENCE, run_dir=run_dir).returncode == 0
    before = (run_dir / "summary.csv").read_text()
    refused = run_cli("simulate", REFERENCE, *TINY_REFERENCE, "--config.num_users=30",
                      run_dir=run_dir)
    assert refused.returncode != 0
    assert "config.num_users (stored 20, asked 30)" in refused.stderr
    assert "--config.overwrite=True" in refused.stderr
    assert (run_dir / "summary.csv").read_text() == before
    replaced = run_cli("simulate", REFERENCE, *TINY_REFERENCE, "--config.num_users=30",
                       "--config.overwrite=True", run_dir=run_dir)
    assert replaced.returncode == 0, replaced.stderr
    assert summary(run_dir)[("simulate", "users")] == "30"


def test_a_folder_that_is_not_a_run_is_never_touched(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    result = run_cli("simulate", REFERENCE, *TINY_REFERENCE, "--config.overwrite=True",
                     run_dir=tmp_path)
    assert result.returncode != 0 and "not a run folder" in result.stderr
    assert os.listdir(tmp_path) == ["thesis.tex"]


def test_report_needs_a_stored_run(tmp_path):
    result = run_cli("report", REFERENCE, run_dir=tmp_path / "run")
    assert result.returncode != 0 and "holds no run to report" in result.stderr
