"""The ecosystem entities on hand-built states: corpus, recommender, users and metrics."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.ecosystem_simulation.corpus import ViableCorpus
from recsim_ng.applications.ecosystem_simulation.metrics import UtilityAsRewardMetrics
from recsim_ng.applications.ecosystem_simulation.recommender import SCORE_WIDTH, MyopicRecommender
from recsim_ng.applications.ecosystem_simulation.simulation import init_random_provider_clusters
from recsim_ng.applications.ecosystem_simulation.user import (ClusteredNormalUser,
                                                              ClusteredNormalUserCoreDispersion)
from recsim_ng.core import Value

MEANS = np.array([[0.0, 0.0], [3.0, 4.0], [-6.0, 8.0]], np.float32)  # norms 0, 5, 10


def config(num_users=3, num_docs=4, slate_size=3, **extra):
    return {"num_users": num_users, "num_topics": 2, "num_docs": num_docs,
            "slate_size": slate_size, "provider_means": MEANS, **extra}


def choose(slate_providers, choice):
    return (Value(provider_id=tf.constant(slate_providers, tf.int32)),
            Value(choice=tf.constant(choice, tf.int32)))


def test_corpus_counts_clicks_on_the_chosen_providers_and_discounts_the_past():
    corpus = ViableCorpus(config(), discount=0.5)
    slate, response = choose([[0, 1, 2], [1, 1, 0], [2, 1, 1]], [0, 1, 1])
    state = corpus.next_state(Value(provider_click_count=tf.constant([1.0, 0.0, 10.0])),
                              response, slate)
    np.testing.assert_allclose(state.get("provider_click_count"), [0.5 + 1, 0 + 2, 5 + 0])


def test_corpus_draws_providers_in_proportion_to_one_plus_clicks_to_the_gamma():
    corpus = ViableCorpus(config(num_docs=4), gamma=2.0, provider_stddev=0.5)
    docs = corpus.available_documents(Value(provider_click_count=tf.constant([0.0, 3.0, 1.0])))
    probs = docs.get("provider_id").probs_parameter()
    np.testing.assert_allclose(probs, np.tile(np.array([1, 16, 4]) / 21, [4, 1]), rtol=1e-5)
    features = docs.get("doc_features")(provider_id=tf.constant([2, 0, 1, 1]))
    np.testing.assert_allclose(features.mean(), MEANS[[2, 0, 1, 1]])
    np.testing.assert_allclose(features.stddev(), np.full([4, 2], 0.5))


def test_corpus_initial_state_has_no_clicks():
    state = ViableCorpus(config()).initial_state()
    np.testing.assert_array_equal(state.get("provider_click_count"), [0, 0, 0])


def test_recommender_counts_each_users_pulls_per_provider():
    recommender = MyopicRecommender(config())
    slate, response = choose([[0, 1, 2], [1, 1, 0], [2, 1, 1]], [0, 2, 1])
    pulls = recommender.next_state(recommender.initial_state(), response, slate)
    pulls = recommender.next_state(pulls, response, slate).get("provider_pulls")
    np.testing.assert_array_equal(pulls, [[2, 0, 0], [2, 0, 0], [0, 2, 0]])


@pytest.mark.parametrize("cap, expected", [(3.0, [-3, 3, 2, 3]), (10.0, [-6, 4, 2, 4]),
                                           (0.0, [0, 0, 0, 0])])
def test_boost_promotes_less_pulled_providers_and_is_clipped_to_the_cap(cap, expected):
    recommender = MyopicRecommender(config(provider_boost_cap=cap))
    pulls = tf.constant([[6.0, 0.0, 1.0], [4.0, 0.0, 1.0], [0.0, 0.0, 0.0]])  # n = [10, 0, 2]
    boost = recommender.provider_boost(pulls, tf.constant([0, 1, 2, 1]))  # mean(n) - n = 4 - n
    np.testing.assert_allclose(boost, expected)


def recommend(cap, pulls):
    """One user at the origin; docs of providers 0, 1, 0, 1 at distances 0.5, 1, 2, 4."""
    recommender = MyopicRecommender(config(num_users=1, num_docs=4, slate_size=2,
                                           provider_boost_cap=cap))
    docs = Value(provider_id=tf.constant([0, 1, 0, 1]),
                 doc_features=tf.constant([[0.5, 0.0], [0.0, -1.0], [-2.0, 0.0], [0.0, 4.0]]))
    return recommender.slate_docs(Value(provider_pulls=tf.constant([pulls])),
                                  Value(user_interests=tf.zeros([1, 2])), docs), docs


def resolve_slate(raw, seed):
    scores = raw.get("doc_scores").sample(seed=seed)
    doc_id = raw.get("doc_id")(doc_scores=scores)
    return scores, doc_id, raw.get("provider_id")(doc_id=doc_id), raw.get("doc_features")(
        doc_id=doc_id)


def test_without_boost_the_slate_holds_the_closest_documents():
    raw, docs = recommend(0.0, [5.0, 0.0])
    scores, doc_id, provider_id, features = resolve_slate(raw, seed=[1, 2])
    affinity = 2.0 - np.array([0.5, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(raw.get("doc_scores").low, [affinity])
    np.testing.assert_allclose(raw.get("doc_scores").high, [affinity + SCORE_WIDTH])
    np.testing.assert_array_equal(doc_id, [[0, 1]])
    np.testing.assert_array_equal(provider_id, [[0, 1]])
    np.testing.assert_allclose(features, tf.gather(docs.get("doc_features"), [[0, 1]]))


def test_boost_widens_scores_up_for_unpopular_and_down_for_popular_providers():
    raw, _ = recommend(1.5, [5.0, 0.0])  # Provider 0 is pulled more: boosts -1.5 and +1.5.
    affinity = 2.0 - np.array([0.5, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(raw.get("doc_scores").low,
                               [affinity + [-1.5 + SCORE_WIDTH, 0, -1.5 + SCORE_WIDTH, 0]],
                               rtol=1e-6)
    np.testing.assert_allclose(raw.get("doc_scores").high,
                               [affinity + [0, 1.5 + SCORE_WIDTH, 0, 1.5 + SCORE_WIDTH]],
                               rtol=1e-6)
    scores, doc_id, provider_id, _ = resolve_slate(raw, seed=[3, 4])
    np.testing.assert_array_equal(doc_id, tf.math.top_k(scores, 2).indices)
    np.testing.assert_array_equal(provider_id, tf.gather([0, 1, 0, 1], doc_id))


def interest_users(user_ctor=ClusteredNormalUser, **kwargs):
    return user_ctor(config(num_users=2, slate_size=3), **kwargs)


def test_users_choose_the_closest_document_when_no_choice_is_impossible():
    user = interest_users()
    interests = tf.constant([[0.0, 0.0], [30.0, 0.0]])
    slate = Value(doc_features=tf.constant([[[20.0, 0.0], [0.0, 0.0], [0.0, 25.0]],
                                            [[0.0, 0.0], [10.0, 0.0], [30.0, 0.0]]]))
    choice = user.next_response(Value(user_interests=interests), slate).get("choice")
    probs = choice.probs_parameter().numpy()
    np.testing.assert_array_equal(probs[:, 3], [0, 0])  # The no-choice option, index K.
    np.testing.assert_allclose([probs[0, 1], probs[1, 2]], [1.0, 1.0], rtol=0, atol=1e-7)
    draws = choice.sample(1000, seed=[5, 6])
    np.testing.assert_array_equal(draws, np.tile([1, 2], [1000, 1]))


def test_utility_is_normal_around_the_chosen_documents_affinity_and_interests_move_towards_it():
    user = interest_users(interest_step_size=0.25, utility_stddev=0.5)
    interests = tf.constant([[0.0, 0.0], [1.0, 1.0]])
    slate = Value(doc_features=tf.constant([[[9.0, 9.0], [3.0, 4.0], [1.0, 0.0]],
                                            [[1.0, 1.0], [5.0, 5.0], [1.0, 2.0]]]))
    state = user.next_state(Value(utilities=tf.zeros([2]), user_interests=interests),
                            Value(choice=tf.constant([1, 2])), slate)
    np.testing.assert_allclose(state.get("utilities").mean(), [2 - 5, 2 - 1])
    np.testing.assert_allclose(state.get("utilities").stddev(), [0.5, 0.5])
    np.testing.assert_allclose(state.get("user_interests"), [[0.75, 1.0], [1.0, 1.25]])


def test_static_interests_by_default_and_fully_observed():
    user = interest_users()
    state = Value(utilities=tf.zeros([2]), user_interests=tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    slate = Value(doc_features=tf.zeros([2, 3, 2]))
    following = user.next_state(state, Value(choice=tf.constant([0, 1])), slate)
    np.testing.assert_array_equal(following.get("user_interests"), state.get("user_interests"))
    assert user.observation(following) == Value(user_interests=state.get("user_interests"))


@pytest.mark.parametrize("user_ctor, scales", [
    (ClusteredNormalUser, [20.5, 20.5, 20.5]),
    (ClusteredNormalUserCoreDispersion, [20.5, 20.5 / 6, 20.5 / 11])])
def test_interest_prior_weights_providers_by_inverse_norm(user_ctor, scales):
    prior = interest_users(user_ctor).initial_state().get("user_interests")
    np.testing.assert_allclose(prior.mixture_distribution.probs_parameter(),
                               np.tile(np.array([1, 1 / 6, 1 / 11]) / (1 + 1 / 6 + 1 / 11),
                                       [2, 1]), rtol=1e-6)
    components = prior.components_distribution
    np.testing.assert_allclose(components.mean(), np.broadcast_to(MEANS, [2, 3, 2]))
    np.testing.assert_allclose(components.stddev(),
                               np.broadcast_to(np.array(scales)[:, None], [2, 3, 2]), rtol=1e-6)


def test_metrics_take_the_utility_as_reward_and_accumulate_it():
    metrics = UtilityAsRewardMetrics({"num_users": 2})
    state = metrics.initial_metrics()
    for utility in ([1.0, -2.0], [0.5, 4.0]):
        state = metrics.next_metrics(state, Value(), Value(utilities=tf.constant(utility)),
                                     Value(), Value())
    np.testing.assert_allclose(state.get("reward"), [0.5, 4.0])
    np.testing.assert_allclose(state.get("cumulative_reward"), [1.5, 2.0])


def test_provider_clusters_are_reproducible_from_the_seed():
    means = init_random_provider_clusters(64.0, 3, 5, 2, seed=7)
    assert means.shape == (15, 2) and means.dtype == np.float32
    np.testing.assert_array_equal(means, init_random_provider_clusters(64.0, 3, 5, 2, seed=7))
    assert not np.array_equal(means, init_random_provider_clusters(64.0, 3, 5, 2, seed=8))
