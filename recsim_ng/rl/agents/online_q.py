"""`OnlineQLearner`: the training loop SlateQ and full-slate Q share.

Every `train_step` plays one environment step in every user's episode (batch row) with the
epsilon-greedy collect policy and takes one Adam step on that batch of transitions (none if no
transition of the batch trains, e.g. the step that restarts every episode); a target network is
copied from the online one every `target_update_period` environment steps. The slate served at
step t + 1 is chosen right after step t, before the update, and kept: it is the next action
SARSA targets need, and it makes the run a pure function of the seed and the step count, so a
learner restored from a checkpoint continues exactly.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from typing import Sequence

import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.lib.optimizers import Adam
from recsim_ng.rl.agents.slate_policy import EpsilonGreedySlatePolicy, SlateFunctionPolicy
from recsim_ng.rl.agents.slate_spec import slate_shape
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment


@dataclasses.dataclass(frozen=True)
class QLearningConfig:
    """The hyperparameters every online Q learner has."""

    gamma: float = 0.99  # v1's discount
    learning_rate: float = 1e-3  # Adam
    epsilon: float = 0.1  # exploration rate of the collect policy
    target_update_period: int = 100  # training steps between target network copies
    hidden: Sequence[int] = (64, 32)
    # v1's bug (its issue #26): the target network sees the current states, not the next ones.
    v1_target_on_current_states: bool = False

    def __post_init__(self):
        checks = {"gamma": 0.0 <= self.gamma <= 1.0, "learning_rate": 0.0 < self.learning_rate < math.inf,
                  "epsilon": 0.0 <= self.epsilon <= 1.0,
                  "target_update_period": self.target_update_period >= 1,
                  "hidden": all(size >= 1 for size in self.hidden)}
        for name, valid in checks.items():
            if not valid:
                raise ValueError(f"{type(self).__name__}.{name} is out of range: got"
                                 f" {getattr(self, name)!r}")


class OnlineQLearner(abc.ABC):
    """The shared loop; subclasses define the greedy slate and the loss of a batch."""

    def __init__(self, env: TFAgentsEnvironment, network: tf.Module, target_network: tf.Module,
                 config: QLearningConfig, seed: seeds.Seed):
        self._env = env
        self._shape = slate_shape(env.action_spec())
        self._config = config
        self._seed = seeds.as_seed(seed)
        self.network, self._target = network, target_network
        self._copy_to_target()
        self._optimizer = Adam(network.trainable_variables, config.learning_rate)
        self.environment_steps = tf.Variable(0, dtype=tf.int64, trainable=False)
        specs = (env.time_step_spec(), env.action_spec())
        self.policy = SlateFunctionPolicy(
            *specs, lambda observation: self.greedy_slate(self.network, observation),
            tuple(network.trainable_variables))
        self._collect_policy = EpsilonGreedySlatePolicy(self.policy, config.epsilon)
        self._next_slate = tf.Variable(self._collect(env.current_time_step(), 0),
                                       trainable=False)

    @abc.abstractmethod
    def greedy_slate(self, network: tf.Module, observation: types.NestedTensor) -> tf.Tensor:
        """`[B, k]`: the slate (candidate indices from 0) that `network` rates best."""

    @abc.abstractmethod
    def loss(self, time_step: ts.TimeStep, slate: tf.Tensor, next_step: ts.TimeStep,
             next_slate: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The loss of one batch of transitions and the total weight of the transitions it
        averages (0: nothing to learn), with `self.network` online and `target_q` as target;
        slates are candidate indices from 0."""

    def target_q(self, time_step: ts.TimeStep, next_step: ts.TimeStep) -> tf.Tensor:
        """The target network's values at the next states (at the current ones under
        `v1_target_on_current_states`, as v1 computed them)."""
        states = time_step if self._config.v1_target_on_current_states else next_step
        return self._target(states.observation)

    def checkpoint_objects(self) -> dict[str, tf.Module | tf.Variable]:
        """Everything a `tf.train.Checkpoint` needs to resume this run exactly."""
        return {"network": self.network, "target_network": self._target,
                "optimizer": self._optimizer, "environment_steps": self.environment_steps,
                "next_slate": self._next_slate, "environment": self._env.checkpoint_state}

    @tf.function
    def train_step(self) -> dict[str, tf.Tensor]:
        """One environment step for every user and one update; returns scalar summaries."""
        step = self.environment_steps.assign_add(1)
        time_step = self._env.current_time_step()
        slate = self._next_slate.value()
        next_step = self._env.step(slate)
        next_slate = self._next_slate.assign(self._collect(next_step, step))
        minimum = self._shape.minimum
        variables = self.network.trainable_variables
        with tf.GradientTape() as tape:
            loss, weight = self.loss(time_step, tf.cast(slate, tf.int32) - minimum, next_step,
                                     tf.cast(next_slate, tf.int32) - minimum)
        gradients = tape.gradient(loss, variables)
        if weight > 0.0:  # Adam would move on a zero gradient (e.g. the restart transition).
            self._optimizer.apply(gradients)
        if step % self._config.target_update_period == 0:
            self._copy_to_target()
        active = tf.cast(~time_step.is_last(), tf.float32)
        return {"loss": loss,
                "reward_per_active_user": tf.reduce_sum(next_step.reward)
                / tf.maximum(tf.reduce_sum(active), 1.0)}

    def _collect(self, time_step: ts.TimeStep, step: tf.Tensor | int) -> tf.Tensor:
        return self._collect_policy.action(time_step, seed=seeds.fold_in(self._seed, step)).action

    def _copy_to_target(self) -> None:
        for target, online in zip(self._target.trainable_variables,
                                  self.network.trainable_variables):
            target.assign(online)
