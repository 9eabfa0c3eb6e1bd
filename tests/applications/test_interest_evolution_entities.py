"""Interest evolution corpus, user, metrics and recommender, on hand-built states."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.interest_evolution.corpus import (sample_corpus,
                                                              topic_quality_means)
from recsim_ng.applications.interest_evolution.metrics import ConsumedTimeAsRewardMetrics
from recsim_ng.applications.interest_evolution.recommender import (CollabFilteringModel,
                                                                   CollabFilteringRecommender)
from recsim_ng.applications.interest_evolution.user import InterestEvolutionUser, squash
from recsim_ng.core import Value

U, T, K, D, L = 3, 2, 2, 4, 3
CONFIG = {"num_users": U, "num_topics": T, "slate_size": K, "num_docs": D, "history_length": L}
INTEREST = np.array([[0.0, 0.0], [1.0, -1.0], [0.5, 2.0]], np.float32)
SLATE = Value(doc_id=np.array([[1, 2], [3, 4], [2, 1]], np.int32),
              doc_features=np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [-1.0, 0.5]],
                                     [[0.0, 1.0], [1.0, 0.0]]], np.float32),
              doc_quality=np.array([[-1.0, 0.5], [0.2, -0.3], [0.5, -1.0]], np.float32),
              doc_length=np.full([U, K], 2.0, np.float32))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_topic_quality_means_put_trashy_topics_first():
    np.testing.assert_allclose(topic_quality_means(2), [-1.0, 0.0])
    np.testing.assert_allclose(topic_quality_means(10),
                               [*np.linspace(-1, 0, 7), *np.linspace(0, 1, 3)], atol=1e-6)


def test_sampled_corpus_has_the_stated_distribution():
    config = {"num_docs": 4000, "num_topics": 4}
    corpus = sample_corpus(config, seed=3).map(np.asarray)
    np.testing.assert_array_equal(corpus.get("doc_id"), np.arange(1, 4001))
    np.testing.assert_array_equal(corpus.get("doc_length"), 2.0)
    topics = corpus.get("doc_topic")
    counts = np.bincount(topics, minlength=4)
    # Each count is Binomial(4000, 1/4): standard deviation 27.4.
    assert np.all(np.abs(counts - 1000) < 4 * 27.4)
    means = topic_quality_means(4)
    for topic in range(4):
        mine = topics == topic
        quality = corpus.get("doc_quality")[mine]
        features = corpus.get("doc_features")[mine]
        assert abs(quality.mean() - means[topic]) < 4 * 0.1 / np.sqrt(mine.sum())
        assert abs(quality.std() - 0.1) < 0.02
        np.testing.assert_array_less(np.abs(features.mean(0) - np.eye(4)[topic]),
                                     4 * 0.7 / np.sqrt(mine.sum()))
    np.testing.assert_array_equal(sample_corpus(config, seed=3).get("doc_quality"),
                                  corpus.get("doc_quality"))
    assert not np.array_equal(sample_corpus(config, seed=4).get("doc_topic"), topics)


def test_user_initial_interest_is_standard_normal():
    interest = InterestEvolutionUser(CONFIG).initial_state().get("interest")
    assert interest.batch_shape == [U] and interest.event_shape == [T]
    np.testing.assert_array_equal(interest.mean(), 0.0)
    np.testing.assert_array_equal(interest.stddev(), 1.0)


def test_user_clicks_by_multinomial_logit_on_distance_and_consumes_time():
    response = InterestEvolutionUser(CONFIG).next_response(Value(interest=INTEREST), SLATE)
    distances = np.linalg.norm(INTEREST[:, None, :] - SLATE.get("doc_features"), axis=-1)
    logits = np.concatenate([2.0 - distances, np.zeros([U, 1])], -1)
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(response.get("choice").probs_parameter(), expected, rtol=1e-5)
    choice = tf.constant([0, 2, 1])
    quality = SLATE.get("doc_quality")
    np.testing.assert_allclose(response.get("consumed_time")(choice=choice),
                               [2 * sigmoid(1.0), -1.0, 2 * sigmoid(1.0)], rtol=1e-6)
    assert quality[0, 0] == quality[2, 1] == -1.0  # Clickbait: low quality, long consumption.


def test_user_interest_moves_with_quality_towards_the_clicked_doc_then_squashes():
    user = InterestEvolutionUser(CONFIG)
    choice = np.array([1, 2, 0], np.int32)  # The second user does not click.
    state = user.next_state(Value(interest=INTEREST), Value(choice=choice), SLATE)
    features, quality = SLATE.get("doc_features"), SLATE.get("doc_quality")
    expected = INTEREST.copy()
    for u, j in ((0, 1), (2, 0)):
        moved = INTEREST[u] + 0.1 * quality[u, j] * (features[u, j] - INTEREST[u])
        expected[u] = 40.0 * (sigmoid(moved / 10.0) - 0.5)
    np.testing.assert_allclose(state.get("interest"), expected, rtol=1e-5, atol=1e-6)
    assert user.observation(state) == Value()


def test_squash_is_the_identity_near_zero_and_bounded():
    x = tf.constant([-1e3, -0.1, 0.0, 0.1, 1e3])
    np.testing.assert_allclose(squash(x, 10.0), [-20.0, -0.1, 0.0, 0.1, 20.0], rtol=1e-4)


def test_metrics_reward_consumed_time_and_zero_without_click():
    metrics = ConsumedTimeAsRewardMetrics(CONFIG)
    initial = metrics.initial_metrics()
    np.testing.assert_array_equal(initial.get("cumulative_reward"), 0.0)
    response = Value(choice=np.array([0, 2, 1]), consumed_time=np.array([1.5, -1.0, 0.5],
                                                                         np.float32))
    after = metrics.next_metrics(initial, Value(), Value(), response, SLATE)
    after = metrics.next_metrics(after, Value(), Value(), response, SLATE)
    np.testing.assert_allclose(after.get("reward"), [1.5, 0.0, 0.5])
    np.testing.assert_allclose(after.get("cumulative_reward"), [3.0, 0.0, 1.0])


def test_recommender_history_appends_clicks_only():
    recommender = CollabFilteringRecommender(CONFIG)
    state = Value(doc_history=np.array([[0, 0, 3], [1, 2, 3], [4, 4, 4]], np.int32),
                  ctime_history=np.array([[0, 0, 1.0], [1, 1, 1], [2, 2, 2]], np.float32))
    response = Value(choice=np.array([1, 2, 0], np.int32),
                     consumed_time=np.array([0.7, -1.0, 1.3], np.float32))
    after = recommender.next_state(state, response, SLATE)
    np.testing.assert_array_equal(after.get("doc_history"), [[0, 3, 2], [1, 2, 3], [4, 4, 2]])
    np.testing.assert_allclose(after.get("ctime_history"),
                               [[0, 1, 0.7], [1, 1, 1], [2, 2, 1.3]])


def test_recommender_draws_distinct_docs_by_plackett_luce_on_its_scores():
    recommender = CollabFilteringRecommender(CONFIG)
    state = recommender.initial_state()
    docs = Value(doc_id=np.arange(1, D + 1, dtype=np.int32),
                 doc_quality=np.linspace(-1, 1, D).astype(np.float32))
    slate = recommender.slate_docs(state, Value(), docs)
    ranks = slate.get("doc_ranks")
    scores = recommender.model(state.get("doc_history"), state.get("ctime_history"))
    np.testing.assert_allclose(ranks.logits[:, :D], scores)
    assert np.all(np.isneginf(ranks.logits[:, D]))  # No-choice is impossible.
    draws = ranks.sample(200, seed=(1, 2)).numpy()
    assert np.all(draws[..., 0] != draws[..., 1]) and draws.min() >= 0 and draws.max() < D
    picked = tf.constant([[3, 0], [1, 2], [0, 3]])
    np.testing.assert_array_equal(slate.get("doc_id")(doc_ranks=picked), picked.numpy() + 1)
    np.testing.assert_allclose(slate.get("doc_quality")(doc_ranks=picked),
                               docs.get("doc_quality")[picked.numpy()])


def test_collab_filtering_model_ignores_empty_history_slots():
    model = CollabFilteringModel(num_docs=D, history_length=L, seed=5)
    history = tf.constant([[0, 0, 2], [1, 3, 4], [0, 0, 0]])
    times = tf.constant([[0, 0, 1.0], [1, 1, 2], [0, 0, 0]])
    scores = model(history, times)
    assert scores.shape == [U, D]
    model.history_embeddings[0].assign(tf.fill([32], 7.0))
    np.testing.assert_allclose(model(history, times), scores)
    other_last_click = tf.constant([[0, 0, 3], [1, 3, 2], [0, 0, 1]])
    assert not np.any(np.isclose(model(other_last_click, times), scores))


@pytest.mark.parametrize("seed", [0, 1])
def test_collab_filtering_model_is_a_function_of_its_seed(seed):
    first = CollabFilteringModel(num_docs=D, history_length=L, seed=seed)
    second = CollabFilteringModel(num_docs=D, history_length=L, seed=seed)
    other = CollabFilteringModel(num_docs=D, history_length=L, seed=seed + 7)
    np.testing.assert_array_equal(first.proposal_embeddings, second.proposal_embeddings)
    assert not np.array_equal(first.proposal_embeddings, other.proposal_embeddings)


def test_collab_filtering_model_computes_the_same_scores_by_both_first_layer_forms():
    # Few users: the flattened history times the first layer; many users or XLA: the sum of
    # per-slot projected tables. Same function, so same scores and gradients up to rounding.
    model = CollabFilteringModel(num_docs=D, history_length=L, seed=2)
    few = tf.constant([[0, 0, 2], [1, 3, 4], [0, 4, 4]])  # 3 users <= 5 table rows.
    many = tf.tile(few, [3, 1])  # 9 users.
    times = tf.constant([[0, 0, 1.0], [1, 1, 2], [0, 3, 0.5]])

    def scores_and_gradient(history, time):
        with tf.GradientTape() as tape:
            scores = model(history, time)
            loss = tf.reduce_sum(scores ** 2)
        return scores, tape.gradient(loss, model.hidden_weights)

    direct, direct_gradient = scores_and_gradient(few, times)
    projected, _ = scores_and_gradient(many, tf.tile(times, [3, 1]))
    np.testing.assert_allclose(projected[:3], direct, rtol=1e-5, atol=1e-6)
    xla, xla_gradient = tf.function(scores_and_gradient, jit_compile=True)(few, times)
    np.testing.assert_allclose(xla, direct, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xla_gradient, direct_gradient, rtol=1e-4, atol=1e-6)
