"""Recommendation stories: users, corpus, recommender and metrics wired into variables.

Variable names are snake_case versions of RecSim NG's ("user state" becomes `user_state`). As in
RecSim NG, states are updated from the previous step's slates and responses, so metrics at step t
see step t-1's choices.

`agent_recs_story` replaces the recommender by an input variable, `slate`, that an agent feeds
(`TFRuntime(inputs=("slate",))`, as the RL adapters do). There a step starts with the slate and
ends with what the agent observes next: the users respond to the slate, then users, corpus and
metrics update from that response within the same step. The dynamics are those of `recs_story`,
cut at a different point: given the same slates and draws, its states (users, corpus and
metrics) at step t equal `recs_story`'s at step t, and its response at step t + 1 is
`recs_story`'s response at step t.
"""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf

from recsim_ng.core import Value, Variable
from recsim_ng.core.value import FieldSpec as CoreFieldSpec, ValueSpec
from recsim_ng.core.variable import DependencyLike, value
from recsim_ng.entities.recommendation import (Config, Corpus, CorpusConstructor,
                                               MetricsConstructor, RecommenderConstructor,
                                               RecsMetricsBase, User, UserConstructor)
from recsim_ng.lib.checks import check_size
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import discrete


def recs_story(config: Config, user_ctor: UserConstructor, corpus_ctor: CorpusConstructor,
               recommender_ctor: RecommenderConstructor,
               metrics_ctor: MetricsConstructor) -> list[Variable]:
    """The full story: eight variables, in an order `Network` keeps for independent ones.

    Each step: the corpus, user and recommender states update from the previous slates and
    responses; the corpus offers documents; the recommender picks slates from them given the
    users' observations; the users respond; the metrics accumulate the previous step.
    """
    recommender = recommender_ctor(config)
    recommender_specs = recommender.specs()
    slate_docs = Variable("slate_docs", recommender_specs.get("slate"))
    world = _world(user_ctor(config), corpus_ctor(config), metrics_ctor(config), slate_docs,
                   slate_first=False)
    recommender_state = Variable("recommender_state", recommender_specs.get("state"))
    recommender_state.initial_value = value(recommender.initial_state)
    recommender_state.value = value(recommender.next_state, (
        recommender_state.previous, world.user_response.previous, slate_docs.previous))
    slate_docs.value = value(recommender.slate_docs,
                             (recommender_state, world.user_observation, world.available_docs))
    return [world.metrics_state, world.corpus_state, world.available_docs, world.user_state,
            world.user_observation, recommender_state, slate_docs, world.user_response]


def agent_recs_story(config: Config, user_ctor: UserConstructor, corpus_ctor: CorpusConstructor,
                     metrics_ctor: MetricsConstructor) -> list[Variable]:
    """`recs_story` with the recommender replaced by the input variable `slate` (see the module
    docstring for the timing).

    `slate` has one field, `slate`: int32 `[num_users, slate_size]`, distinct indices into the
    available documents the agent saw, i.e. the previous step's `available_docs` (its space,
    `discrete(num_docs, distinct=True)`, lets the RL adapters refuse a repeated or out-of-range
    index). `slate_docs` holds every field of those documents gathered at the indices,
    `[num_users, slate_size, ...]`. At the initial step nothing has been recommended yet:
    `slate` is the placeholder (0, ..., slate_size - 1) and the users' `user_response` to it is
    drawn but read by no state or metric. Config keys: `num_users`, `num_docs`, `slate_size`.
    """
    num_users, num_docs, slate_size = (_config_size(config, key)
                                       for key in ("num_users", "num_docs", "slate_size"))
    if slate_size > num_docs:
        raise ValueError(f"config key 'slate_size' ({slate_size}) exceeds 'num_docs'"
                         f" ({num_docs}): a slate shows distinct documents")
    corpus = corpus_ctor(config)
    slate = Variable("slate", Value(slate=FieldSpec([num_users, slate_size], tf.int32,
                                                    discrete(num_docs, distinct=True))))
    slate_docs = Variable("slate_docs", _slate_docs_spec(corpus.specs().get("available_docs"),
                                                         num_users, slate_size))
    world = _world(user_ctor(config), corpus, metrics_ctor(config), slate_docs, slate_first=True)
    slate.initial_value = value(lambda: Value(
        slate=tf.tile(tf.range(slate_size)[tf.newaxis], [num_users, 1])))
    slate_docs.initial_value = value(_gathered, (world.available_docs, slate))
    slate_docs.value = value(_gathered, (world.available_docs.previous, slate))
    return [slate, slate_docs, world.user_response, world.user_state, world.corpus_state,
            world.available_docs, world.user_observation, world.metrics_state]


class _World(NamedTuple):
    """The variables of users, corpus and metrics around a story's `slate_docs`."""

    metrics_state: Variable
    corpus_state: Variable
    available_docs: Variable
    user_state: Variable
    user_observation: Variable
    user_response: Variable


def _world(user: User, corpus: Corpus, metrics: RecsMetricsBase, slate_docs: Variable,
           slate_first: bool) -> _World:
    """Users, corpus and metrics responding to and updating from `slate_docs`.

    The states update from the previous step's slate and response, or with `slate_first` (the
    slate comes from outside, at the start of the step) from this step's.
    """
    user_state, user_response = _users_responding_to(user, slate_docs, slate_first)
    corpus_specs = corpus.specs()
    metrics_state = Variable("metrics_state", metrics.specs().get("state"))
    corpus_state = Variable("corpus_state", corpus_specs.get("state"))
    available_docs = Variable("available_docs", corpus_specs.get("available_docs"))
    user_observation = Variable("user_observation", user.specs().get("observation"))
    response, shown = _step_outcome(user_response, slate_docs, slate_first)
    metrics_state.initial_value = value(metrics.initial_metrics)
    metrics_state.value = value(metrics.next_metrics, (
        metrics_state.previous, corpus_state.previous, user_state.previous, response, shown))
    corpus_state.initial_value = value(corpus.initial_state)
    corpus_state.value = value(corpus.next_state, (corpus_state.previous, response, shown))
    available_docs.value = value(corpus.available_documents, (corpus_state,))
    user_observation.value = value(user.observation, (user_state,))
    return _World(metrics_state, corpus_state, available_docs, user_state, user_observation,
                  user_response)


def _step_outcome(user_response: Variable, slate_docs: Variable,
                  slate_first: bool) -> tuple[DependencyLike, DependencyLike]:
    """The response and slate a step's state updates read: this step's with `slate_first`,
    else the previous step's."""
    if slate_first:
        return user_response, slate_docs
    return user_response.previous, slate_docs.previous


def simplified_recs_story(config: Config, user_ctor: UserConstructor,
                          recommender_ctor: RecommenderConstructor) -> list[Variable]:
    """Users and a stateless recommender, no corpus or metrics: `slate_docs`, `user_state`,
    `user_response`. The recommender's `slate_docs` receives empty state, observation and
    available documents."""
    recommender = recommender_ctor(config)
    slate_docs = Variable("slate_docs", recommender.specs().get("slate"))
    slate_docs.value = value(lambda: recommender.slate_docs(Value(), Value(), Value()))
    return [slate_docs, *_users_responding_to(user_ctor(config), slate_docs)]


def recs_story_using_logged_slate_docs(config: Config, user_ctor: UserConstructor,
                                       slate_docs: Variable) -> list[Variable]:
    """Users responding to slates from `slate_docs`, e.g. a `replay_variable` of logged slates."""
    return [slate_docs, *_users_responding_to(user_ctor(config), slate_docs)]


def _users_responding_to(user: User, slate_docs: Variable,
                         slate_first: bool = False) -> tuple[Variable, Variable]:
    """`user_state` and `user_response` to `slate_docs`: the users respond in their state after
    their last response, and update from a response (see `_world` for `slate_first`)."""
    user_specs = user.specs()
    user_state = Variable("user_state", user_specs.get("state"))
    user_response = Variable("user_response", user_specs.get("response"))
    user_state.initial_value = value(user.initial_state)
    user_state.value = value(user.next_state, (
        user_state.previous, *_step_outcome(user_response, slate_docs, slate_first)))
    if slate_first:
        user_response.initial_value = value(user.next_response, (user_state, slate_docs))
    user_response.value = value(user.next_response, (
        user_state.previous if slate_first else user_state, slate_docs))
    return user_state, user_response


def _config_size(config: Config, key: str) -> int:
    """A positive int config entry, or an error naming the key."""
    if key not in config:
        raise KeyError(f"agent_recs_story needs config key {key!r}; the config has"
                       f" {sorted(config)}")
    return check_size(f"config key {key!r}", config[key])


def _slate_docs_spec(available_docs: ValueSpec, num_users: int, slate_size: int) -> ValueSpec:
    """Each available-document field `[num_docs, ...]` as a slate field
    `[num_users, slate_size, ...]`, with the same dtype and space."""
    def slate_field(spec: CoreFieldSpec) -> FieldSpec:
        if not isinstance(spec, FieldSpec):  # A plain spec: shape and dtype learned later.
            return FieldSpec()
        shape = tf.TensorShape([num_users, slate_size]).concatenate(spec.shape[1:])
        return FieldSpec(shape, spec.dtype, spec.space)

    return available_docs.map(slate_field)


def _gathered(available_docs: Value, slate: Value) -> Value:
    """The available documents' fields at each user's slate indices."""
    return available_docs.map(lambda docs: tf.gather(docs, slate.get("slate")))


def static_recs_story(config: Config, user_ctor: UserConstructor,
                      corpus_ctor: CorpusConstructor) -> list[Variable]:
    """A one-shot story: the users respond once to every available document.

    Only initial values are defined, so the variables keep their values if stepped.
    """
    user, corpus = user_ctor(config), corpus_ctor(config)
    user_specs, corpus_specs = user.specs(), corpus.specs()
    corpus_state = Variable("corpus_state", corpus_specs.get("state"))
    available_docs = Variable("available_docs", corpus_specs.get("available_docs"))
    user_state = Variable("user_state", user_specs.get("state"))
    user_response = Variable("user_response", user_specs.get("response"))
    corpus_state.initial_value = value(corpus.initial_state)
    available_docs.initial_value = value(corpus.available_documents, (corpus_state,))
    user_state.initial_value = value(user.initial_state)
    user_response.initial_value = value(user.next_response, (user_state, available_docs))
    return [user_state, user_response, corpus_state, available_docs]
