"""The recommendation stories, wired with small concrete entities."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.applications.interest_evolution.simulation import (
    create_interest_evolution_simulation_network)
from recsim_ng.core import Network, Value
from recsim_ng.entities.recommendation import BaseRecommender, Corpus, RecsMetricsBase, User
from recsim_ng.lib.data import replay_variable
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.log_probability import log_probability, total_log_prob
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.stories.recommendation import (recs_story, recs_story_using_logged_slate_docs,
                                              simplified_recs_story, static_recs_story)

tfd = tfp.distributions
CONFIG = {"num_users": 6, "num_topics": 2, "num_docs": 5, "slate_size": 2}
U, T, D, K = 6, 2, 5, 2


class ToyUser(User):
    """Static interests; chooses among the slate by multinomial logit (K = no choice)."""

    def specs(self):
        return Value(state=Value(interest=FieldSpec([U, T])),
                     response=Value(choice=FieldSpec([U], tf.int32)),
                     observation=Value(interest=FieldSpec([U, T])))

    def initial_state(self):
        return Value(interest=tfd.Normal(tf.zeros([U, T]), 1.0))

    def next_state(self, previous_state, user_response, slate_docs):
        return previous_state

    def next_response(self, previous_state, slate_docs):
        affinity = tf.einsum("ut,ukt->uk", previous_state.get("interest"),
                             slate_docs.get("features"))
        logits = tf.concat([affinity, tf.zeros([U, 1])], -1)
        return Value(choice=tfd.Categorical(logits=logits, dtype=tf.int32))

    def observation(self, user_state):
        return user_state


class ToyCorpus(Corpus):
    """Fixed features; counts how often each document is chosen."""

    def specs(self):
        return Value(state=Value(features=FieldSpec([D, T]), clicks=FieldSpec([D], tf.int32)),
                     available_docs=Value(features=FieldSpec([D, T])))

    def initial_state(self):
        return Value(features=tf.reshape(tf.range(D * T, dtype=tf.float32), [D, T]) / 10.0,
                     clicks=tf.zeros([D], tf.int32))

    def next_state(self, previous_state, user_response, slate_docs):
        choice = user_response.get("choice")
        chosen = tf.gather(slate_docs.get("doc_id"), tf.minimum(choice, K - 1), batch_dims=1)
        counts = tf.math.bincount(tf.boolean_mask(chosen, choice < K), minlength=D, maxlength=D)
        return Value(features=previous_state.get("features"),
                     clicks=previous_state.get("clicks") + counts)

    def available_documents(self, corpus_state):
        return corpus_state.at("features")


class ToyRecommender(BaseRecommender):
    """A uniformly random slate of distinct documents (Gumbel top-k); counts its steps."""

    def specs(self):
        return Value(state=Value(steps=FieldSpec([], tf.int32)),
                     slate=Value(noise=FieldSpec([U, D]), doc_id=FieldSpec([U, K], tf.int32),
                                 features=FieldSpec([U, K, T])))

    def initial_state(self):
        return Value(steps=tf.constant(0))

    def next_state(self, previous_state, user_response, slate_docs):
        return Value(steps=previous_state.get("steps") + 1)

    def slate_docs(self, previous_state, user_obs, available_docs):
        features = (available_docs.get("features") if "features" in available_docs
                    else tf.zeros([D, T]))
        return Value(noise=tfd.Gumbel(tf.zeros([U, D]), 1.0),
                     doc_id=lambda noise: tf.math.top_k(noise, K).indices,
                     features=lambda doc_id: tf.gather(features, doc_id))


class ClickMetrics(RecsMetricsBase):
    def specs(self):
        return Value(state=Value(clicks=FieldSpec([U], tf.int32)))

    def initial_metrics(self):
        return Value(clicks=tf.zeros([U], tf.int32))

    def next_metrics(self, previous_metrics, corpus_state, user_state, user_response, slate_docs):
        return Value(clicks=previous_metrics.get("clicks")
                     + tf.cast(user_response.get("choice") < K, tf.int32))


def full_network():
    return Network(recs_story(CONFIG, ToyUser, ToyCorpus, ToyRecommender, ClickMetrics))


def test_recs_story_variables_and_step_order():
    network = full_network()
    assert [v.name for v in network.variables] == [
        "metrics_state", "corpus_state", "available_docs", "user_state", "user_observation",
        "recommender_state", "slate_docs", "user_response"]


def test_recs_story_metrics_and_corpus_count_the_previous_steps_choices():
    trajectory = TFRuntime(full_network()).trajectory(8, seed=3)
    choices = trajectory["user_response"].get("choice").numpy()
    clicked = (choices < K).astype(np.int32)
    metrics = trajectory["metrics_state"].get("clicks").numpy()
    np.testing.assert_array_equal(metrics[0], 0)
    np.testing.assert_array_equal(metrics[1:], np.cumsum(clicked, axis=0)[:-1])
    corpus_clicks = trajectory["corpus_state"].get("clicks").numpy()
    assert corpus_clicks[-1].sum() == clicked[:-1].sum()
    slates = trajectory["slate_docs"].get("doc_id").numpy()
    assert all(len(set(slate)) == K for slate in slates.reshape(-1, K))
    np.testing.assert_array_equal(trajectory["recommender_state"].get("steps"), np.arange(8))


def test_recs_story_log_probability_equals_online_log_probs():
    network = full_network()
    trajectory = TFRuntime(network, record_log_probs=True).trajectory(6, seed=4)
    online = trajectory.log_probs
    data = dict(trajectory)
    assert set(online) == {"user_state", "slate_docs",
                           "user_response"}
    np.testing.assert_allclose(log_probability(network, data), total_log_prob(online), rtol=1e-5)


def test_simplified_story_runs_without_corpus_or_metrics():
    network = Network(simplified_recs_story(CONFIG, ToyUser, ToyRecommender))
    assert [v.name for v in network.variables] == ["slate_docs", "user_state", "user_response"]
    trajectory = TFRuntime(network).trajectory(4, seed=0)
    assert trajectory["user_response"].get("choice").shape == (4, U)


def test_logged_slate_story_replays_the_given_slates():
    logged = TFRuntime(full_network()).trajectory(5, seed=1)["slate_docs"]
    slate_spec = ToyRecommender(CONFIG).specs().get("slate")
    slate_docs = replay_variable("slate_docs", slate_spec, logged)
    network = Network(recs_story_using_logged_slate_docs(CONFIG, ToyUser, slate_docs))
    replayed = TFRuntime(network).trajectory(5, seed=9)
    np.testing.assert_array_equal(replayed["slate_docs"].get("doc_id"), logged.get("doc_id"))


def test_static_story_responds_once_to_all_available_documents():
    class AllDocsUser(ToyUser):
        def next_response(self, previous_state, slate_docs):
            affinity = previous_state.get("interest") @ tf.transpose(slate_docs.get("features"))
            return Value(choice=tfd.Categorical(logits=affinity, dtype=tf.int32))

    network = Network(static_recs_story(CONFIG, AllDocsUser, ToyCorpus))
    trajectory = TFRuntime(network).trajectory(3, seed=2)
    choices = trajectory["user_response"].get("choice").numpy()
    assert np.all((choices >= 0) & (choices < D))
    np.testing.assert_array_equal(choices[1:], np.broadcast_to(choices[0], choices[1:].shape))


def test_missing_config_key_is_named():
    with pytest.raises(KeyError, match="ToyRecommender needs config key 'slate_size'"):
        ToyRecommender({"num_users": 1, "num_docs": 2})


@pytest.mark.parametrize("key, size", [("num_users", 0), ("num_docs", -3), ("slate_size", 2.0)])
def test_a_config_size_that_is_not_a_positive_int_is_named(key, size):
    config = {"num_users": 1, "num_docs": 2, "slate_size": 1, key: size}
    with pytest.raises(ValueError, match=f"config key '{key}' must be"):
        ToyRecommender(config)


def test_interest_evolution_refuses_an_empty_history_by_name():
    with pytest.raises(ValueError, match="config key 'history_length' must be >= 1"):
        create_interest_evolution_simulation_network(3, history_length=0)
