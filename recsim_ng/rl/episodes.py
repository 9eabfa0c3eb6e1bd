"""`EpisodeRunner`: a network stepped by an external action, cut into synchronous user episodes.

All users start an episode together at `reset`. A user whose `done` field turns true has
terminated: from then on the user is *finished*, its reward is 0 and it stays finished (whatever
the network computes for it) until the next `reset`. The simulation state lives in `tf.Variable`s,
so `reset` and `step` work eagerly and inside a `tf.function` alike.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Sequence

import numpy as np
import tensorflow as tf

from recsim_ng.core import Network, Value
from recsim_ng.lib import seeds, value_checks
from recsim_ng.lib.runtime import SimulationState, TFRuntime
from recsim_ng.rl.specs import FieldRef, field_spec

FieldSelection = Mapping[str, Sequence[str] | None]  # variable -> its fields (None: all fields)
Observation = dict[str, dict[str, tf.Tensor]]  # variable -> field -> tensor


class EpisodeStep(NamedTuple):
    """What one `reset` or `step` produced, each entry batched over users."""

    observation: Observation
    reward: tf.Tensor  # float32 [num_users]; 0 at reset and for finished users
    terminated: tf.Tensor  # bool [num_users]; true for every finished user
    first: tf.Tensor  # bool scalar; true at reset


class EpisodeRunner(tf.Module):
    """Runs `network` step by step, feeding the action into the input variable `action`.

    `observation` selects the per-user fields (leading axis: users) the agent sees and
    `shared_observation` the fields shared by all users (no user axis; broadcast to each user).
    `reward` and `done` name per-user fields of shape `[num_users]`. Episode `k` after a
    (re)seed with `seed` runs with the stateless seed `fold_in(seed, k)`. The runner's whole
    state is its `tf.Variable`s, so `tf.train.Checkpoint(runner=...)` saves and restores it.
    """

    def __init__(self, network: Network, observation: FieldSelection, reward: FieldRef,
                 done: FieldRef, action: str = "slate", action_field: str | None = None,
                 shared_observation: FieldSelection | None = None, seed: seeds.Seed = 0,
                 jit_compile: bool = False):
        super().__init__(name="EpisodeRunner")
        self._network = network
        self._runtime = TFRuntime(network, jit_compile=jit_compile, inputs=(action,))
        self._action = action
        self._action_field = action_field or _only_field(network, action)
        self._action_spec = field_spec(network, (action, self._action_field))
        self._refusal = (f"action variable {action!r}, field {self._action_field!r}: values not"
                         f" finite or outside the action space {self._action_spec.space}")
        self._allowed = tf.function(  # One call rather than a dozen ops when stepped eagerly.
            lambda actions: value_checks.possible(self._action_spec, actions, batch_dims=1),
            autograph=False)
        self._observed = _resolve(network, observation)
        self._shared = _resolve(network, shared_observation or {})
        self._reward, self._done = reward, done
        self._base_seed = tf.Variable(seeds.as_seed(seed), trainable=False)
        self._episode = tf.Variable(0, dtype=tf.int32, trainable=False)
        first = self._runtime.reset(self._episode_seed())  # learns every field's shape
        self._num_users = _user_count(network, first.value, done)
        for ref in (reward, *self._observed):
            field_spec(network, ref)  # names a missing field
            if first.value[ref[0]].get(ref[1]).shape[:1] != [self._num_users]:
                raise ValueError(f"variable {ref[0]!r}, field {ref[1]!r}: expected a leading"
                                 f" user axis of size {self._num_users}")
        invariants = network.invariants()
        self._state = {
            name: {field: tf.Variable(tensor, trainable=False, shape=invariants[name].get(field))
                   for field, tensor in value.as_dict.items()}
            for name, value in first.value.items()}
        self._run_seed = tf.Variable(first.seed, trainable=False)
        self._step = tf.Variable(first.step, trainable=False)
        self._finished = tf.Variable(tf.zeros([self._num_users], tf.bool), trainable=False)

    @property
    def network(self) -> Network:
        return self._network

    @property
    def num_users(self) -> int:
        return self._num_users

    @property
    def action_ref(self) -> FieldRef:
        return self._action, self._action_field

    @property
    def observed(self) -> tuple[FieldRef, ...]:
        return tuple(self._observed)

    @property
    def shared(self) -> tuple[FieldRef, ...]:
        return tuple(self._shared)

    def seed(self, seed: seeds.Seed) -> None:
        """Restarts the episode seed sequence from `seed`; takes effect at the next `reset`."""
        self._base_seed.assign(seeds.as_seed(seed))
        self._episode.assign(0)

    def reset(self) -> EpisodeStep:
        """Starts a new episode for every user."""
        start = self._runtime.reset(self._episode_seed())
        self._episode.assign_add(1)
        self._store(start)
        self._finished.assign(tf.zeros_like(self._finished))
        zeros = tf.zeros([self._num_users], tf.float32)
        return EpisodeStep(self._observation(start.value), zeros, tf.zeros_like(zeros, tf.bool),
                           tf.constant(True))

    def step(self, action: tf.Tensor) -> EpisodeStep:
        """One step with `action` (`[num_users, ...]`) fed into the action variable.

        An action that is not finite or lies outside the action field's `Space` (an index past
        the candidates, a slate repeating one) is refused before the state changes: eagerly a
        `ValueError` naming the users, in a graph an assertion that fails when it runs. XLA
        drops assertions, so a step compiled into the caller's XLA function runs, and the users
        whose action was refused get a NaN reward, which no valid step gives.
        """
        action = tf.convert_to_tensor(action)
        allowed = self._allowed(action)
        if tf.executing_eagerly():
            refused = np.flatnonzero(~allowed.numpy())
            if refused.size:
                raise ValueError(f"{self._refusal} for users {refused.tolist()}")
            return self._advance(action, allowed)
        problem = value_checks.Problem(f"{self._refusal} for some users", ~tf.reduce_all(allowed))
        with tf.control_dependencies(value_checks.assertions([problem])):
            return self._advance(action, allowed)

    def _advance(self, action: tf.Tensor, allowed: tf.Tensor) -> EpisodeStep:
        """The step itself; users whose action is not `allowed` get a NaN reward."""
        state = SimulationState({name: Value(**{f: v.value() for f, v in fields.items()})
                                 for name, fields in self._state.items()},
                                self._run_seed.value(), self._step.value())
        inputs = {self._action: Value(**{self._action_field: action})}
        after = self._runtime.step(state, inputs)
        self._store(after)
        was_finished = self._finished.value()
        done = tf.cast(after.value[self._done[0]].get(self._done[1]), tf.bool)
        finished = self._finished.assign(was_finished | done)
        reward = tf.cast(after.value[self._reward[0]].get(self._reward[1]), tf.float32)
        reward = tf.where(was_finished, tf.zeros_like(reward), reward)
        reward = tf.where(allowed, reward, tf.fill(tf.shape(reward), float("nan")))
        return EpisodeStep(self._observation(after.value), reward, finished, tf.constant(False))

    def _episode_seed(self) -> tf.Tensor:
        return seeds.fold_in(self._base_seed.value(), self._episode.value())

    def _store(self, state: SimulationState) -> None:
        for name, fields in self._state.items():
            for field, variable in fields.items():
                variable.assign(state.value[name].get(field))
        self._run_seed.assign(state.seed)
        self._step.assign(state.step)

    def _observation(self, value: Mapping[str, Value]) -> Observation:
        observation: Observation = {}
        for name, field in self._observed:
            observation.setdefault(name, {})[field] = value[name].get(field)
        for name, field in self._shared:
            shared = tf.convert_to_tensor(value[name].get(field))
            observation.setdefault(name, {})[field] = tf.broadcast_to(
                shared, tf.concat([[self._num_users], tf.shape(shared)], 0))
        return observation


def _only_field(network: Network, name: str) -> str:
    fields = list(network.variable(name).spec.as_dict)
    if len(fields) != 1:
        raise ValueError(f"action variable {name!r} has fields {fields}; name the action_field")
    return fields[0]


def _resolve(network: Network, selection: FieldSelection) -> list[FieldRef]:
    refs = []
    for name, fields in selection.items():
        for field in fields if fields is not None else network.variable(name).spec.as_dict:
            field_spec(network, (name, field))
            refs.append((name, field))
    return refs


def _user_count(network: Network, value: Mapping[str, Value], done: FieldRef) -> int:
    field_spec(network, done)
    shape = value[done[0]].get(done[1]).shape
    if shape.rank != 1 or shape[0] is None:
        raise ValueError(f"done field {done}: expected shape [num_users], got {shape}")
    return int(shape[0])
