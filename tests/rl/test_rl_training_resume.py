"""Tests that resuming a run never reports wrong settings and never loses work: the settings
stored with the checkpoints, recovery from missing or damaged checkpoint files, atomic curves."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import tensorflow as tf

from recsim_ng.rl import training
from recsim_ng.rl.evaluation import EvaluationResult
from recsim_ng.applications.recsim_v1.experiments import run_experiment
from recsim_ng.rl.training import train

TINY = dict(task_name="interest_evolution", agent="slate_q", environment_steps=2, train_users=4,
            eval_users=10, seed=1, curve_points=0, checkpoint_every=1)


class CountingLearner:
    """A learner whose whole state is its step count and the running sum of the step counts."""

    policy = None

    def __init__(self):
        self.environment_steps = tf.Variable(0, dtype=tf.int64)
        self.total = tf.Variable(0, dtype=tf.int64)
        self.calls = 0

    def train_step(self):
        self.calls += 1
        self.total.assign_add(self.environment_steps.assign_add(1))
        return {"total": self.total}

    def checkpoint_objects(self):
        return {"environment_steps": self.environment_steps, "total": self.total}


def _evaluation_of(learner):
    return lambda policy: EvaluationResult(float(learner.total.numpy()), 0.0, 1)


def _files(folder):
    """{relative path: bytes} of every file under `folder`."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                found[os.path.relpath(path, folder)] = file.read()
    return found


def _checkpoint_files(output_dir):
    return {name: data for name, data in _files(os.path.join(output_dir, "checkpoints")).items()
            if name.startswith("ckpt-")}


def _curve_steps(output_dir):
    with open(os.path.join(output_dir, "learning_curve.csv"), newline="") as file:
        return [int(row["environment_steps"]) for row in csv.DictReader(file)]


@pytest.fixture(name="tiny_run", scope="module")
def fixture_tiny_run(tmp_path_factory):
    """The output folder of a finished `TINY` experiment."""
    output_dir = tmp_path_factory.mktemp("tiny_run")
    assert run_experiment(**TINY, output_dir=str(output_dir)).environment_steps == 2
    return output_dir


def test_a_rerun_with_other_settings_is_refused_naming_each_one(tiny_run):
    output_dir = str(tiny_run)
    saved = _files(tiny_run)
    with pytest.raises(ValueError) as refusal:
        run_experiment(**{**TINY, "seed": 2, "train_users": 8}, output_dir=output_dir)
    message = str(refusal.value)
    assert "seed: 1 in the stored run, 2 now" in message
    assert "train_users: 4 in the stored run, 8 now" in message
    assert output_dir in message and "overwrite" in message and "new output" in message
    with pytest.raises(ValueError, match=r"agent: 'slate_q' in the stored run, 'slate_q_sarsa'"
                                         r" now.*agent_config\.target: 'q_learning'"):
        run_experiment(**{**TINY, "agent": "slate_q_sarsa"}, output_dir=output_dir)
    with pytest.raises(ValueError, match="num_candidates: 10 in the stored run, 12 now"):
        run_experiment(**TINY, num_candidates=12, output_dir=output_dir)
    assert _files(tiny_run) == saved


def _command_line(output_dir, *more_flags):
    return subprocess.run(
        [sys.executable, "-m", "recsim_ng.applications.recsim_v1.run_experiment", "--task=interest_evolution",
         "--agent=slate_q", "--environment_steps=2", "--train_users=4", "--eval_users=10",
         "--seed=3", "--curve_points=0", f"--output_dir={output_dir}", *more_flags],
        capture_output=True, text=True, timeout=300)


def test_the_command_line_reports_a_refusal_in_one_line(tiny_run):
    saved = _files(tiny_run)
    finished = _command_line(tiny_run)
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    last = finished.stderr.strip().splitlines()[-1]
    assert "seed: 1 in the stored run, 3 now" in last and "--overwrite" in last
    assert _files(tiny_run) == saved


def test_the_command_line_overwrites_when_asked(tiny_run, tmp_path):
    output_dir = shutil.copytree(tiny_run, tmp_path / "run")
    finished = _command_line(output_dir, "--overwrite", "--environment_steps=0")  # no training
    assert finished.returncode == 0, finished.stderr
    assert f"deleting {output_dir / 'checkpoints'}" in finished.stderr
    assert json.loads(finished.stdout.strip().splitlines()[-1])["environment_steps"] == 0
    assert not _checkpoint_files(output_dir)
    with open(output_dir / "run_settings.json", encoding="utf-8") as file:
        assert json.load(file)["seed"] == 3


def test_settings_are_stored_before_the_first_checkpoint(tmp_path):
    learner = CountingLearner()

    def failing_step():
        raise RuntimeError("killed")

    learner.train_step = failing_step
    with pytest.raises(RuntimeError, match="killed"):
        train(learner, 5, str(tmp_path), settings={"seed": 7})
    with open(tmp_path / "run_settings.json", encoding="utf-8") as file:
        stored = json.load(file)
    assert stored["seed"] == 7 and stored["environment_steps"] == 5
    assert stored["learner"] == "CountingLearner"
    assert not _checkpoint_files(str(tmp_path))


def test_fewer_steps_than_the_run_asked_for_are_refused(tmp_path):
    output_dir = str(tmp_path)
    train(CountingLearner(), 6, output_dir, checkpoint_every=2)
    with pytest.raises(ValueError, match=r"6 environment steps.*asks for 4"):
        train(CountingLearner(), 4, output_dir)
    again = CountingLearner()
    report = train(again, 6, output_dir)
    assert (report.resumed_from, report.environment_steps, again.calls) == (6, 6, 0)
    longer = CountingLearner()
    report = train(longer, 9, output_dir)
    assert (report.resumed_from, report.environment_steps, longer.calls) == (6, 9, 3)
    assert int(longer.total.numpy()) == sum(range(10))


def test_only_a_continuation_may_change_how_often_the_run_is_observed(tmp_path):
    output_dir = str(tmp_path)
    learner = CountingLearner()
    train(learner, 6, output_dir, _evaluation_of(learner), evaluate_every=2)
    with pytest.raises(ValueError, match="evaluate_every: 2 in the stored run, 3 now"):
        learner = CountingLearner()
        train(learner, 6, output_dir, _evaluation_of(learner), evaluate_every=3)
    learner = CountingLearner()
    report = train(learner, 9, output_dir, _evaluation_of(learner), evaluate_every=3)
    assert [point.environment_steps for point in report.curve] == [0, 2, 4, 6, 9]
    assert _curve_steps(output_dir) == [0, 2, 4, 6, 9]


def test_overwrite_starts_afresh_and_says_what_it_deletes(tmp_path):
    output_dir = str(tmp_path)
    learner = CountingLearner()
    train(learner, 6, output_dir, _evaluation_of(learner), settings={"seed": 1})
    learner = CountingLearner()
    with pytest.warns(UserWarning, match=r"deleting .*checkpoints.*learning_curve\.csv"):
        report = train(learner, 3, output_dir, _evaluation_of(learner), settings={"seed": 2},
                       overwrite=True)
    assert (report.resumed_from, report.environment_steps, learner.calls) == (0, 3, 3)
    assert sorted(_checkpoint_files(output_dir)) == ["ckpt-3.data-00000-of-00001",
                                                     "ckpt-3.index"]
    assert _curve_steps(output_dir) == [0, 3]
    with open(tmp_path / "run_settings.json", encoding="utf-8") as file:
        assert json.load(file)["seed"] == 2


def test_run_outputs_without_stored_settings_are_refused(tmp_path):
    output_dir = str(tmp_path)
    train(CountingLearner(), 4, output_dir)
    os.remove(tmp_path / "run_settings.json")
    learner = CountingLearner()
    with pytest.raises(ValueError, match=r"no run_settings\.json.*overwrite"):
        train(learner, 4, output_dir)
    assert learner.calls == 0


@pytest.mark.parametrize("damage", ["missing", "garbled", "stale"])
def test_a_lost_state_file_restores_the_newest_readable_checkpoint(tmp_path, damage):
    output_dir = str(tmp_path)
    train(CountingLearner(), 30, output_dir, checkpoint_every=10, max_checkpoints=5)
    state_file = tmp_path / "checkpoints" / "checkpoint"
    if damage == "missing":
        os.remove(state_file)
    elif damage == "garbled":
        state_file.write_text("model_checkpoint_path: {{{ not a checkpoint state")
    else:
        state_file.write_text('model_checkpoint_path: "ckpt-40"\n')
    saved = _checkpoint_files(output_dir)
    learner = CountingLearner()
    with pytest.warns(UserWarning, match=r"restoring the newest readable checkpoint, .*ckpt-30"):
        report = train(learner, 40, output_dir, checkpoint_every=10, max_checkpoints=5)
    assert (report.resumed_from, learner.calls) == (30, 10)
    assert int(learner.total.numpy()) == sum(range(41))
    now = _checkpoint_files(output_dir)
    assert {name: now[name] for name in saved} == saved


def test_a_truncated_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    output_dir = str(tmp_path)
    train(CountingLearner(), 30, output_dir, checkpoint_every=10, max_checkpoints=5)
    data = tmp_path / "checkpoints" / "ckpt-30.data-00000-of-00001"
    truncated = data.read_bytes()[:10]
    data.write_bytes(truncated)
    learner = CountingLearner()
    with pytest.warns(UserWarning) as caught:
        report = train(learner, 40, output_dir, checkpoint_every=10, max_checkpoints=5)
    unreadable, moved = [str(warning.message) for warning in caught]
    assert unreadable.startswith(f"{tmp_path / 'checkpoints' / 'ckpt-30'} is unreadable")
    aside = re.search(r"files to (\S+);", moved).group(1)
    assert moved.endswith(f"restoring {tmp_path / 'checkpoints' / 'ckpt-20'}")
    assert (report.resumed_from, learner.calls) == (20, 20)
    assert int(learner.total.numpy()) == sum(range(41))
    with open(os.path.join(aside, data.name), "rb") as file:
        assert file.read() == truncated, "the damaged checkpoint was not kept as it was"


def test_no_readable_checkpoint_stops_with_an_error_naming_the_folder(tmp_path):
    output_dir = str(tmp_path)
    train(CountingLearner(), 20, output_dir, checkpoint_every=10)
    for name in _checkpoint_files(output_dir):
        if name.endswith(".index"):
            (tmp_path / "checkpoints" / name).write_bytes(b"not an index")
    saved = _files(tmp_path)
    learner = CountingLearner()
    with pytest.raises(ValueError, match=rf"no readable checkpoint in {tmp_path / 'checkpoints'}"):
        with pytest.warns(UserWarning) as caught:
            train(learner, 30, output_dir, checkpoint_every=10)
    assert [str(warning.message).split()[0] for warning in caught] == [
        str(tmp_path / "checkpoints" / "ckpt-20"), str(tmp_path / "checkpoints" / "ckpt-10")]
    assert learner.calls == 0 and _files(tmp_path) == saved


def test_the_learning_curve_survives_a_failure_while_it_is_rewritten(tmp_path, monkeypatch):
    output_dir = str(tmp_path)
    learner = CountingLearner()
    train(learner, 6, output_dir, _evaluation_of(learner), evaluate_every=2, checkpoint_every=3)
    curve = (tmp_path / "learning_curve.csv").read_bytes()

    class Killed(Exception):
        pass

    def failing_writer(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(training.csv, "writer", failing_writer)
    learner = CountingLearner()
    with pytest.raises(Killed):
        train(learner, 8, output_dir, _evaluation_of(learner), evaluate_every=2,
              checkpoint_every=3)
    assert (tmp_path / "learning_curve.csv").read_bytes() == curve


def test_an_unusable_output_dir_fails_before_any_training(tmp_path):
    (tmp_path / "checkpoints").write_text("a file where the checkpoint folder goes")
    learner = CountingLearner()
    with pytest.raises(OSError, match="checkpoints"):
        train(learner, 5, str(tmp_path))
    assert learner.calls == 0


def test_the_steps_reported_are_the_steps_taken(tmp_path):
    # REINFORCE plays whole episodes, so one step asked for is a whole episode taken.
    result = run_experiment("interest_evolution", "reinforce", 1, train_users=2, eval_users=10,
                            curve_points=0, output_dir=str(tmp_path))
    saved = tf.train.latest_checkpoint(str(tmp_path / "checkpoints"))
    assert result.environment_steps == int(saved.rsplit("-", 1)[1]) > 1
