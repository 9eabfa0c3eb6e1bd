"""Tests for `train` and `run_experiment`: checkpoints, resumption, summaries, learning curves."""

import csv
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.rl.agents import QLearningConfig, ReinforceConfig, SlateQConfig
from recsim_ng.applications.recsim_v1.experiments import TASKS, make_agent, run_experiment
from recsim_ng.rl.training import train

EXPERIMENT = dict(task_name="interest_evolution", agent="slate_q", environment_steps=240,
                  train_users=32, eval_users=300, seed=1, curve_points=4, curve_users=100,
                  checkpoint_every=20)


def _flags(output_dir):
    return [f"--task={EXPERIMENT['task_name']}", f"--agent={EXPERIMENT['agent']}",
            f"--environment_steps={EXPERIMENT['environment_steps']}",
            f"--train_users={EXPERIMENT['train_users']}",
            f"--eval_users={EXPERIMENT['eval_users']}", f"--seed={EXPERIMENT['seed']}",
            f"--curve_points={EXPERIMENT['curve_points']}",
            f"--curve_users={EXPERIMENT['curve_users']}",
            f"--checkpoint_every={EXPERIMENT['checkpoint_every']}", f"--output_dir={output_dir}"]


def _curve_without_wall_time(output_dir):
    with open(os.path.join(output_dir, "learning_curve.csv"), newline="") as file:
        return [{key: value for key, value in row.items() if key != "wall_seconds"}
                for row in csv.DictReader(file)]


def test_a_killed_and_resumed_run_ends_where_an_uninterrupted_run_does(tmp_path):
    uninterrupted = run_experiment(**EXPERIMENT, output_dir=str(tmp_path / "whole"))
    killed_dir = tmp_path / "killed"
    command = [sys.executable, "-m", "recsim_ng.applications.recsim_v1.run_experiment", *_flags(killed_dir)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    index = killed_dir / "checkpoints" / "checkpoint"
    deadline = time.monotonic() + 300
    while not index.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    saved = tf.train.latest_checkpoint(str(killed_dir / "checkpoints"))
    assert saved is not None
    assert int(saved.rsplit("-", 1)[1]) < EXPERIMENT["environment_steps"]

    resumed = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert report["mean_return"] == round(uninterrupted.evaluation.mean_return, 3)
    assert report["ci95_half_width"] == round(uninterrupted.evaluation.ci95_half_width, 3)
    assert _curve_without_wall_time(killed_dir) == _curve_without_wall_time(tmp_path / "whole")


def test_resuming_restores_every_variable_and_continues_identically(tmp_path):
    task = TASKS["interest_evolution"]

    def learner():
        return make_agent(task, "slate_q_sarsa", task.environment(16, seed=4), seed=2)

    whole = learner()
    train(whole, 30)
    first = learner()
    train(first, 12, str(tmp_path), checkpoint_every=5)
    again = learner()
    report = train(again, 30, str(tmp_path), checkpoint_every=5)
    assert report.resumed_from == 12 and report.environment_steps == 30
    for expected, actual in zip(whole.agent.variables, again.agent.variables):
        np.testing.assert_array_equal(expected, actual)
    assert int(again.environment_steps.numpy()) == 30


def test_summaries_checkpoints_and_curve_are_written(tmp_path):
    result = run_experiment(**{**EXPERIMENT, "environment_steps": 40, "checkpoint_every": 15},
                            output_dir=str(tmp_path), summary_every=10)
    curve = [row["environment_steps"] for row in _curve_without_wall_time(tmp_path)]
    assert curve == ["0", "10", "20", "30", "40"]
    assert [point.environment_steps for point in result.curve] == [0, 10, 20, 30, 40]
    steps = sorted(int(path.rsplit("-", 1)[1].split(".")[0])
                   for path in os.listdir(tmp_path / "checkpoints")
                   if path.startswith("ckpt-") and path.endswith(".index"))
    assert set(steps) == {15, 30, 40}
    tags = set()
    for name in os.listdir(tmp_path / "summaries"):
        for event in tf.compat.v1.train.summary_iterator(str(tmp_path / "summaries" / name)):
            tags.update(value.tag for value in event.summary.value)
    assert {"train/loss", "evaluation/mean_return", "evaluation/ci95_half_width"} <= tags
    assert result.train_seconds > 0 and result.evaluation.num_users == EXPERIMENT["eval_users"]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="task must be one of"):
        run_experiment("no_such_task", "random")
    with pytest.raises(ValueError, match="agent must be one of"):
        run_experiment("interest_evolution", "no_such_agent")
    with pytest.raises(ValueError, match="does not learn"):
        run_experiment("interest_evolution", "random", environment_steps=10)
    with pytest.raises(ValueError, match="no_click|position 0"):
        run_experiment("long_term_satisfaction", "slate_q", environment_steps=10)
    with pytest.raises(ValueError, match="weigh_episode_steps applies to the replay learners"):
        run_experiment("interest_evolution", "reinforce", environment_steps=10,
                       weigh_episode_steps=True)
    task = TASKS["interest_evolution"]
    learner = make_agent(task, "slate_q", task.environment(4))
    for option in ("checkpoint_every", "summary_every", "evaluate_every"):
        with pytest.raises(ValueError, match=option):
            train(learner, 5, **{option: 0})
    for config, field in ((QLearningConfig(), "gamma"), (QLearningConfig(), "learning_rate"),
                          (QLearningConfig(), "target_update_period"),
                          (SlateQConfig(), "epsilon"), (ReinforceConfig(), "entropy_bonus")):
        with pytest.raises(ValueError, match=rf"{type(config).__name__}\.{field} is out of"):
            dataclasses.replace(config, **{field: -1})


def test_task_sizes_can_be_overridden():
    result = run_experiment("interest_exploration", "myopic", eval_users=50, num_candidates=4,
                            slate_size=1)
    assert (result.num_candidates, result.slate_size) == (4, 1)
    assert 0 < result.evaluation.mean_return <= 100  # at most one click per step, 100 steps
    with pytest.raises(ValueError, match="slate_size <= num_candidates"):
        run_experiment("interest_evolution", "random", eval_users=50, num_candidates=2,
                       slate_size=3)
