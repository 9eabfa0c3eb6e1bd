"""`EpisodeRunner`: a network stepped by an external action, cut into user episodes.

`reset` starts an episode for every user together; `restart` (or `step(..., restart=mask)`)
starts one for some users while the others play on. A user whose `done` field turns true has
terminated: from then on the user is *finished*, its reward is 0 and it stays finished (whatever
the network computes for it) until its next episode starts. The simulation state lives in
`tf.Variable`s, so `reset`, `restart` and `step` work eagerly and inside a `tf.function` alike.
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence, TypeVar

import numpy as np
import tensorflow as tf

from recsim_ng.core import Network, Value
from recsim_ng.lib import seeds, value_checks
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.runtime import SimulationState, TFRuntime
from recsim_ng.rl.specs import FieldRef, field_spec

SpecT = TypeVar("SpecT")
_RESTARTS = -1  # Per-user restarts draw from fold_in(seed, -1); episode k uses fold_in(seed, k).

# What the agent observes, in one of two forms: variable -> its fields (None: all fields), giving
# the observation {variable: {field: ...}}; or group -> {name: (variable, field)}, giving
# {group: {name: ...}} (e.g. the slate contract of `recsim_ng.rl.slate_observation`).
FieldSelection = Mapping[str, Sequence[str] | Mapping[str, FieldRef] | None]
Observation = dict[str, dict[str, tf.Tensor]]  # group (or variable) -> name (or field) -> tensor


class ObservedField(NamedTuple):
    """One observed field: it appears as `observation[group][name]`."""

    group: str
    name: str
    ref: FieldRef


class EpisodeStep(NamedTuple):
    """What one `reset`, `restart` or `step` produced, each entry batched over users."""

    observation: Observation
    reward: tf.Tensor  # float32 [num_users]; 0 at an episode's start and for finished users
    terminated: tf.Tensor  # bool [num_users]; true for every finished user
    first: tf.Tensor  # bool [num_users]; true for the users whose episode starts here


class EpisodeRunner(tf.Module):
    """Runs `network` step by step, feeding the action into the input variable `action`.

    `observation` selects the per-user fields (leading axis: users) the agent sees and
    `shared_observation` the fields shared by all users (no user axis; broadcast to each user),
    each as a `FieldSelection`. `reward` and `done` name per-user fields of shape `[num_users]`;
    with `done=None` episodes never end (the adapters can truncate them).

    `shared_state` names the variables all users share (e.g. a corpus): a per-user restart
    leaves them as they are, and draws the restarted users' new rows given their current value.
    Every other variable's fields must lead with the user axis, so that row `u` is user `u`'s.
    The run seed and the step index stay the batch's across per-user restarts (a network that
    reads the step index, e.g. to replay a log, sees the batch's count, not the user's).

    Seeds: episode `k` of all users after a (re)seed with `seed` starts from the stateless seed
    `fold_in(seed, k)`; the `n`-th per-user restart since then (n = 1, 2, ...) draws its users'
    rows from `fold_in(fold_in(seed, -1), n)`. The runner's whole state is its `tf.Variable`s,
    so `tf.train.Checkpoint(runner=...)` saves and restores it exactly.
    """

    def __init__(self, network: Network, observation: FieldSelection, reward: FieldRef,
                 done: FieldRef | None, action: str = "slate", action_field: str | None = None,
                 shared_observation: FieldSelection | None = None, seed: seeds.Seed = 0,
                 jit_compile: bool = False, shared_state: Sequence[str] = ()):
        super().__init__(name="EpisodeRunner")
        self._network = network
        self._runtime = TFRuntime(network, jit_compile=jit_compile, inputs=(action,))
        for name in shared_state:
            network.variable(name)  # names an unknown variable
        self._shared_state = tuple(shared_state)
        # Its reset takes the shared variables' current values, so a restarted user's first
        # step is drawn given the corpus the others see.
        self._restart_runtime = TFRuntime(network, jit_compile=jit_compile,
                                          inputs=(action, *self._shared_state))
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
        self._restarts = tf.Variable(0, dtype=tf.int32, trainable=False)
        first = self._runtime.reset(self._episode_seed())  # learns every field's shape
        self._num_users = _user_count(network, first.value, done or reward)
        _check_per_user(first.value, self._shared_state, self._num_users)
        field_spec(network, reward)  # names a missing field (`_resolve` checked the observed)
        for ref in (reward, *(field.ref for field in self._observed)):
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
        """The network stepped."""
        return self._network

    @property
    def num_users(self) -> int:
        """The batch's users (one episode sequence each)."""
        return self._num_users

    @property
    def action_ref(self) -> FieldRef:
        """The (variable, field) the action is written to."""
        return self._action, self._action_field

    @property
    def observed(self) -> tuple[ObservedField, ...]:
        """The per-user observed fields."""
        return tuple(self._observed)

    @property
    def shared(self) -> tuple[ObservedField, ...]:
        """The observed fields shared by all users (no user axis)."""
        return tuple(self._shared)

    def describe(self, convert: Callable[[FieldSpec, FieldRef, int | None], SpecT]
                 ) -> tuple[dict[str, dict[str, SpecT]], SpecT]:
        """The observation's specs `{group: {name: convert(spec, ref, num_users)}}` (`None`
        for a shared field's user count) and the action's, in an adapter's terms (e.g.
        `recsim_ng.rl.specs.to_tensor_spec`)."""
        observation: dict[str, dict[str, SpecT]] = {}
        for fields, users in ((self._observed, self._num_users), (self._shared, None)):
            for group, name, ref in fields:
                observation.setdefault(group, {})[name] = convert(
                    field_spec(self._network, ref), ref, users)
        action_ref = self.action_ref
        return observation, convert(field_spec(self._network, action_ref), action_ref,
                                    self._num_users)

    def seed(self, seed: seeds.Seed) -> None:
        """Restarts the episode seed sequences from `seed`; takes effect at the next `reset`
        (and the next per-user restart)."""
        self._base_seed.assign(seeds.as_seed(seed))
        self._episode.assign(0)
        self._restarts.assign(0)

    def reset(self) -> EpisodeStep:
        """Starts a new episode for every user."""
        start = self._runtime.reset(self._episode_seed())
        self._episode.assign_add(1)
        self._store(start)
        self._finished.assign(tf.zeros_like(self._finished))
        zeros = tf.zeros([self._num_users], tf.float32)
        return EpisodeStep(self._observation(start.value), zeros, tf.zeros_like(zeros, tf.bool),
                           tf.ones_like(zeros, tf.bool))

    def restart(self, mask: tf.Tensor) -> EpisodeStep:
        """Starts a new episode for the users where `mask` (bool `[num_users]`) is true; the
        others stand as they are (the step shows their current observation, reward 0)."""
        mask = self._user_mask(mask)
        current = self._current()
        restarted = current._replace(value=self._restarted(current.value, mask))
        self._store(restarted)
        finished = self._finished.assign(self._finished.value() & ~mask)
        return EpisodeStep(self._observation(restarted.value),
                           tf.zeros([self._num_users], tf.float32), finished, mask)

    def step(self, action: tf.Tensor, restart: tf.Tensor | None = None) -> EpisodeStep:
        """One step with `action` (`[num_users, ...]`) fed into the action variable.

        The users where `restart` (bool `[num_users]`) is true start a new episode instead, as
        `restart` does: their action is ignored, their reward is 0. An action that is not
        finite or lies outside the action field's `Space` (an index past the candidates, a slate
        repeating one) is refused before the state changes: eagerly a `ValueError` naming the
        users, in a graph an assertion that fails when it runs. XLA drops assertions, so a step
        compiled into the caller's XLA function runs, and the users whose action was refused
        get a NaN reward, which no valid step gives.
        """
        action = tf.convert_to_tensor(action)
        if restart is not None:
            restart = self._user_mask(restart)
            # An ignored action steps the network with the user's last (accepted) one instead.
            previous = tf.cast(self._state[self._action][self._action_field].value(),
                               action.dtype)
            action = tf.where(_rows(restart, action), previous, action)
        allowed = self._allowed(action)
        if tf.executing_eagerly():
            refused = np.flatnonzero(~allowed.numpy())
            if refused.size:
                raise ValueError(f"{self._refusal} for users {refused.tolist()}")
            return self._advance(action, allowed, restart)
        problem = value_checks.Problem(f"{self._refusal} for some users", ~tf.reduce_all(allowed))
        with tf.control_dependencies(value_checks.assertions([problem])):
            return self._advance(action, allowed, restart)

    def _advance(self, action: tf.Tensor, allowed: tf.Tensor,
                 restart: tf.Tensor | None = None) -> EpisodeStep:
        """The step itself; users whose action is not `allowed` get a NaN reward, users in
        `restart` start a new episode."""
        inputs = {self._action: Value(**{self._action_field: action})}
        after = self._runtime.step(self._current(), inputs)
        was_finished = self._finished.value()
        done = (tf.zeros_like(was_finished) if self._done is None
                else tf.cast(after.value[self._done[0]].get(self._done[1]), tf.bool))
        reward = tf.cast(after.value[self._reward[0]].get(self._reward[1]), tf.float32)
        reward = tf.where(was_finished, tf.zeros_like(reward), reward)
        reward = tf.where(allowed, reward, tf.fill(tf.shape(reward), float("nan")))
        finished = was_finished | done
        first = tf.zeros_like(finished)
        if restart is not None:
            after = after._replace(value=self._restarted(after.value, restart))
            finished &= ~restart
            reward = tf.where(restart, tf.zeros_like(reward), reward)
            first = restart
        self._store(after)
        return EpisodeStep(self._observation(after.value), reward,
                           self._finished.assign(finished), first)

    def _restarted(self, value: dict[str, Value], mask: tf.Tensor) -> dict[str, Value]:
        """`value` with the rows of the users in `mask` replaced by a new episode's first step,
        drawn given the shared variables' values in `value`; nothing is drawn (and the restart
        count stays) when `mask` selects nobody."""
        per_user = {name: dict(value[name].as_dict) for name in value
                    if name not in self._shared_state}

        def fresh() -> dict[str, dict[str, tf.Tensor]]:
            count = self._restarts.assign_add(1)
            seed = seeds.fold_in(seeds.fold_in(self._base_seed.value(), _RESTARTS), count)
            start = self._restart_runtime.reset(
                seed, {name: value[name] for name in self._shared_state}).value
            return {name: {field: tf.where(_rows(mask, tensor), start[name].get(field), tensor)
                           for field, tensor in fields.items()}
                    for name, fields in per_user.items()}

        merged = tf.cond(tf.reduce_any(mask), fresh, lambda: per_user)
        return {name: Value(**merged[name]) if name in merged else value[name] for name in value}

    def _user_mask(self, mask: tf.Tensor) -> tf.Tensor:
        mask = tf.convert_to_tensor(mask)
        if mask.dtype != tf.bool or not mask.shape.is_compatible_with([self._num_users]):
            raise ValueError(f"restart mask: expected bool [{self._num_users}] (one per user),"
                             f" got {mask.dtype.name} {mask.shape}")
        return mask

    def _current(self) -> SimulationState:
        return SimulationState({name: Value(**{f: v.value() for f, v in fields.items()})
                                for name, fields in self._state.items()},
                               self._run_seed.value(), self._step.value())

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
        for group, name, (variable, field) in self._observed:
            observation.setdefault(group, {})[name] = value[variable].get(field)
        for group, name, (variable, field) in self._shared:
            shared = tf.convert_to_tensor(value[variable].get(field))
            observation.setdefault(group, {})[name] = tf.broadcast_to(
                shared, tf.concat([[self._num_users], tf.shape(shared)], 0))
        return observation


def _rows(mask: tf.Tensor, tensor: tf.Tensor) -> tf.Tensor:
    """The per-user `mask` shaped to select whole rows of `tensor` in `tf.where`."""
    return tf.reshape(mask, [-1] + [1] * (tensor.shape.rank - 1))


def _check_per_user(value: Mapping[str, Value], shared: Sequence[str], num_users: int) -> None:
    """Every field of a variable not in `shared` leads with the user axis."""
    for name, fields in value.items():
        if name in shared:
            continue
        for field, tensor in fields.as_dict.items():
            if tensor.shape.rank == 0 or tensor.shape[0] != num_users:
                raise ValueError(
                    f"variable {name!r}, field {field!r}: shape {tensor.shape} does not lead with"
                    f" the user axis ({num_users} users), so a user cannot start a new episode"
                    f" alone; if all users share the variable (a corpus, say), name {name!r} in"
                    f" shared_state")


def _only_field(network: Network, name: str) -> str:
    fields = list(network.variable(name).spec.as_dict)
    if len(fields) != 1:
        raise ValueError(f"action variable {name!r} has fields {fields}; name the action_field")
    return fields[0]


def _resolve(network: Network, selection: FieldSelection) -> list[ObservedField]:
    observed = []
    for group, fields in selection.items():
        if isinstance(fields, Mapping):
            named = [(name, tuple(ref)) for name, ref in fields.items()]
        else:
            names = fields if fields is not None else network.variable(group).spec.as_dict
            named = [(field, (group, field)) for field in names]
        for name, ref in named:
            field_spec(network, ref)
            observed.append(ObservedField(group, name, ref))
    return observed


def _user_count(network: Network, value: Mapping[str, Value], per_user: FieldRef) -> int:
    """The user count: the size of the per-user field `per_user` (`done`, else `reward`)."""
    field_spec(network, per_user)
    shape = value[per_user[0]].get(per_user[1]).shape
    if shape.rank != 1 or shape[0] is None:
        raise ValueError(f"field {per_user}: expected shape [num_users], got {shape}")
    return int(shape[0])
