"""The RecSim v1 tasks with their agents (`recsim_ng.applications.recsim_v1.experiments`):
train a learner, evaluate it (or a fixed policy) against random, simulate its policy."""

from __future__ import annotations

import os

import numpy as np
from ml_collections import ConfigDict
from tf_agents.policies import tf_policy

from recsim_ng.applications.recsim_v1 import experiments
from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome, check_training_progress
from recsim_ng.cli.plots import over_time, point
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.lib import seeds
from recsim_ng.rl.evaluation import EvaluationResult
from recsim_ng.rl.training import CurvePoint, restore_trained, trained_steps

TRAIN_FOLDER = "train"  # checkpoints, TensorBoard summaries and learning_curve.csv of training
KEYS: dict[str, checks.Check] = {
    "task": checks.one_of(*experiments.TASKS),
    "agent": checks.one_of(*experiments.AGENTS),
    "environment_steps": checks.size(0),
    "train_users": checks.size(),
    "eval_users": checks.size(2),
    "simulate_users": checks.size(2),
    "curve_points": checks.size(0),
    "curve_users": checks.size(2),
    "num_candidates": checks.size(0),
    "slate_size": checks.size(0),
    "training_restart": checks.one_of("together", "per_user"),
    "weigh_episode_steps": checks.boolean,
    "checkpoint_every": checks.size(),
}
# More steps continue a run; the rest only say how the run is looked at.
MAY_DIFFER = ("environment_steps", "eval_users", "simulate_users", "checkpoint_every")


def check(config: ConfigDict) -> None:
    """The agent suits the task, learns if asked to train, and slates fit the candidates."""
    task = experiments.task_at(config.task, config.num_candidates or None,
                               config.slate_size or None)
    try:
        experiments.check_agent(task, config.agent, config.weigh_episode_steps)
    except ValueError as error:
        raise checks.ConfigError(f"config.agent={config.agent!r}: {error}") from None
    if task.slate_size > task.num_candidates:
        raise checks.ConfigError(f"config.slate_size must be <= the candidates"
                                 f" ({task.num_candidates}), got {task.slate_size}")
    learns = config.agent in experiments.LEARNERS
    if not learns and config.environment_steps:
        raise checks.ConfigError(f"config.environment_steps must be 0: config.agent="
                                 f"{config.agent!r} does not learn")
    if learns and not config.environment_steps:
        raise checks.ConfigError(f"config.environment_steps must be >= 1 for config.agent="
                                 f"{config.agent!r}, which learns")


def check_mode(mode: str, config: ConfigDict) -> None:
    """Only learners train; a learner is evaluated once trained to `environment_steps`, and its
    training cannot go back."""
    learns = config.agent in experiments.LEARNERS
    if mode == "train" and not learns:
        raise checks.ConfigError(f"config.agent={config.agent!r} does not learn: run simulate or"
                                 " evaluate")
    if learns:
        trained = trained_steps(os.path.join(config.run_dir, TRAIN_FOLDER))
        check_training_progress(mode, config, trained, "environment_steps")


def train(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """Trains the learner (resuming or continuing the run in the folder), then evaluates it on
    `eval_users` fresh users; the learning curve is plotted."""
    done = trained_steps(folder.file(TRAIN_FOLDER))
    with progress.bar(config.environment_steps, f"training {config.agent}") as bar:
        bar.update(done)

        def moved(steps: int, last: CurvePoint | None) -> None:
            bar.update(steps - bar.n)
            if last is not None:
                bar.set_postfix(mean_return=f"{last.mean_return:.2f}")

        trained = experiments.train_agent(
            config.task, config.agent, config.environment_steps, config.train_users,
            config.seed, folder.file(TRAIN_FOLDER), config.curve_points, config.curve_users,
            config.num_candidates or None, config.slate_size or None, config.training_restart,
            config.weigh_episode_steps, checkpoint_every=config.checkpoint_every, progress=moved)
    evaluation = EvaluationResult.of(_step_rewards(config, trained.policy, trained.task,
                                                   config.eval_users, progress, config.agent))
    records = [point("learning_curve", config.agent, curve.environment_steps, curve.mean_return,
                     curve.ci95_half_width) for curve in trained.curve]
    summary = {"task": config.task, "agent": config.agent,
               "environment_steps": trained.environment_steps,
               "train_users": trained.train_users, "train_seconds": round(trained.train_seconds, 1),
               "mean_return": evaluation.mean_return, "ci95_half_width": evaluation.ci95_half_width,
               "eval_users": evaluation.num_users}
    return ModeOutcome(summary, records)


def evaluate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """The trained (or fixed) policy and the random one on the same `eval_users` fresh users:
    mean returns, the difference in standard errors, reward over time."""
    policy, task, steps = _policy(config, folder)
    return _compare(config, policy, task, steps, config.eval_users, progress)


def simulate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """The policy as it stands (a learner's latest checkpoint in the folder, else its untrained
    start) and the random one on `simulate_users` users: reward over time, returns."""
    policy, task, steps = _policy(config, folder)
    return _compare(config, policy, task, steps, config.simulate_users, progress)


def _compare(config: ConfigDict, policy: tf_policy.TFPolicy, task: experiments.Task,
             trained: int, users: int, progress: Progress) -> ModeOutcome:
    random = experiments.make_agent(task, "random", task.environment(1),
                                    seeds.fold_in(seeds.as_seed(config.seed), 4))
    records, results = [], {}
    for name, candidate in ((config.agent, policy), ("random", random)):
        rewards = _step_rewards(config, candidate, task, users, progress, name)
        results[name] = EvaluationResult.of(rewards)
        records += over_time("reward_over_time", name, rewards)  # users still in their episode
    ours, baseline = results[config.agent], results["random"]
    summary = {"task": config.task, "agent": config.agent, "environment_steps": trained,
               "users": users,
               "mean_return": ours.mean_return, "ci95_half_width": ours.ci95_half_width,
               "random_mean_return": baseline.mean_return,
               "random_ci95_half_width": baseline.ci95_half_width,
               "difference_in_standard_errors": (ours.mean_return - baseline.mean_return)
               / (np.hypot(ours.ci95_half_width, baseline.ci95_half_width) / 1.96)}
    return ModeOutcome(summary, records)


def _step_rewards(config: ConfigDict, policy: tf_policy.TFPolicy, task: experiments.Task,
                  users: int, progress: Progress, name: str) -> np.ndarray:
    """`[steps, users]` rewards of one episode of fresh users (the final evaluation's users)."""
    with progress.bar(1, f"evaluating {name} on {users} users", unit="episode") as bar:
        rewards = experiments.final_evaluator(task, users, config.seed).step_rewards(policy)
        bar.update()
    return rewards


def _policy(config: ConfigDict,
            folder: RunFolder) -> tuple[tf_policy.TFPolicy, experiments.Task, int]:
    """The agent's policy, the task and the training steps behind the policy: fixed (0),
    restored from the folder's training, or untrained (0)."""
    task, made = experiments.build_agent(
        config.task, config.agent, config.train_users, config.seed,
        config.num_candidates or None, config.slate_size or None, config.training_restart,
        config.weigh_episode_steps)
    if isinstance(made, tf_policy.TFPolicy):
        return made, task, 0
    trained = 0
    if trained_steps(folder.file(TRAIN_FOLDER)):
        trained = restore_trained(made, folder.file(TRAIN_FOLDER))
    return made.policy, task, trained


MODES = {"train": train, "evaluate": evaluate, "simulate": simulate}
