"""`TFAgentsEnvironment`: a network as a native batched TF-Agents environment, one batch row a user.

Each batch row is one user's stream of episodes (see `recsim_ng.rl.episodes`). A user whose
`done` turns true gets a `LAST` time step (discount 0); with `max_episode_steps`, a user whose
episode reaches that many steps is truncated: a `LAST` step with discount 1 (a time limit, not a
terminal state). What follows a `LAST` step depends on `restart`:

- `"per_user"` (the default): at the next `step` that user alone starts a new episode, TF-Agents'
  auto-reset convention: its time step is the `FIRST` of the new episode (reward 0, discount 1)
  and its action is ignored, while the other users step on. Users never idle.
- `"together"`: the user keeps getting `LAST` steps with reward 0 while the others play on; once
  every user's episode has ended, the next `step` ignores its action and starts a new episode for
  all users (`FIRST`).

Either way each row reads `FIRST, MID, ..., LAST, FIRST, ...` (with repeated `LAST`s while
waiting under `"together"`), so drivers and replay buffers see well-formed trajectories.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf
from tf_agents.environments import tf_environment
from tf_agents.policies import random_tf_policy
from tf_agents.specs import array_spec, tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.utils import nest_utils

from recsim_ng.core import Network
from recsim_ng.lib import seeds
from recsim_ng.rl.episodes import EpisodeRunner, EpisodeStep, FieldSelection
from recsim_ng.rl.specs import FieldRef, field_spec, to_tensor_spec

RESTARTS = ("per_user", "together")


class TFAgentsEnvironment(tf_environment.TFEnvironment):
    """A batched `TFEnvironment` (batch size = number of users) over `network`.

    The action spec is the per-user spec of the action variable's field; the observation spec
    is `{group: {name: spec}}` for the selected fields (`{variable: {field: spec}}` when the
    selection names fields by variable, see `FieldSelection`); specs derive from the network's
    `FieldSpec`s (bounded where a field has a `Space`). See `EpisodeRunner` for the arguments,
    and `EpisodeRunner.step` for how an action outside its space is refused (an error, or under
    XLA a NaN reward; never clamped).
    `restart` is `"per_user"` or `"together"` (see the module docstring); `max_episode_steps`
    counts each user's steps in its current episode. `shared_state` names the variables all users
    share (kept by a per-user restart; see `EpisodeRunner`).
    A new environment stands at the first step of episode 0 of `seed`; `reset` starts the next
    for every user. `checkpoint_state` is a `tf.Module` holding every variable of the
    environment's state, for `tf.train.Checkpoint`: restoring it resumes the episodes exactly
    where they were.
    """

    def __init__(self, network: Network, observation: FieldSelection, reward: FieldRef,
                 done: FieldRef | None, action: str = "slate", action_field: str | None = None,
                 shared_observation: FieldSelection | None = None, seed: seeds.Seed = 0,
                 jit_compile: bool = False, max_episode_steps: int | None = None,
                 restart: str = "per_user", shared_state: Sequence[str] = ()):
        if max_episode_steps is not None and max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be positive, got {max_episode_steps}")
        if restart not in RESTARTS:
            raise ValueError(f"restart must be one of {RESTARTS}, got {restart!r}")
        self._max_episode_steps = max_episode_steps
        self._restart = restart
        self._runner = EpisodeRunner(network, observation, reward, done, action, action_field,
                                     shared_observation, seed, jit_compile, shared_state)
        users = self._runner.num_users
        observation_spec, action_spec = self._runner.describe(to_tensor_spec)
        super().__init__(ts.time_step_spec(observation_spec), action_spec, batch_size=users)
        self._time_step = tf.nest.map_structure(
            lambda spec: tf.Variable(tf.zeros([users, *spec.shape], spec.dtype), trainable=False),
            self.time_step_spec())
        self._last = tf.Variable(tf.zeros([users], tf.bool), trainable=False)  # step was LAST
        self._episode_steps = tf.Variable(tf.zeros([users], tf.int32), trainable=False)
        self.checkpoint_state = tf.Module(name="TFAgentsEnvironmentState")
        self.checkpoint_state.runner = self._runner
        self.checkpoint_state.time_step = tf.nest.flatten(self._time_step)
        self.checkpoint_state.last = self._last
        self.checkpoint_state.episode_steps = self._episode_steps
        self._reset()

    @property
    def restart(self) -> str:
        """How users start new episodes: `"per_user"` or `"together"`."""
        return self._restart

    def seed(self, seed: seeds.Seed) -> None:
        """Restarts the episode seed sequence: starts episode 0 of `seed` now."""
        self._runner.seed(seed)
        self._reset()

    def _current_time_step(self) -> ts.TimeStep:
        return tf.nest.map_structure(lambda variable: variable.value(), self._time_step)

    def _reset(self) -> ts.TimeStep:
        return self._record(self._runner.reset())

    def _step(self, action: tf.Tensor) -> ts.TimeStep:
        action = tf.convert_to_tensor(action)
        if self._restart == "per_user":
            return self._record(self._runner.step(action, restart=self._last.value()))
        return tf.cond(tf.reduce_all(self._last), self._reset,
                       lambda: self._record(self._runner.step(action)))

    def _record(self, step: EpisodeStep) -> ts.TimeStep:
        episode_steps = self._episode_steps.assign(
            tf.where(step.first, 0, self._episode_steps + 1))
        last = step.terminated
        if self._max_episode_steps is not None:
            last |= episode_steps >= self._max_episode_steps
        step_type = tf.where(step.first, ts.StepType.FIRST,
                             tf.where(last, ts.StepType.LAST, ts.StepType.MID))
        discount = tf.where(step.terminated, 0.0, 1.0)
        time_step = ts.TimeStep(step_type, step.reward, discount, step.observation)
        self._last.assign(last)
        tf.nest.map_structure(lambda variable, x: variable.assign(x), self._time_step, time_step)
        return self._current_time_step()


def validate_environment(env: TFAgentsEnvironment, episodes: int = 1,
                         max_steps: int = 10_000) -> int:
    """TF-Agents' `validate_py_environment` for a batched TF environment: steps `env` with
    TF-Agents' `RandomTFPolicy` (uniform slates of distinct candidates, `RandomSlatePolicy`,
    where the action's `Space` is `distinct`) from a `reset` until every user has ended
    `episodes` episodes, each counted when the user's next one starts (a `FIRST` time step, for
    all users at once under `restart="together"`, one user at a time under `"per_user"`), or
    `max_steps` steps, checking every time step against the time step spec (shapes, dtypes and
    bounds) with TF-Agents' own array-spec checker. Returns the number of steps taken; raises
    `ValueError` naming the first mismatch."""
    from recsim_ng.rl.agents.slate_policy import (  # pylint: disable=import-outside-toplevel
        RandomSlatePolicy)  # (The agents import this module.)

    spec = array_spec.add_outer_dims_nest(tensor_spec.to_nest_array_spec(env.time_step_spec()),
                                          (env.batch_size,))
    space = field_spec(env._runner.network, env._runner.action_ref).space
    random = (RandomSlatePolicy if space is not None and space.distinct
              else random_tf_policy.RandomTFPolicy)
    policy = random(env.time_step_spec(), env.action_spec())
    time_step, steps = env.reset(), 0
    ended = np.zeros([env.batch_size], np.int64)  # each user's ended episodes
    while ended.min() < episodes and steps < max_steps:
        arrays = tf.nest.map_structure(lambda tensor: tensor.numpy(), time_step)
        if not array_spec.check_arrays_nest(arrays, spec):
            mismatched = [path for (path, leaf), array in zip(
                nest_utils.flatten_with_joined_paths(spec), tf.nest.flatten(arrays))
                if not leaf.check_array(array)]
            raise ValueError(f"time step {steps} does not match the time step spec at"
                             f" {mismatched}")
        time_step = env.step(policy.action(time_step).action)
        steps += 1
        ended += time_step.is_first().numpy()
    return steps
