"""The shape every RecSim v1 environment shares as a network: slate action, response, reward.

One network is a batch of `num_users` independent v1 `SingleUserEnvironment` episodes. Its
variables, at step t >= 1:

- `slate` (`[num_users, slate_size]` int32): the agent's action, chosen after seeing step t-1's
  observation, as indices into step t-1's candidates. Fed through `TFRuntime(inputs=("slate",))`,
  or drawn uniformly (distinct candidates, in random order) with `uniform_random_slate=True`.
  Unlike v1, a slate must not repeat a candidate: its space says so, and the RL adapters and
  log-probabilities refuse one that does.
- `response`: the user's response to that slate, given the user state of step t-1; `choice` is
  the clicked slate position, or `slate_size` for no click.
- `user_state` (hidden): the user after the transition that response causes.
- `documents` (hidden): step t's candidates: resampled every step (v1's default, which also
  resamples at `reset()`), or the step-0 draw kept (`resample_documents=False`; v1 draws once per
  environment object and keeps the set across episodes, so a run here is one such object: pass
  the same documents in a `starting_value` to keep them across runs). `shared_candidates` gives
  all users one candidate set, as v1's `MultiUserEnvironment` does; otherwise each user has its
  own, as a batch of v1 `SingleUserEnvironment`s would.
- `observation`: what v1's gym wrapper shows besides the response: `user` and `doc`.
- `reward`: `reward`, `done`, and the running `episode_return` and `episode_length`.

The agent's observation at step t is (`observation`, `response`), i.e. v1's {user, doc,
response}; see `OBSERVATION_VARIABLES`, and `slate_fields` for the same in the slate observation
contract the RL agents read. Step 0 is v1's `reset()`: its `response` is empty (no
click; v1 returns None), its reward is 0 and its `slate` is a placeholder (0, 1, ..., k-1) that
nothing reads.

Termination is per user: a user whose episode has ended stays `done`, its state is frozen, it
clicks nothing and its rewards are 0, while the other users continue (v1's multi-user
environment skips terminal users in the same way).
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, ValueSpec, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.choice_models import PlackettLuceSlate
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib import seeds
from recsim_ng.lib.space import box, discrete
from recsim_ng.rl.slate_observation import SlateFields, slate_environment

if TYPE_CHECKING:  # TF-Agents is the `rl` extra: imported only when an environment is built.
    from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

tfd = tfp.distributions

OBSERVATION_VARIABLES = ("observation", "response")


class V1Environment(abc.ABC):
    """One v1 environment's documents, user, response and reward, batched over users."""

    def __init__(self, num_users: int, num_candidates: int, slate_size: int,
                 resample_documents: bool, shared_candidates: bool):
        if not 1 <= slate_size <= num_candidates:
            raise ValueError(f"need 1 <= slate_size <= num_candidates, got {slate_size} and"
                             f" {num_candidates}")
        if num_users < 1:
            raise ValueError(f"num_users must be positive, got {num_users}")
        self.num_users = num_users
        self.num_candidates = num_candidates
        self.slate_size = slate_size
        self.resample_documents = resample_documents
        self.num_document_sets = 1 if shared_candidates else num_users

    # Documents: fields [num_document_sets, num_candidates, ...].

    @abc.abstractmethod
    def documents_spec(self) -> ValueSpec:
        """The hidden candidate documents."""

    @abc.abstractmethod
    def sample_documents(self) -> Value:
        """A fresh candidate set (distributions)."""

    def resample_documents_from(self, previous: Value) -> Value:
        """The next step's fresh candidate set, given the previous one (when resampling)."""
        del previous
        return self.sample_documents()

    # User: fields [num_users, ...].

    @abc.abstractmethod
    def user_spec(self) -> ValueSpec:
        """The hidden user state."""

    @abc.abstractmethod
    def initial_user(self) -> Value:
        """A new user (distributions)."""

    @abc.abstractmethod
    def next_user(self, user: Value, documents: Value, slate: tf.Tensor, response: Value,
                  active: tf.Tensor) -> Value:
        """The user after responding; inactive (done) users must keep their state."""

    # Response, observation, reward.

    @abc.abstractmethod
    def response_spec(self) -> ValueSpec:
        """The response: `choice` and `click` plus environment-specific fields."""

    @abc.abstractmethod
    def empty_response(self) -> Value:
        """The step-0 response: no click."""

    @abc.abstractmethod
    def response(self, user: Value, documents: Value, slate: tf.Tensor,
                 active: tf.Tensor) -> Value:
        """The response to `slate`; inactive users click nothing."""

    @abc.abstractmethod
    def observation_spec(self) -> ValueSpec:
        """`user` and `doc`: what the agent sees of the user and the candidates."""

    @abc.abstractmethod
    def observation(self, user: Value, documents: Value) -> Value:
        """The observation of a user and its candidates."""

    @abc.abstractmethod
    def reward(self, response: Value) -> tf.Tensor:
        """v1's reward of a response, `[num_users]` float32 (before masking done users)."""

    @abc.abstractmethod
    def terminal(self, user: Value) -> tf.Tensor:
        """v1's `is_terminal`, `[num_users]` bool."""

    # Helpers for subclasses.

    def choice_spec(self) -> ValueSpec:
        """The `choice` and `click` fields every response has."""
        users, k = self.num_users, self.slate_size
        return Value(choice=FieldSpec([users], tf.int32, discrete(k + 1)),
                     click=FieldSpec([users, k], tf.int32, discrete(2)))

    def per_user(self, field: tf.Tensor) -> tf.Tensor:
        """A document field `[num_document_sets, N, ...]` as `[num_users, N, ...]`."""
        field = tf.convert_to_tensor(field)
        return tf.broadcast_to(field, [self.num_users] + field.shape[1:].as_list())

    def on_slate(self, field: tf.Tensor, slate: tf.Tensor) -> tf.Tensor:
        """A document field `[num_document_sets, N, ...]` at the slate: `[num_users, k, ...]`."""
        return tf.gather(self.per_user(field), slate, axis=1, batch_dims=1)


def masked_choice(probs: tf.Tensor, active: tf.Tensor) -> tfd.Categorical:
    """A choice over `[..., k + 1]` that puts all mass on no-click (index k) for inactive users."""
    no_click = tf.one_hot(tf.shape(probs)[-1] - 1, tf.shape(probs)[-1], dtype=probs.dtype)
    return tfd.Categorical(probs=tf.where(active[..., tf.newaxis], probs, no_click),
                           dtype=tf.int32)


def clicks(choice: tf.Tensor, slate_size: int) -> tf.Tensor:
    """`[B, k]` int32: 1 at the chosen slate position (none for choice k)."""
    return tf.one_hot(choice, slate_size, dtype=tf.int32)


def uniform_slate_distribution(num_users: int, num_candidates: int,
                               slate_size: int) -> PlackettLuceSlate:
    """Uniformly random slates of distinct candidates, `[num_users, slate_size]` int32:
    Plackett-Luce with equal logits, so every ordered choice of `slate_size` distinct candidates
    has probability (N - k)! / N!."""
    return PlackettLuceSlate(tf.zeros([num_users, num_candidates]), slate_size)


def slate_spec(num_users: int, num_candidates: int, slate_size: int) -> ValueSpec:
    """The action: `slate`, distinct indices into the candidate set."""
    return Value(slate=FieldSpec([num_users, slate_size], tf.int32,
                                 discrete(num_candidates, distinct=True)))


def reward_spec(num_users: int) -> ValueSpec:
    """`reward`, `done`, and the running `episode_return` and `episode_length` per user."""
    return Value(reward=FieldSpec([num_users], tf.float32, box()),
                 done=FieldSpec([num_users], tf.bool, discrete(2)),
                 episode_return=FieldSpec([num_users], tf.float32, box()),
                 episode_length=FieldSpec([num_users], tf.int32, box(0, np.inf)))


def environment_network(env: V1Environment, uniform_random_slate: bool = False) -> Network:
    """The network of `env` (see the module docstring); `slate` is an input unless
    `uniform_random_slate`."""
    users, k = env.num_users, env.slate_size
    documents = Variable("documents", env.documents_spec())
    user_state = Variable("user_state", env.user_spec())
    slate = Variable("slate", slate_spec(users, env.num_candidates, k))
    response = Variable("response", env.response_spec())
    reward = Variable("reward", reward_spec(users))
    observation = Variable("observation", env.observation_spec())

    documents.initial_value = value(env.sample_documents)
    if env.resample_documents:
        documents.value = value(env.resample_documents_from, (documents.previous,))
    user_state.initial_value = value(env.initial_user)
    slate.initial_value = value(lambda: Value(slate=tf.tile(tf.range(k)[tf.newaxis], [users, 1])))
    if uniform_random_slate:
        slate.value = value(lambda: Value(
            slate=uniform_slate_distribution(users, env.num_candidates, k)))
    response.initial_value = value(env.empty_response)
    response.value = value(
        lambda user, docs, action, outcome: env.response(
            user, docs, action.get("slate"), ~outcome.get("done")),
        (user_state.previous, documents.previous, slate, reward.previous))
    user_state.value = value(
        lambda user, docs, action, resp, outcome: env.next_user(
            user, docs, action.get("slate"), resp, ~outcome.get("done")),
        (user_state.previous, documents.previous, slate, response, reward.previous))
    reward.initial_value = value(lambda user: _outcome(
        Value(**{name: tf.zeros([users], spec.dtype)
                 for name, spec in reward_spec(users).as_dict.items()}),
        tf.zeros([users]), env.terminal(user), count=False), (user_state,))
    reward.value = value(
        lambda resp, user, outcome: _outcome(outcome, env.reward(resp), env.terminal(user)),
        (response, user_state, reward.previous))
    observation.value = value(env.observation, (user_state, documents))
    return Network([documents, user_state, slate, response, reward, observation])


def _outcome(previous: Value, reward: tf.Tensor, terminal: tf.Tensor, count: bool = True) -> Value:
    active = ~previous.get("done")
    reward = tf.where(active, reward, 0.0)
    length = previous.get("episode_length") + tf.cast(active, tf.int32) * int(count)
    return Value(reward=reward, done=previous.get("done") | terminal,
                 episode_return=previous.get("episode_return") + reward, episode_length=length)


def slate_fields(network: Network) -> SlateFields:
    """Where a v1 network holds the slate observation contract: the user is `observation.user`;
    the candidates are `observation.doc` (named `doc`) or its fields `doc.<name>` (named
    `<name>`); the response is every `response` field (`choice`: the clicked position, or
    `slate_size`); the reward and the end are `reward.reward` and `reward.done`. Shared
    candidates (`shared_candidates=True`) make `documents` shared state."""
    observed = network.variable("observation").spec.as_dict
    candidates = {field.removeprefix("doc."): ("observation", field) for field in observed
                  if field == "doc" or field.startswith("doc.")}
    num_users = network.variable("reward").spec.get("done").shape[0]
    document_sets = next(iter(network.variable("documents").spec.as_dict.values())).shape[0]
    return SlateFields(
        user={"user": ("observation", "user")}, candidates=candidates,
        response={field: ("response", field) for field in network.variable("response").spec.as_dict},
        reward=("reward", "reward"), done=("reward", "done"),
        shared_state=("documents",) if document_sets != num_users else ())


def v1_environment(network: Network, seed: seeds.Seed = 0, max_episode_steps: int | None = None,
                   restart: str = "per_user") -> TFAgentsEnvironment:
    """The TF-Agents environment (`recsim_ng.rl.slate_observation.slate_environment`) of a v1
    network; episodes are truncated after `max_episode_steps` steps if given (v1's runner cap)."""
    return slate_environment(network, slate_fields(network), seed, max_episode_steps,
                             restart=restart)
