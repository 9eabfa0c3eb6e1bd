"""`train`: run a learner for N environment steps with checkpoints, TensorBoard summaries and a
learning curve, resuming from the latest checkpoint in its output directory.

A learner (`Learner`) owns its environment and counts the batched environment steps it has taken
(one step = one action for every user). Everything a learner needs to continue (networks,
optimiser, counters, the environment's state) is in its `checkpoint_objects()`, and its random
draws are stateless functions of its seed and step count, so a run killed part-way and resumed
from a checkpoint ends exactly where an uninterrupted run does.

The output directory holds `checkpoints/`, `summaries/` (TensorBoard: the learner's scalars, and
`evaluation/mean_return` and `evaluation/ci95_half_width`) and `learning_curve.csv`. Summaries
are written when a checkpoint is saved, so a resumed run does not repeat the points a killed
run wrote after its last checkpoint.
"""

from __future__ import annotations

import csv
import os
import time
from typing import Any, Callable, Mapping, NamedTuple, Protocol

import tensorflow as tf
from tf_agents.policies import tf_policy

from recsim_ng.rl.evaluation import EvaluationResult

Evaluation = Callable[[tf_policy.TFPolicy], EvaluationResult]
CURVE_FIELDS = ("environment_steps", "mean_return", "ci95_half_width", "num_users",
                "wall_seconds")


class Learner(Protocol):
    """What `train` needs of an agent."""

    policy: tf_policy.TFPolicy  # the policy to evaluate (greedy)
    environment_steps: tf.Variable  # batched environment steps taken so far

    def train_step(self) -> Mapping[str, tf.Tensor]:
        """Takes at least one environment step and learns; returns scalar summaries."""

    def checkpoint_objects(self) -> Mapping[str, Any]:
        """The trackables whose state a resumed run needs."""


class CurvePoint(NamedTuple):
    """One evaluation on the learning curve."""

    environment_steps: int
    mean_return: float
    ci95_half_width: float
    num_users: int
    wall_seconds: float  # training time so far, excluding evaluations


class TrainingReport(NamedTuple):
    """How a `train` call ended."""

    environment_steps: int
    resumed_from: int  # environment steps of the checkpoint restored; 0 for a fresh run
    wall_seconds: float  # training time of the whole run, across restarts
    curve: list[CurvePoint]  # every evaluation of the run, across restarts


def train(learner: Learner, num_environment_steps: int, output_dir: str | None = None,
          evaluation: Evaluation | None = None, evaluate_every: int | None = None,
          checkpoint_every: int = 1000, summary_every: int = 100,
          max_checkpoints: int = 3) -> TrainingReport:
    """Trains until `learner` has taken `num_environment_steps` environment steps.

    With an `output_dir`, restores the latest checkpoint there first, saves one every
    `checkpoint_every` steps and at the end, and writes summaries every `summary_every` steps.
    With an `evaluation`, evaluates the learner's policy at the start, every `evaluate_every`
    steps (default: once at the end) and at the end, on the learning curve.
    """
    if num_environment_steps < 0:
        raise ValueError(f"num_environment_steps must be >= 0, got {num_environment_steps}")
    for name, period in (("checkpoint_every", checkpoint_every), ("summary_every", summary_every),
                         ("evaluate_every", evaluate_every)):
        if period is not None and period < 1:
            raise ValueError(f"{name} must be positive, got {period}")
    wall = tf.Variable(0.0, dtype=tf.float64, trainable=False)
    run = _Run(learner, wall, output_dir, max_checkpoints)
    curve = run.restored_curve()
    resumed_from = int(learner.environment_steps.numpy())
    evaluate_every = evaluate_every or max(num_environment_steps, 1)

    def evaluate_now() -> None:
        result = evaluation(learner.policy)
        point = CurvePoint(int(learner.environment_steps.numpy()), result.mean_return,
                           result.ci95_half_width, result.num_users, float(wall.numpy()))
        curve.append(point)
        run.record(point)

    steps = resumed_from
    if evaluation is not None and not curve:
        evaluate_now()
    while steps < num_environment_steps:
        start = time.perf_counter()
        metrics = learner.train_step()
        previous, steps = steps, int(learner.environment_steps.numpy())
        wall.assign_add(time.perf_counter() - start)
        if _crossed(previous, steps, summary_every):
            run.summarize(metrics, steps)
        if evaluation is not None and (_crossed(previous, steps, evaluate_every)
                                       or steps >= num_environment_steps):
            evaluate_now()
        if _crossed(previous, steps, checkpoint_every) or steps >= num_environment_steps:
            run.save(steps)
    return TrainingReport(steps, resumed_from, float(wall.numpy()), curve)


def _crossed(previous: int, current: int, period: int) -> bool:
    """Whether a multiple of `period` lies in (previous, current]."""
    return current // period > previous // period


class _Run:
    """The output directory of a run: checkpoints, summaries and the learning-curve file."""

    def __init__(self, learner: Learner, wall: tf.Variable, output_dir: str | None,
                 max_checkpoints: int):
        self._learner = learner
        self._output_dir = output_dir
        if output_dir is None:
            return
        self._checkpoint = tf.train.Checkpoint(wall_seconds=wall, **learner.checkpoint_objects())
        self._manager = tf.train.CheckpointManager(
            self._checkpoint, os.path.join(output_dir, "checkpoints"), max_checkpoints)
        if self._manager.latest_checkpoint:
            self._checkpoint.restore(self._manager.latest_checkpoint).assert_consumed()
        self._writer = tf.summary.create_file_writer(os.path.join(output_dir, "summaries"))
        self._pending: list[tuple[int, str, float]] = []  # summaries until the next save
        self._curve_file = os.path.join(output_dir, "learning_curve.csv")

    def restored_curve(self) -> list[CurvePoint]:
        """The curve points up to the restored step (later ones were lost with the process)."""
        if self._output_dir is None or not os.path.exists(self._curve_file):
            return []
        steps = int(self._learner.environment_steps.numpy())
        with open(self._curve_file, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        if rows and tuple(rows[0]) != CURVE_FIELDS:
            raise ValueError(f"{self._curve_file}: expected columns {CURVE_FIELDS}, got"
                             f" {tuple(rows[0])}")
        curve = [CurvePoint(int(row["environment_steps"]), float(row["mean_return"]),
                            float(row["ci95_half_width"]), int(row["num_users"]),
                            float(row["wall_seconds"])) for row in rows]
        curve = [point for point in curve if point.environment_steps <= steps]
        self._write_curve(curve)
        return curve

    def record(self, point: CurvePoint) -> None:
        if self._output_dir is None:
            return
        exists = os.path.exists(self._curve_file)
        with open(self._curve_file, "a", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            if not exists:
                writer.writerow(CURVE_FIELDS)
            writer.writerow(point)
        self._pending += [
            (point.environment_steps, "evaluation/mean_return", point.mean_return),
            (point.environment_steps, "evaluation/ci95_half_width", point.ci95_half_width)]

    def summarize(self, metrics: Mapping[str, tf.Tensor], steps: int) -> None:
        if self._output_dir is not None:
            self._pending += [(steps, f"train/{name}", float(metric))
                              for name, metric in metrics.items()]

    def save(self, steps: int) -> None:
        if self._output_dir is None:
            return
        self._manager.save(checkpoint_number=steps)
        with self._writer.as_default():
            for step, name, scalar in self._pending:
                tf.summary.scalar(name, scalar, step=step)
        self._writer.flush()
        self._pending.clear()

    def _write_curve(self, curve: list[CurvePoint]) -> None:
        with open(self._curve_file, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(CURVE_FIELDS)
            writer.writerows(curve)
