"""Deprecated alias, kept for one release: `python -m recsim_ng train
--config=configs/recsim_v1.py:TASK,AGENT` (or `evaluate` for a fixed policy) replaces
`python -m recsim_ng.applications.recsim_v1.run_experiment --task=TASK --agent=AGENT`.

It runs the same `run_experiment` and prints the evaluation as JSON (mean return, 95% CI
half-width, users, training steps and wall time). With `--output_dir`, checkpoints, TensorBoard
summaries and `learning_curve.csv` go there, and a rerun with the same flags resumes from the
latest checkpoint (more `--environment_steps` continue the run). A rerun with other settings is
refused with a one-line message naming them; `--overwrite` deletes the stored run.
"""

from __future__ import annotations

import json
import sys
from typing import Sequence

from absl import app, flags

from recsim_ng.applications.recsim_v1.experiments import (AGENTS, POLICIES, TASKS,
                                                         TRAINING_RESTART, run_experiment)
from recsim_ng.lib.machine import machine_info

_TASK = flags.DEFINE_enum("task", "interest_evolution", list(TASKS), "The v1 environment.")
_AGENT = flags.DEFINE_enum("agent", "slate_q", list(AGENTS), "The agent.")
_STEPS = flags.DEFINE_integer("environment_steps", 2000,
                              "Training steps (one action for every training user); ignored"
                              " for agents that do not learn.")
_TRAIN_USERS = flags.DEFINE_integer("train_users", 256, "Users acting in parallel in training.")
_EVAL_USERS = flags.DEFINE_integer("eval_users", 5000, "Fresh users of the final evaluation.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of training, learning-curve and evaluation users.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Checkpoints, summaries, learning curve.")
_CURVE_POINTS = flags.DEFINE_integer("curve_points", 10, "Learning-curve evaluations.")
_CURVE_USERS = flags.DEFINE_integer("curve_users", 1000, "Users of each curve evaluation.")
_NUM_CANDIDATES = flags.DEFINE_integer("num_candidates", None,
                                       "Candidates per step (default: the task's).")
_SLATE_SIZE = flags.DEFINE_integer("slate_size", None, "Slate size (default: the task's).")
_CHECKPOINT_EVERY = flags.DEFINE_integer("checkpoint_every", 1000,
                                         "Environment steps between checkpoints.")
_TRAINING_RESTART = flags.DEFINE_enum(
    "training_restart", TRAINING_RESTART, ["together", "per_user"],
    "How training users restart: all once every user has finished, or each on its own.")
_WEIGH_EPISODE_STEPS = flags.DEFINE_bool(
    "weigh_episode_steps", False,
    "SlateQ and full-slate Q: weigh every step of the episode the same in training, however few"
    " users reach it (what synchronous episodes do implicitly).")
_OVERWRITE = flags.DEFINE_bool("overwrite", False,
                               "Delete the run stored in --output_dir and start afresh.")


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    mode = "evaluate" if _AGENT.value in POLICIES else "train"
    print(f"run_experiment is deprecated: use `python -m recsim_ng {mode}"
          f" --config=configs/recsim_v1.py:{_TASK.value},{_AGENT.value}`", file=sys.stderr)
    steps = 0 if _AGENT.value in POLICIES else _STEPS.value
    try:
        result = run_experiment(_TASK.value, _AGENT.value, steps, _TRAIN_USERS.value,
                                _EVAL_USERS.value, _SEED.value, _OUTPUT_DIR.value,
                                _CURVE_POINTS.value, _CURVE_USERS.value, _NUM_CANDIDATES.value,
                                _SLATE_SIZE.value, _TRAINING_RESTART.value,
                                _WEIGH_EPISODE_STEPS.value,
                                checkpoint_every=_CHECKPOINT_EVERY.value,
                                overwrite=_OVERWRITE.value)
    except (ValueError, OSError) as error:  # bad settings or output folder: say which
        sys.exit(f"run_experiment: {error}")
    print(json.dumps({
        "task": result.task, "agent": result.agent,
        "num_candidates": result.num_candidates, "slate_size": result.slate_size,
        "environment_steps": result.environment_steps, "train_users": result.train_users,
        "mean_return": round(result.evaluation.mean_return, 3),
        "ci95_half_width": round(result.evaluation.ci95_half_width, 3),
        "eval_users": result.evaluation.num_users,
        "train_seconds": round(result.train_seconds, 1),
        "machine": machine_info(),
    }))


if __name__ == "__main__":
    app.run(main)
