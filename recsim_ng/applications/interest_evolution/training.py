"""Training the collaborative-filtering recommender by REINFORCE with a per-step baseline.

Each training step simulates one batch trajectory (one compiled call, XLA by default, that also
differentiates and updates) and ascends sum_t log pi(slate_t) * (G_t - b_t), where G_t is a
user's reward-to-go from step t (the slate at t only affects rewards from t on) and the baseline
b_t is the mean of G_t over the batch's users. The log-probabilities pi(slate_t) are the
runtime's recorded ones. With a `ShardedRuntime` on a `tf.distribute` strategy, each replica
simulates its users and the baseline and gradients are reduced across replicas, so a step
equals the one-device step (as the determinism contract defines equal).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from typing import Any, Sequence

import numpy as np
import tensorflow as tf

from recsim_ng.applications.interest_evolution.metrics import consumed_time_reward
from recsim_ng.applications.interest_evolution.simulation import (
    create_interest_evolution_simulation_network)
from recsim_ng.core import Network, Value
from recsim_ng.lib import seeds
from recsim_ng.lib.optimizers import Adam
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.sharding import ShardedRuntime


REWARD_FIELDS = {"user_response": ["consumed_time"]}  # All a training step keeps of a trajectory.


def rewards_of(trajectory: dict[str, Value]) -> tf.Tensor:
    """Per-step, per-user rewards `[T, U]` of a trajectory's responses."""
    return consumed_time_reward(trajectory["user_response"].get("consumed_time"))


def reinforce_objective(slate_log_probs: tf.Tensor, rewards: tf.Tensor,
                        replica_context: tf.distribute.ReplicaContext | None = None
                        ) -> tf.Tensor:
    """The surrogate loss whose gradient is minus the REINFORCE policy gradient.

    Both arguments are `[T, U]`; returns-to-go minus their per-step mean over users weight the
    log-probabilities, and no gradient flows through them. With a `replica_context` (users
    sharded across its replicas) the mean is over all replicas' users, and each replica's loss
    is its share: the replicas' losses add up to the whole batch's.
    """
    returns = tf.cumsum(rewards, axis=0, reverse=True)
    step_totals = tf.reduce_sum(returns, axis=1)
    num_users = tf.cast(tf.shape(returns)[1], returns.dtype)
    if replica_context is not None:
        step_totals = replica_context.all_reduce(tf.distribute.ReduceOp.SUM, step_totals)
        num_users *= replica_context.num_replicas_in_sync
    advantages = tf.stop_gradient(returns - step_totals[:, tf.newaxis] / num_users)
    return -tf.reduce_sum(slate_log_probs * advantages) / num_users


class ReinforceTrainer:
    """Trains a network's recommender on simulated trajectories of `horizon` steps.

    `network` is the network of the training batch's users, or a `ShardedRuntime` of them on a
    `tf.distribute` strategy (with `record_log_probs=True`; its shard network's variables, made
    under the strategy's scope, are the trainable ones). Replicas reduce their totals and
    gradients with collectives, which XLA does not compile: with a strategy each replica's step
    runs in graph mode whatever `jit_compile` says.
    """

    def __init__(self, network: Network | ShardedRuntime,
                 trainable_variables: Sequence[tf.Variable], horizon: int, learning_rate: float,
                 jit_compile: bool = True):
        self._sharded = network if isinstance(network, ShardedRuntime) else None
        if self._sharded is None:
            self._runtime = TFRuntime(network, record_log_probs=True)
        elif self._sharded.strategy is None or not self._sharded.runtime.records_log_probs:
            raise ValueError("a ShardedRuntime to train needs a tf.distribute strategy (the"
                             " baseline is a mean over all users) and record_log_probs=True")
        else:
            self._runtime = self._sharded.runtime
            jit_compile = False
        self._variables = list(trainable_variables)
        self._horizon = horizon
        with self._strategy_scope():
            self._optimizer = Adam(self._variables, learning_rate)
        # The runtime's trajectory becomes part of these functions, gradient included.
        compile_fn = functools.partial(tf.function, autograph=False, jit_compile=jit_compile)
        self._train_step = compile_fn(self._step if self._sharded is None else self._sharded_step)
        self._returns = compile_fn(self._user_returns)
        self.trace_count = 0  # Traces of the training step; stays 1 after the first step.

    @property
    def runtime(self) -> TFRuntime:
        return self._runtime

    def _strategy_scope(self) -> Any:
        strategy = None if self._sharded is None else self._sharded.strategy
        return strategy.scope() if strategy is not None else contextlib.nullcontext()

    def _objective_and_rewards(self, runtime: TFRuntime, seed: tf.Tensor,
                               replica_context: tf.distribute.ReplicaContext | None = None
                               ) -> tuple[tf.Tensor, tf.Tensor]:
        trajectory = runtime.trajectory(self._horizon, seed, fields=REWARD_FIELDS)
        rewards = rewards_of(trajectory)
        return reinforce_objective(trajectory.log_probs["slate_docs"].get("doc_ranks"), rewards,
                                   replica_context), rewards

    def _step(self, seed: tf.Tensor) -> tf.Tensor:
        self.trace_count += 1
        with tf.GradientTape() as tape:
            objective, rewards = self._objective_and_rewards(self._runtime, seed)
        self._optimizer.apply(tape.gradient(objective, self._variables))
        return tf.reduce_mean(tf.reduce_sum(rewards, axis=0))

    def _sharded_step(self, seed: tf.Tensor) -> tf.Tensor:
        self.trace_count += 1
        sharded, strategy = self._sharded, self._sharded.strategy
        total_users = sharded.local_users * sharded.num_shards

        def on_replica(seed: tf.Tensor) -> tuple[list[tf.Tensor], tf.Tensor]:
            context = tf.distribute.get_replica_context()
            with sharded.shard(context.replica_id_in_sync_group) as runtime:
                with tf.GradientTape() as tape:
                    objective, rewards = self._objective_and_rewards(runtime, seed, context)
            gradients = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                           tape.gradient(objective, self._variables))
            total = context.all_reduce(tf.distribute.ReduceOp.SUM, tf.reduce_sum(rewards))
            return gradients, total / total_users

        gradients, mean_return = strategy.run(on_replica, (seed,))
        local = strategy.experimental_local_results  # Every replica holds the reduced values.
        self._optimizer.apply([local(gradient)[0] for gradient in gradients])
        return local(mean_return)[0]

    def _user_returns(self, seed: tf.Tensor) -> tf.Tensor:
        runtime = self._runtime if self._sharded is None else self._sharded
        trajectory = runtime.trajectory(self._horizon, seed, fields=REWARD_FIELDS)
        return tf.reduce_sum(rewards_of(trajectory), axis=0)

    def train(self, num_steps: int, seed: seeds.Seed, first_step: int = 0) -> np.ndarray:
        """Runs `num_steps` updates, steps `first_step` onwards of the run of `seed` (so a run
        resumed at step k from a checkpoint continues as uninterrupted); returns each training
        step's mean cumulative reward."""
        run_seed = seeds.as_seed(seed)
        return np.array([float(self._train_step(seeds.fold_in(run_seed, step)))
                         for step in range(first_step, first_step + num_steps)])

    def checkpoint_objects(self) -> dict[str, Any]:
        """What a `tf.train.Checkpoint` of the training state holds: the trainable variables
        and the optimizer's state."""
        return {"variables": self._variables, "optimizer": self._optimizer}

    def user_returns(self, seed: seeds.Seed, num_batches: int = 1) -> np.ndarray:
        """Cumulative rewards of the current policy, one per simulated user, over
        `num_batches` trajectories (no update)."""
        run_seed = seeds.as_seed(seed)
        return np.concatenate([self._returns(seeds.fold_in(run_seed, batch)).numpy()
                               for batch in range(num_batches)])


@dataclasses.dataclass(frozen=True)
class TrainingResult:
    """The training curve and the paired before/after evaluation on fresh seeds."""

    curve: np.ndarray
    untrained_returns: np.ndarray
    trained_returns: np.ndarray

    @property
    def improvement(self) -> float:
        return float(np.mean(self.trained_returns - self.untrained_returns))

    @property
    def improvement_standard_error(self) -> float:
        difference = self.trained_returns - self.untrained_returns
        return float(np.std(difference, ddof=1) / np.sqrt(difference.size))


def train_and_evaluate(num_users: int = 200, num_docs: int = 100, horizon: int = 20,
                       history_length: int = 15, num_training_steps: int = 300,
                       learning_rate: float = 0.003, train_seed: int = 0, eval_seed: int = 1,
                       num_eval_batches: int = 5) -> TrainingResult:
    """Evaluates the untrained recommender, trains it, evaluates it on the same fresh seeds."""
    network, variables = create_interest_evolution_simulation_network(
        num_users, num_docs=num_docs, history_length=history_length)
    trainer = ReinforceTrainer(network, variables, horizon, learning_rate)
    untrained = trainer.user_returns(eval_seed, num_eval_batches)
    curve = trainer.train(num_training_steps, train_seed)
    trained = trainer.user_returns(eval_seed, num_eval_batches)
    return TrainingResult(curve, untrained, trained)


def main() -> None:
    start = time.perf_counter()
    result = train_and_evaluate()
    print("training steps  mean cumulative reward per user (mean over the 10 steps)")
    for step in range(0, result.curve.size, 10):
        print(f"{step:4d}-{step + 9:<4d}      {result.curve[step:step + 10].mean():.3f}")
    print(f"untrained {result.untrained_returns.mean():.3f}, trained"
          f" {result.trained_returns.mean():.3f} (mean cumulative reward over"
          f" {result.trained_returns.size} fresh users)")
    print(f"improvement {result.improvement:.3f} +- {result.improvement_standard_error:.3f}"
          f" ({result.improvement / result.improvement_standard_error:.1f} standard errors);"
          f" {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
