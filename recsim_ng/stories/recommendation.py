"""Recommendation stories: users, corpus, recommender and metrics wired into variables.

Variable names are snake_case versions of RecSim NG's ("user state" becomes `user_state`). As in
RecSim NG, states are updated from the previous step's slates and responses, so metrics at step t
see step t-1's choices.
"""

from __future__ import annotations

from recsim_ng.core import Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.recommendation import (Config, CorpusConstructor, MetricsConstructor,
                                               RecommenderConstructor, UserConstructor)


def recs_story(config: Config, user_ctor: UserConstructor, corpus_ctor: CorpusConstructor,
               recommender_ctor: RecommenderConstructor,
               metrics_ctor: MetricsConstructor) -> list[Variable]:
    """The full story: eight variables, in an order `Network` keeps for independent ones.

    Each step: the corpus, user and recommender states update from the previous slates and
    responses; the corpus offers documents; the recommender picks slates from them given the
    users' observations; the users respond; the metrics accumulate the previous step.
    """
    user, corpus = user_ctor(config), corpus_ctor(config)
    recommender, metrics = recommender_ctor(config), metrics_ctor(config)
    user_specs, corpus_specs = user.specs(), corpus.specs()
    recommender_specs = recommender.specs()

    metrics_state = Variable("metrics_state", metrics.specs().get("state"))
    corpus_state = Variable("corpus_state", corpus_specs.get("state"))
    available_docs = Variable("available_docs", corpus_specs.get("available_docs"))
    user_state = Variable("user_state", user_specs.get("state"))
    user_observation = Variable("user_observation", user_specs.get("observation"))
    recommender_state = Variable("recommender_state", recommender_specs.get("state"))
    slate_docs = Variable("slate_docs", recommender_specs.get("slate"))
    user_response = Variable("user_response", user_specs.get("response"))

    metrics_state.initial_value = value(metrics.initial_metrics)
    metrics_state.value = value(metrics.next_metrics, (
        metrics_state.previous, corpus_state.previous, user_state.previous,
        user_response.previous, slate_docs.previous))
    corpus_state.initial_value = value(corpus.initial_state)
    corpus_state.value = value(corpus.next_state, (
        corpus_state.previous, user_response.previous, slate_docs.previous))
    available_docs.value = value(corpus.available_documents, (corpus_state,))
    user_state.initial_value = value(user.initial_state)
    user_state.value = value(user.next_state, (
        user_state.previous, user_response.previous, slate_docs.previous))
    user_observation.value = value(user.observation, (user_state,))
    recommender_state.initial_value = value(recommender.initial_state)
    recommender_state.value = value(recommender.next_state, (
        recommender_state.previous, user_response.previous, slate_docs.previous))
    slate_docs.value = value(recommender.slate_docs,
                             (recommender_state, user_observation, available_docs))
    user_response.value = value(user.next_response, (user_state, slate_docs))
    return [metrics_state, corpus_state, available_docs, user_state, user_observation,
            recommender_state, slate_docs, user_response]


def simplified_recs_story(config: Config, user_ctor: UserConstructor,
                          recommender_ctor: RecommenderConstructor) -> list[Variable]:
    """Users and a stateless recommender, no corpus or metrics: `slate_docs`, `user_state`,
    `user_response`. The recommender's `slate_docs` receives empty state, observation and
    available documents."""
    recommender = recommender_ctor(config)
    slate_docs = Variable("slate_docs", recommender.specs().get("slate"))
    slate_docs.value = value(lambda: recommender.slate_docs(Value(), Value(), Value()))
    return [slate_docs, *_users_responding_to(config, user_ctor, slate_docs)]


def recs_story_using_logged_slate_docs(config: Config, user_ctor: UserConstructor,
                                       slate_docs: Variable) -> list[Variable]:
    """Users responding to slates from `slate_docs`, e.g. a `replay_variable` of logged slates."""
    return [slate_docs, *_users_responding_to(config, user_ctor, slate_docs)]


def _users_responding_to(config: Config, user_ctor: UserConstructor,
                         slate_docs: Variable) -> list[Variable]:
    user = user_ctor(config)
    user_specs = user.specs()
    user_state = Variable("user_state", user_specs.get("state"))
    user_response = Variable("user_response", user_specs.get("response"))
    user_state.initial_value = value(user.initial_state)
    user_state.value = value(user.next_state, (
        user_state.previous, user_response.previous, slate_docs.previous))
    user_response.value = value(user.next_response, (user_state, slate_docs))
    return [user_state, user_response]


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
