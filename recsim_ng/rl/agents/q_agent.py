"""`QAgent`: the TF-Agents agent SlateQ and full-slate Q share.

An off-policy agent trained from replayed pairs of consecutive steps (`train_sequence_length`
2, e.g. through `recsim_ng.rl.collect.ReplayLearner`): step 0 of each pair is the transition's
state and slate, step 1 the next state and the slate served there (SARSA's next action). A
transition whose first step is `LAST` crosses into the user's next episode and never trains.
`train` takes one Adam step on the weighted loss of the batch (none when every weight is 0: Adam
would still move on a zero gradient), counts the step in `train_step_counter` and copies the
online network to the target network every `target_update_period` train steps.

`policy` serves the online network's best slate (a `SlateFunctionPolicy`, so TF-Agents'
`GreedyPolicy` works on it); `collect_policy` replaces it by a uniformly random slate with
probability epsilon, a constant or a linear decay over the train steps. Every draw comes from
stateless seeds, and everything the agent learns or counts is a variable it tracks, so
`tf.train.Checkpoint(agent=agent)` restores it to continue exactly.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from typing import NamedTuple, Sequence

import tensorflow as tf
from tf_agents.agents import data_converter, tf_agent
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.lib.checks import is_size
from recsim_ng.lib.optimizers import Adam
from recsim_ng.rl.agents.slate_policy import (EpsilonGreedySlatePolicy, SlateFunctionPolicy,
                                              linear_epsilon)
from recsim_ng.rl.agents.slate_spec import slate_shape
from recsim_ng.rl.agents.train_step import own_train_step_counter


@dataclasses.dataclass(frozen=True)
class QLearningConfig:
    """The hyperparameters every Q agent has."""

    gamma: float = 0.99  # v1's discount
    learning_rate: float = 1e-3  # Adam
    epsilon: float = 0.1  # the collect policy's exploration rate (after any decay)
    # With epsilon_decay_steps > 0, epsilon falls linearly from epsilon_start to `epsilon` over
    # that many train steps (Dopamine's linearly_decaying_epsilon); 0 keeps it constant.
    epsilon_start: float = 1.0
    epsilon_decay_steps: int = 0
    target_update_period: int = 100  # train steps between target network copies
    hidden: Sequence[int] = (64, 32)
    # v1's bug (its issue #26): the target network sees the current states, not the next ones.
    v1_target_on_current_states: bool = False

    def __post_init__(self):
        checks = {"gamma": 0.0 <= self.gamma <= 1.0,
                  "learning_rate": 0.0 < self.learning_rate < math.inf,
                  "epsilon": 0.0 <= self.epsilon <= 1.0,
                  "epsilon_start": 0.0 <= self.epsilon_start <= 1.0,
                  "epsilon_decay_steps": is_size(self.epsilon_decay_steps, 0),
                  "target_update_period": is_size(self.target_update_period, 1),
                  "hidden": all(is_size(size, 1) for size in self.hidden)}
        for name, valid in checks.items():
            if not valid:
                raise ValueError(f"{type(self).__name__}.{name} is out of range: got"
                                 f" {getattr(self, name)!r}")


def check_config(config: object, config_class: type) -> None:
    """A `ValueError` unless `config` is a `config_class`."""
    if not isinstance(config, config_class):
        raise ValueError(f"config must be a {config_class.__name__}, got {config!r}")


class QLossExtra(NamedTuple):
    """`LossInfo.extra` of a Q agent: the total weight of the transitions the loss averages
    (0: nothing trained)."""

    weight: tf.Tensor


class Transitions(NamedTuple):
    """A batch of transitions `[B, ...]`: the state, the slate served there, the next state and
    the slate served at the next state (candidate indices from 0)."""

    time_step: ts.TimeStep
    slate: tf.Tensor
    next_step: ts.TimeStep
    next_slate: tf.Tensor


class QAgent(tf_agent.TFAgent, abc.ABC):
    """The shared Q agent; subclasses define the best slate and the per-transition losses."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 network: tf.Module, target_network: tf.Module, config: QLearningConfig,
                 seed: seeds.Seed = 0, train_step_counter: tf.Variable | None = None,
                 name: str | None = None):
        """`target_network` must have `network`'s variables in the same order; `seed` seeds
        the collect policy's exploration."""
        check_config(config, QLearningConfig)
        shapes = [[v.shape for v in net.trainable_variables] for net in (network, target_network)]
        if shapes[0] != shapes[1]:
            raise ValueError(f"target_network's variables {shapes[1]} do not match network's"
                             f" {shapes[0]}")
        tf.Module.__init__(self, name=name)
        self._shape = slate_shape(action_spec)
        self._config = config
        self._network, self._target_network = network, target_network
        self._optimizer = Adam(network.trainable_variables, config.learning_rate)
        train_step_counter = own_train_step_counter(train_step_counter)
        policy = SlateFunctionPolicy(
            time_step_spec, action_spec,
            lambda observation: self.best_slate(self._network, observation),
            tuple(network.trainable_variables))
        epsilon = config.epsilon
        if config.epsilon_decay_steps:
            epsilon = linear_epsilon(train_step_counter, config.epsilon_start, config.epsilon,
                                     config.epsilon_decay_steps)
        collect_policy = EpsilonGreedySlatePolicy(policy, epsilon, seed)
        super().__init__(time_step_spec, action_spec, policy, collect_policy,
                         train_sequence_length=2, train_step_counter=train_step_counter)
        self._as_transition = data_converter.AsTransition(self.data_context,
                                                          squeeze_time_dim=True)
        self._copy_to_target()

    @property
    def network(self) -> tf.Module:
        """The online network."""
        return self._network

    @property
    def target_network(self) -> tf.Module:
        """The target network, a periodic copy of the online one."""
        return self._target_network

    @property
    def config(self) -> QLearningConfig:
        """The agent's hyperparameters."""
        return self._config

    @abc.abstractmethod
    def best_slate(self, network: tf.Module, observation: types.NestedTensor) -> tf.Tensor:
        """`[B, k]`: the slate (candidate indices from 0) that `network` rates best."""

    @abc.abstractmethod
    def transition_losses(self, transitions: Transitions) -> tuple[tf.Tensor, tf.Tensor]:
        """`[B]` losses of the transitions under the online network (targets from
        `target_values`, gradient-free) and `[B]` weights (0: the transition does not train)."""

    def target_values(self, transitions: Transitions) -> tf.Tensor:
        """The target network's values at the next states (at the current ones under
        `v1_target_on_current_states`, as v1 computed them)."""
        states = (transitions.time_step if self._config.v1_target_on_current_states
                  else transitions.next_step)
        return self._target_network(states.observation)

    def transitions(self, experience: trajectory.Trajectory) -> Transitions:
        """The transitions of `experience` `[B, 2, ...]` (checked against the agent's specs)."""
        time_step, action_step, next_step = self._as_transition(experience)
        return Transitions(time_step, tf.cast(action_step.action, tf.int32), next_step,
                           tf.cast(experience.action[:, 1], tf.int32))

    def _initialize(self) -> None:
        self._copy_to_target()

    def _loss(self, experience: trajectory.Trajectory, weights: types.Tensor | None = None,
              training: bool = False) -> tf_agent.LossInfo:
        """The weighted mean loss of the batch's transitions; those starting at a `LAST` step
        weigh 0, and `weights` (scalar or `[B]`) multiply the rest."""
        del training  # The networks behave the same in training.
        transitions = self.transitions(experience)
        losses, transition_weights = self.transition_losses(transitions)
        transition_weights *= tf.cast(~transitions.time_step.is_last(), tf.float32)
        if weights is not None:
            transition_weights *= tf.cast(weights, tf.float32)
        total = tf.reduce_sum(transition_weights)
        loss = tf.math.divide_no_nan(tf.reduce_sum(transition_weights * losses), total)
        return tf_agent.LossInfo(loss, QLossExtra(total))

    def _train(self, experience: trajectory.Trajectory,
               weights: types.Tensor | None = None) -> tf_agent.LossInfo:
        variables = self._network.trainable_variables
        with tf.GradientTape() as tape:
            loss_info = self._loss(experience, weights, training=True)
        gradients = tape.gradient(loss_info.loss, variables)
        tf.cond(loss_info.extra.weight > 0.0,
                lambda: _done(self._optimizer.apply(gradients)), lambda: _done(None))
        step = self.train_step_counter.assign_add(1)
        tf.cond(step % self._config.target_update_period == 0,
                lambda: _done(self._copy_to_target()), lambda: _done(None))
        return loss_info

    def _copy_to_target(self) -> None:
        for target, online in zip(self._target_network.trainable_variables,
                                  self._network.trainable_variables):
            target.assign(online)


def _done(_: None) -> tf.Tensor:
    """A value for a `tf.cond` branch run for its effects."""
    return tf.constant(True)
