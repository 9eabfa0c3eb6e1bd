"""Partially observable interest evolution (`recsim_ng.applications.interest_evolution`): simulate
the untrained collaborative-filtering recommender, train it by REINFORCE (resuming from the run
folder's checkpoints), evaluate the trained one against the untrained one on fresh users."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import tensorflow as tf
from ml_collections import ConfigDict

from recsim_ng.applications.interest_evolution.simulation import (
    create_interest_evolution_simulation_network)
from recsim_ng.applications.interest_evolution.training import (ReinforceTrainer,
                                                                TrainingResult, rewards_of)
from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome, check_training_progress
from recsim_ng.cli.plots import choice_shares, over_time, point
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.core import Network
from recsim_ng.lib import memory, seeds
from recsim_ng.lib.runtime import TFRuntime

CHECKPOINT_FOLDER = "checkpoints"  # the training state: variables, optimizer, step, curve
KEYS: dict[str, checks.Check] = {
    "num_users": checks.size(2),
    "num_docs": checks.size(),
    "num_topics": checks.size(),
    "slate_size": checks.size(),
    "history_length": checks.size(),
    "horizon": checks.size(1, memory.MAX_STEPS),
    "num_training_steps": checks.size(),
    "learning_rate": checks.number(0.0, low_open=True),
    "eval_seed": checks.seed,
    "num_eval_batches": checks.size(),
    "clickbait_quality": checks.number(),
    "checkpoint_every": checks.size(),
    "jit_compile": checks.boolean,
}
# More steps continue a run; the rest only say how it is looked at, or how fast it runs.
MAY_DIFFER = ("num_training_steps", "num_eval_batches", "checkpoint_every", "jit_compile")
# What simulate and evaluate keep of each trajectory.
FIELDS = {"user_response": ["consumed_time", "choice"], "user_state": ["interest"],
          "slate_docs": ["doc_quality"]}


def check(config: ConfigDict) -> None:
    """Slates fit the corpus; evaluation users are fresh (not the training runs')."""
    if config.slate_size > config.num_docs:
        raise checks.ConfigError(f"config.slate_size must be <= config.num_docs="
                                 f"{config.num_docs}, got {config.slate_size}")
    if config.eval_seed == config.seed:
        raise checks.ConfigError(f"config.eval_seed must differ from config.seed={config.seed}"
                                 " (the training runs' seed), so that evaluation users are fresh")


def check_mode(mode: str, config: ConfigDict) -> None:
    """Evaluate needs the run folder trained to `num_training_steps`; train cannot go back."""
    trained = trained_steps(os.path.join(config.run_dir, CHECKPOINT_FOLDER))
    check_training_progress(mode, config, trained, "num_training_steps")


def trained_steps(checkpoint_folder: str) -> int:
    """The training steps of the newest checkpoint in `checkpoint_folder` (0 without one)."""
    newest = tf.train.latest_checkpoint(checkpoint_folder) if os.path.isdir(
        checkpoint_folder) else None
    return 0 if newest is None else int(tf.train.load_variable(
        newest, "step/.ATTRIBUTES/VARIABLE_VALUE"))


class _Training:
    """The network, its trainer and the checkpointed training state in a run folder."""

    def __init__(self, config: ConfigDict, folder: RunFolder):
        self.network, variables = _network(config)
        self.trainer = ReinforceTrainer(self.network, variables, config.horizon,
                                        config.learning_rate, jit_compile=config.jit_compile)
        self.step = tf.Variable(0, dtype=tf.int64, name="step")
        self.curve = tf.Variable(tf.zeros([0]), shape=tf.TensorShape([None]), name="curve")
        checkpoint = tf.train.Checkpoint(step=self.step, curve=self.curve,
                                         **self.trainer.checkpoint_objects())
        self.manager = tf.train.CheckpointManager(checkpoint, folder.file(CHECKPOINT_FOLDER, ""),
                                                  max_to_keep=2)

    def restore(self) -> int:
        """Restores the newest checkpoint, if any; the steps it holds."""
        if self.manager.latest_checkpoint is not None:
            self.manager.checkpoint.restore(
                self.manager.latest_checkpoint).assert_existing_objects_matched()
        return int(self.step.numpy())

    def save(self, curve: list[float]) -> None:
        """A checkpoint after `len(curve)` steps whose learning curve is `curve`."""
        self.step.assign(len(curve))
        self.curve.assign(curve)
        self.manager.save(checkpoint_number=len(curve))


def simulate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """The untrained recommender on `num_eval_batches` batches of fresh users (the users
    evaluate scores): reward over time, interest per topic, choices by slot, the share of
    clickbait in slates."""
    del folder
    network, _ = _network(config)
    rollout = _rollout(config, network, progress, "untrained")
    return ModeOutcome({**_rollout_summary(config, rollout, ""), "horizon": config.horizon},
                       _rollout_records(config, rollout, "untrained"))


def train(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """REINFORCE for `num_training_steps` steps, continuing the run folder's newest checkpoint;
    the learning curve is each step's mean cumulative reward of the batch's users."""
    training = _Training(config, folder)
    done = training.restore()
    curve = [float(value) for value in training.curve.numpy()]
    start = time.perf_counter()
    with progress.bar(config.num_training_steps, "training (REINFORCE)") as bar:
        bar.update(done)
        for step in range(done, config.num_training_steps):
            curve.append(float(training.trainer.train(1, config.seed, first_step=step)[0]))
            bar.update()
            bar.set_postfix(mean_reward=f"{curve[-1]:.2f}")
            if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.num_training_steps:
                training.save(curve)
    episode_steps = config.num_users * config.horizon
    records = [point("learning_curve", "REINFORCE", (step + 1) * episode_steps, value)
               for step, value in enumerate(curve)]
    window = min(10, len(curve))
    summary = {"training_steps": len(curve), "resumed_from_step": done,
               "train_seconds": round(time.perf_counter() - start, 1),
               f"mean_reward_first_{window}_steps": float(np.mean(curve[:window])),
               f"mean_reward_last_{window}_steps": float(np.mean(curve[-window:])),
               "checkpoint": training.manager.latest_checkpoint}
    return ModeOutcome(summary, records)


def evaluate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """The untrained and the trained recommender on the same fresh users: mean cumulative
    rewards, the paired difference with its standard error, both policies' plots."""
    training = _Training(config, folder)
    rollouts = {"untrained": _rollout(config, training.network, progress, "untrained")}
    training.restore()
    rollouts["trained"] = _rollout(config, training.network, progress, "trained")
    result = TrainingResult(training.curve.numpy(), rollouts["untrained"]["returns"],
                            rollouts["trained"]["returns"])
    summary: dict[str, Any] = {"training_steps": int(training.step.numpy())}
    records = []
    for name, rollout in rollouts.items():
        summary.update(_rollout_summary(config, rollout, f"{name}_"))
        records += _rollout_records(config, rollout, name)
    standard_error = result.improvement_standard_error
    summary.update({"improvement": result.improvement,
                    "improvement_standard_error": standard_error,
                    "improvement_in_standard_errors": result.improvement / standard_error
                    if standard_error > 0 else float("nan")})
    return ModeOutcome(summary, records)


def _network(config: ConfigDict) -> tuple[Network, tuple[tf.Variable, ...]]:
    return create_interest_evolution_simulation_network(
        config.num_users, num_topics=config.num_topics, num_docs=config.num_docs,
        history_length=config.history_length, slate_size=config.slate_size)


def _rollout(config: ConfigDict, network: Network, progress: Progress,
             name: str) -> dict[str, np.ndarray]:
    """`num_eval_batches` trajectories of the network's users from `eval_seed` (batch k from the
    seed `ReinforceTrainer.user_returns` gives it): rewards and choices `[T, users]`, returns
    `[users]`, mean interest `[T, topics]`, slate qualities `[T, users, slate]`."""
    runtime = TFRuntime(network, jit_compile=config.jit_compile)
    run_seed = seeds.as_seed(config.eval_seed)
    batches = []
    with progress.bar(config.num_eval_batches, f"simulating the {name} recommender",
                      unit="batch") as bar:
        for batch in range(config.num_eval_batches):
            trajectory = runtime.trajectory(config.horizon, seeds.fold_in(run_seed, batch),
                                            fields=FIELDS)
            batches.append({"rewards": rewards_of(trajectory).numpy(),
                            "choice": trajectory["user_response"].get("choice").numpy(),
                            "interest": trajectory["user_state"].get("interest").numpy(),
                            "quality": trajectory["slate_docs"].get("doc_quality").numpy()})
            bar.update()
    joined = {key: np.concatenate([batch[key] for batch in batches], axis=1)
              for key in batches[0]}
    return {**joined, "returns": joined["rewards"].sum(axis=0),
            "interest": joined["interest"].mean(axis=1)}


def _rollout_summary(config: ConfigDict, rollout: dict[str, np.ndarray],
                     prefix: str) -> dict[str, Any]:
    returns = rollout["returns"]
    return {f"{prefix}users": returns.size,
            f"{prefix}mean_cumulative_reward": float(returns.mean()),
            f"{prefix}standard_error": float(returns.std(ddof=1) / np.sqrt(returns.size)),
            f"{prefix}click_rate": float(np.mean(rollout["choice"] < config.slate_size)),
            f"{prefix}clickbait_share": float(np.mean(rollout["quality"]
                                                      < config.clickbait_quality))}


def _rollout_records(config: ConfigDict, rollout: dict[str, np.ndarray],
                     name: str) -> list[dict[str, Any]]:
    """Reward per step (95% band over users), mean interest per topic, choices by slot."""
    records = over_time("reward_over_time", name, rollout["rewards"], first_step=0)
    records += [point("interest_trajectories", f"topic {topic} ({name})", step, value)
                for step, values in enumerate(rollout["interest"])
                for topic, value in enumerate(values)]
    records += choice_shares(name, rollout["choice"], config.slate_size)
    return records


MODES = {"simulate": simulate, "train": train, "evaluate": evaluate}
