"""`train`: run a learner for N environment steps with checkpoints, TensorBoard summaries and a
learning curve, resuming from the latest checkpoint in its output directory.

A learner (`Learner`) owns its environment and counts the batched environment steps it has taken
(one step = one action for every user). Everything a learner needs to continue (networks,
optimiser, counters, the environment's state) is in its `checkpoint_objects()`, and its random
draws are stateless functions of its seed and step count, so a run killed part-way and resumed
from a checkpoint ends exactly where an uninterrupted run does.

The output directory holds `run_settings.json`, `checkpoints/`, `summaries/` (TensorBoard: the
learner's scalars, and `evaluation/mean_return` and `evaluation/ci95_half_width`) and
`learning_curve.csv`. Summaries are written when a checkpoint is saved, so a resumed run does not
repeat the points a killed run wrote after its last checkpoint.

Resuming never reports wrong settings and never loses work: the run's settings are stored before
its first checkpoint and a rerun that differs is refused (naming each difference); the learning
curve and the settings are replaced atomically; the newest readable checkpoint is restored
whatever the checkpoint state file says, and unreadable newer ones are moved aside, never
overwritten.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import re
import shutil
import tempfile
import time
import warnings
from typing import Any, Callable, Mapping, NamedTuple, Protocol, Sequence

import tensorflow as tf
from tf_agents.policies import tf_policy

from recsim_ng.lib.checks import check_size
from recsim_ng.lib.files import atomic_writer, check_writable
from recsim_ng.rl.evaluation import EvaluationResult

Evaluation = Callable[[tf_policy.TFPolicy], EvaluationResult]
CURVE_FIELDS = ("environment_steps", "mean_return", "ci95_half_width", "num_users",
                "wall_seconds")
SETTINGS_FILE = "run_settings.json"
CURVE_FILE = "learning_curve.csv"
# How often a run is observed; a continuation (more environment steps) may change them.
OBSERVATION_PERIODS = ("evaluate_every", "summary_every")
START_AFRESH = ("to start afresh, use a new output directory or pass overwrite=True (--overwrite),"
                " which deletes the stored run's checkpoints, summaries and learning curve")


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
          checkpoint_every: int = 1000, summary_every: int = 100, max_checkpoints: int = 3,
          settings: Mapping[str, Any] | None = None, overwrite: bool = False,
          progress: Callable[[int, CurvePoint | None], None] | None = None) -> TrainingReport:
    """Trains until `learner` has taken `num_environment_steps` environment steps.

    With an `output_dir`, restores the latest checkpoint there first, saves one every
    `checkpoint_every` steps and at the end, and writes summaries every `summary_every` steps.
    With an `evaluation`, evaluates the learner's policy at the start, every `evaluate_every`
    steps (default: once at the end) and at the end, on the learning curve.

    The run's settings (the JSON-able `settings` that define it, e.g. its seed and sizes, with
    the learner's type, the periods above and `num_environment_steps`) are stored in
    `output_dir` before the first checkpoint. A rerun must ask for the same settings and at
    least as many steps (more continue the run, and may change `evaluate_every` and
    `summary_every` for the steps they add); otherwise it is refused with a `ValueError`, unless
    `overwrite`, which deletes the stored run first. `progress(steps, last curve point)` is
    called after every training step (e.g. to move a progress bar).
    """
    check_size("num_environment_steps", num_environment_steps, minimum=0)
    for name, period in (("checkpoint_every", checkpoint_every), ("summary_every", summary_every),
                         ("evaluate_every", evaluate_every)):
        if period is not None:
            check_size(name, period)
    evaluate_every = evaluate_every or max(num_environment_steps, 1)
    run_settings = {**(settings or {}), "learner": type(learner).__name__,
                    "evaluate_every": evaluate_every if evaluation is not None else None,
                    "summary_every": summary_every, "environment_steps": num_environment_steps}
    wall = tf.Variable(0.0, dtype=tf.float64, trainable=False)
    run = _Run(learner, wall, output_dir, max_checkpoints, run_settings, overwrite)
    resumed_from = int(learner.environment_steps.numpy())

    def evaluate_now() -> None:
        result = evaluation(learner.policy)
        run.record(CurvePoint(int(learner.environment_steps.numpy()), result.mean_return,
                              result.ci95_half_width, result.num_users, float(wall.numpy())))

    steps = resumed_from
    if evaluation is not None and not run.curve:
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
        if progress is not None:
            progress(steps, run.curve[-1] if run.curve else None)
    return TrainingReport(steps, resumed_from, float(wall.numpy()), run.curve)


def _crossed(previous: int, current: int, period: int) -> bool:
    """Whether a multiple of `period` lies in (previous, current]."""
    return current // period > previous // period


def delete_run_outputs(paths: Sequence[str]) -> None:
    """Deletes those of `paths` that exist (folders with their content; a link, not what it
    points to), warning with their names."""
    existing = [path for path in paths if os.path.lexists(path)]
    if not existing:
        return
    warnings.warn(f"overwrite=True: deleting {', '.join(existing)}")
    for path in existing:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def checked_stored_settings(settings_file: str, asked: Mapping[str, Any],
                            holds_work: bool) -> Any:
    """The settings stored in `settings_file` (None if there is none), after checking `asked`
    against them (`check_same_run`) when the run's folder `holds_work`; a folder holding work
    but no settings, or unreadable settings, is refused."""
    output_dir = os.path.dirname(settings_file)
    stored = None
    if os.path.exists(settings_file):
        with open(settings_file, encoding="utf-8") as file:
            try:
                stored = json.load(file)
            except json.JSONDecodeError as error:
                raise ValueError(f"{settings_file} is not valid JSON ({error}); "
                                 f"{START_AFRESH}") from error
    if holds_work:
        if stored is None:
            raise ValueError(f"{output_dir} holds checkpoints or a learning curve but no"
                             f" {SETTINGS_FILE} to check this run's settings against;"
                             f" {START_AFRESH}")
        check_same_run(stored, asked, output_dir)
    return stored


def check_same_run(stored: Mapping[str, Any], asked: Mapping[str, Any], where: str) -> None:
    """A `ValueError` unless the run `asked` for resumes or continues the `stored` one."""
    stored_steps, asked_steps = stored.get("environment_steps", 0), asked["environment_steps"]
    if asked_steps < stored_steps:
        raise ValueError(f"{where} holds a run set to {stored_steps} environment steps, and this"
                         f" one asks for {asked_steps}: ask for at least {stored_steps} to resume"
                         f" or continue it, or, {START_AFRESH}")
    free = {"environment_steps", *(OBSERVATION_PERIODS if asked_steps > stored_steps else ())}
    differences = [f"{key}: {stored.get(key)!r} in the stored run, {asked.get(key)!r} now"
                   for key in sorted(stored.keys() | asked.keys())
                   if key not in free and stored.get(key) != asked.get(key)]
    if differences:
        raise ValueError(f"{where} holds a run with other settings ({'; '.join(differences)}):"
                         f" rerun with its settings to resume it, or, {START_AFRESH}")


def trained_steps(output_dir: str) -> int:
    """The environment steps of the newest checkpoint `train` saved in `output_dir` (0 if none)."""
    newest = _checkpoint_prefixes(os.path.join(output_dir, "checkpoints"))[:1]
    return int(newest[0].rsplit("-", 1)[1]) if newest else 0


def restore_trained(learner: Learner, output_dir: str) -> int:
    """Restores into `learner` the newest checkpoint `train` saved in `output_dir` (e.g. to serve
    or evaluate its policy without training on); returns its environment steps."""
    newest = _checkpoint_prefixes(os.path.join(output_dir, "checkpoints"))
    if not newest:
        raise ValueError(f"{output_dir} holds no checkpoint of a training run")
    tf.train.Checkpoint(**learner.checkpoint_objects()).read(newest[0]).expect_partial()
    return int(learner.environment_steps.numpy())


def _checkpoint_prefixes(folder: str) -> list[str]:
    """The checkpoints (`folder/ckpt-N`) in `folder`, newest (largest N) first."""
    numbered = []
    for path in glob.glob(os.path.join(glob.escape(folder), "ckpt-*.index")):
        match = re.fullmatch(r"ckpt-(\d+)\.index", os.path.basename(path))
        if match:
            numbered.append((int(match.group(1)), path.removesuffix(".index")))
    return [prefix for _, prefix in sorted(numbered, reverse=True)]


def _read_error(prefix: str) -> str | None:
    """Why the checkpoint `prefix` cannot be read in full, or None if it can."""
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, RuntimeError, IndexError, ValueError) as error:
        return str(error).strip().splitlines()[0]
    return None


class _Run:
    """The output directory of a run: settings, checkpoints, summaries and the learning curve."""

    def __init__(self, learner: Learner, wall: tf.Variable, output_dir: str | None,
                 max_checkpoints: int, settings: Mapping[str, Any], overwrite: bool):
        self._learner = learner
        self._output_dir = output_dir
        self.curve: list[CurvePoint] = []  # every evaluation of the run, across restarts
        if output_dir is None:
            return
        self._checkpoint_dir = os.path.join(output_dir, "checkpoints")
        self._summary_dir = os.path.join(output_dir, "summaries")
        self._settings_file = os.path.join(output_dir, SETTINGS_FILE)
        self._curve_file = os.path.join(output_dir, CURVE_FILE)
        if overwrite:
            delete_run_outputs([self._checkpoint_dir, self._summary_dir, self._curve_file,
                                self._settings_file])
        for folder in (self._checkpoint_dir, self._summary_dir):
            os.makedirs(folder, exist_ok=True)
        for path in (self._settings_file, os.path.join(self._checkpoint_dir, "checkpoint")):
            check_writable(path, overwrite=True)  # fail before training, not at the first save
        asked = json.loads(json.dumps(settings, allow_nan=False))  # tuples as lists, etc.
        stored = self._checked_settings(asked)
        self._checkpoint = tf.train.Checkpoint(wall_seconds=wall, **learner.checkpoint_objects())
        self._restore()
        if stored != asked:
            with atomic_writer(self._settings_file, overwrite=True) as file:
                json.dump(asked, file, indent=1, sort_keys=True)
        self._manager = tf.train.CheckpointManager(self._checkpoint, self._checkpoint_dir,
                                                   max_checkpoints)
        self._writer = tf.summary.create_file_writer(self._summary_dir)
        self._pending: list[tuple[int, str, float]] = []  # summaries until the next save
        self.curve = self._restored_curve()

    def _checked_settings(self, asked: Mapping[str, Any]) -> Any:
        """The stored run's settings, after checking `asked` against them if it holds work."""
        holds_work = (os.path.exists(self._curve_file)
                      or glob.glob(os.path.join(glob.escape(self._checkpoint_dir), "ckpt-*")))
        return checked_stored_settings(self._settings_file, asked, bool(holds_work))

    def _restore(self) -> None:
        """Restores the newest readable checkpoint, moving newer unreadable ones aside."""
        newest_first = _checkpoint_prefixes(self._checkpoint_dir)
        unreadable = []
        for prefix in newest_first:
            error = _read_error(prefix)
            if error is None:
                break
            warnings.warn(f"{prefix} is unreadable ({error}); trying the previous checkpoint")
            unreadable.append(prefix)
        if len(unreadable) == len(newest_first):
            if unreadable:
                raise ValueError(f"no readable checkpoint in {self._checkpoint_dir} (its files are"
                                 f" left as they are); {START_AFRESH}")
            return
        if unreadable:
            aside = tempfile.mkdtemp(prefix="unreadable-", dir=self._checkpoint_dir)
            for damaged in unreadable:
                for path in glob.glob(f"{glob.escape(damaged)}.*"):
                    os.replace(path, os.path.join(aside, os.path.basename(path)))
            warnings.warn(f"moved the unreadable checkpoints' files to {aside}; restoring {prefix}")
        else:
            state = tf.train.get_checkpoint_state(self._checkpoint_dir)
            named = state and os.path.basename(state.model_checkpoint_path)
            if named != os.path.basename(prefix):
                said = f"names {named}" if named else "is missing or unreadable"
                warnings.warn(f"the checkpoint state file in {self._checkpoint_dir} {said};"
                              f" restoring the newest readable checkpoint, {prefix}")
        self._checkpoint.restore(prefix).assert_consumed()

    def _restored_curve(self) -> list[CurvePoint]:
        """The curve points up to the restored step (later ones were lost with the process)."""
        if not os.path.exists(self._curve_file):
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
        kept = [point for point in curve if point.environment_steps <= steps]
        if len(kept) < len(curve):
            self._write_curve(kept)
        return kept

    def record(self, point: CurvePoint) -> None:
        self.curve.append(point)
        if self._output_dir is None:
            return
        self._write_curve(self.curve)
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
        with atomic_writer(self._curve_file, overwrite=True) as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(CURVE_FIELDS)
            writer.writerows(curve)
