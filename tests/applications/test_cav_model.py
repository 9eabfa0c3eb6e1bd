"""The soft-attribute user and corpus on a small population: specs, invariants, log-probability."""

import functools

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.cav_synthetic_model import (ConceptActivationVectorUser,
                                                        SoftAttributeCorpus, cav_network,
                                                        default_config, ratings_from_scores)
from recsim_ng.core import Value
from recsim_ng.lib.log_probability import log_probability, log_probability_fn, total_log_prob
from recsim_ng.lib.runtime import TFRuntime

U, D, M, DIMS, S, J, G = 12, 10, 8, 7, 5, 1, 3
SUBJECTIVE = np.array([[0.3, 0.7]] * S, np.float32)  # Every tag: threshold 0.3 or 0.7.
EPS = 0.01


def small_config(**overrides):
    config = default_config(num_users=U, num_docs=D, num_topics=2, dimension=DIMS, num_tags=S,
                            num_subjective_tag_groups=J, subjective_tag_group_size=G)
    return {**config, **overrides}


def small_network():
    user = functools.partial(ConceptActivationVectorUser, max_num_ratings=M,
                             topic_logits=[0.5, -0.5], subjective_tagging_thresholds=SUBJECTIVE,
                             tagging_threshold_eps=EPS, no_tagging_prob=0.3)
    return cav_network(small_config(), user, SoftAttributeCorpus)


@pytest.fixture(scope="module")
def network():
    return small_network()


@pytest.fixture(scope="module")
def recorded(network):
    return TFRuntime(network, record_log_probs=True).trajectory(1, seed=7)


@pytest.fixture(scope="module")
def step(recorded):
    """`{variable: {field: array}}` at the only step."""
    return {name: {field: np.asarray(x)[0] for field, x in val.as_dict.items()}
            for name, val in recorded.items()}


def test_every_field_matches_its_fully_declared_spec_and_space(network, step):
    for variable in network.variables:
        fields = step[variable.name]
        assert set(fields) == set(variable.spec.as_dict), variable.name
        for field, spec in variable.spec.as_dict.items():
            assert spec.shape.is_fully_defined(), (variable.name, field)
            assert spec.check_value(fields[field]) == (True, ""), (variable.name, field)
            assert spec.space.contains(fields[field]), (variable.name, field)
        checked = variable.typecheck(Value(**fields))
        assert set(checked.as_dict) == set(fields)


def test_spec_check_rejects_a_wrong_shape(network, step):
    user_response = network.variable("user_response")
    fields = dict(step["user_response"], ratings=step["user_response"]["ratings"][:, :-1])
    with pytest.raises(ValueError, match="'user_response', field 'ratings'"):
        user_response.typecheck(Value(**fields))


def test_shapes_of_a_small_population(step):
    state, response, docs = step["user_state"], step["user_response"], step["available_docs"]
    assert state["tagging_thresholds"].shape == (U, M, S)
    assert state["utility_vector"].shape == state["utility_peaks"].shape == (U, DIMS)
    assert state["threshold_component"].shape == (U, S)
    assert response["rated_docs"].shape == response["ratings"].shape == (U, M)
    assert response["tags"].shape == (U, M, S)
    assert docs["attribute_vector"].shape == (D, DIMS) and docs["popularity_bias"].shape == (D,)


def test_corpus_clips_attributes_and_offers_its_documents(step):
    corpus, docs = step["corpus_state"], step["available_docs"]
    np.testing.assert_array_equal(corpus["attribute_vector"],
                                  np.clip(corpus["untruncated_attributes"], 0, 1))
    assert 0 < corpus["attribute_vector"].mean() < 1  # Not all clipped to one end.
    np.testing.assert_array_equal(docs["attribute_vector"], corpus["attribute_vector"])
    np.testing.assert_array_equal(docs["popularity_bias"], corpus["popularity_bias"])
    assert np.all((docs["popularity_bias"] > 0) & (docs["popularity_bias"] < 1))


def test_utility_is_the_clipped_utility_masked_by_the_tag_sense(step):
    state = step["user_state"]
    sense_mask = np.tile(np.eye(G)[state["tag_sense"]], [1, J])
    expected_mask = np.concatenate([sense_mask, np.ones([U, DIMS - J * G])], axis=1)
    np.testing.assert_array_equal(state["utility_mask"], expected_mask)
    np.testing.assert_allclose(state["utility_vector"],
                               np.clip(state["untruncated_utility"] * expected_mask, 0, 1))
    assert np.all((state["utility_peaks"] >= 0.3) & (state["utility_peaks"] <= 1))


def test_tagging_probability_and_personal_thresholds(step):
    state = step["user_state"]
    tagging_prob = state["tagging_prob"]
    assert np.all((tagging_prob == 0) | ((tagging_prob >= 0.1) & (tagging_prob <= 0.5)))
    own = SUBJECTIVE[np.arange(S), state["threshold_component"]]  # [U, S]
    assert np.abs(state["tagging_thresholds"] - own[:, np.newaxis, :]).max() < 6 * EPS


def test_ratings_are_1_to_5_for_rated_docs_and_0_beyond(step):
    num_ratings = step["user_state"]["num_ratings"]
    num_rated, ratings = step["user_response"]["num_rated"], step["user_response"]["ratings"]
    np.testing.assert_array_equal(num_rated, np.clip(num_ratings, 1, M))
    rated = np.arange(M) < num_rated[:, np.newaxis]
    assert np.all((ratings[rated] >= 1) & (ratings[rated] <= 5))
    assert np.all(ratings[~rated] == 0)
    assert rated.any(axis=1).all() and (~rated).any()  # Both kinds of slot occur.


def test_ratings_follow_scores_and_reproduce_from_the_logged_fields(step):
    response = step["user_response"]
    scores, ratings, num_rated = response["scores"], response["ratings"], response["num_rated"]
    np.testing.assert_array_equal(ratings_from_scores(scores, num_rated), ratings)
    for user in range(U):
        n = num_rated[user]
        user_scores, user_ratings = scores[user, :n], ratings[user, :n]
        order = np.argsort(user_scores)
        assert np.all(np.diff(user_ratings[order]) >= 0)  # Monotone in the score.
        assert user_ratings[order[-1]] == 5
        assert n == 1 or user_ratings[order[0]] == 1


def test_ratings_from_scores_on_known_values():
    scores = tf.constant([[0.0, 2.5, 5.0, 7.5, 10.0, 99.0], [3.0, -1.0, 0.0, 0.0, 0.0, 0.0]])
    ratings = ratings_from_scores(scores, tf.constant([5, 1]))
    np.testing.assert_array_equal(ratings, [[1, 2, 3, 4, 5, 0], [5, 0, 0, 0, 0, 0]])


def test_rated_docs_are_distinct_documents(step):
    rated_docs = step["user_response"]["rated_docs"]
    assert np.all((rated_docs >= 0) & (rated_docs < D))
    assert all(len(set(row)) == M for row in rated_docs)


def test_tags_only_where_the_tagging_decision_and_the_threshold_allow(step):
    state, response = step["user_state"], step["user_response"]
    rated_docs, is_doc_tagged = response["rated_docs"], response["is_doc_tagged"]
    rated = np.arange(M) < response["num_rated"][:, np.newaxis]
    assert np.all(is_doc_tagged[~rated] == 0)
    assert np.all(is_doc_tagged[state["tagging_prob"] == 0] == 0)
    perceived = step["available_docs"]["attribute_vector"][rated_docs] * state["utility_mask"][
        :, np.newaxis, :]
    allowed = (is_doc_tagged[..., np.newaxis] == 1) & (perceived[..., :S]
                                                        > state["tagging_thresholds"])
    np.testing.assert_array_equal(response["tags"], allowed.astype(np.int32))
    assert response["tags"].any()  # The check is not vacuous for this seed.


def test_same_seed_same_population_and_different_seed_different_one(network, recorded):
    runtime = TFRuntime(network)
    again, other = runtime.trajectory(1, seed=7), runtime.trajectory(1, seed=8)
    np.testing.assert_array_equal(again["user_response"].get("scores"),
                                  recorded["user_response"].get("scores"))
    assert not np.array_equal(other["user_response"].get("scores"),
                              recorded["user_response"].get("scores"))


def test_log_probability_equals_the_online_log_probs_field_by_field(network, recorded):
    online = recorded.log_probs
    data = dict(recorded)
    assert {name: set(val.as_dict) for name, val in online.items()} == {
        "user_state": {"num_ratings", "tagging_prob", "threshold_component",
                       "tagging_thresholds", "untruncated_utility", "tag_sense",
                       "utility_peaks"},
        "user_response": {"rated_docs", "scores", "is_doc_tagged"},
        "corpus_state": {"untruncated_attributes", "popularity_bias"}}
    per_field = log_probability_fn(network).per_field(data)
    for name, val in online.items():
        for field, recorded_log_prob in val.as_dict.items():
            assert np.all(np.isfinite(recorded_log_prob)), (name, field)
            np.testing.assert_allclose(per_field[name].get(field),
                                       recorded_log_prob, rtol=1e-5, atol=1e-5)
    total = log_probability(network, data)
    np.testing.assert_allclose(total, total_log_prob(online), rtol=1e-5)
    response = data["user_response"]
    scores = response.get("scores").numpy()
    scores[0, 0, 0] += 1.0  # 50 noise standard deviations: a far less likely log.
    with pytest.raises(ValueError, match="'user_response', field 'ratings'"):
        # The ratings no longer follow from the scores: the log is inconsistent.
        log_probability(network, {**data, "user_response": Value(
            **{**response.as_dict, "scores": scores})})
    ratings = ratings_from_scores(scores, response.get("num_rated"))
    moved = {**data, "user_response": Value(**{**response.as_dict, "scores": scores,
                                               "ratings": ratings})}
    assert log_probability(network, moved) < total


@pytest.mark.parametrize("overrides, user_args, message", [
    ({"colour": 1}, {}, "unknown config keys \\['colour'\\]"),
    ({"num_tags": DIMS}, {}, "num_tags \\(7\\) must be smaller"),
    ({"subjective_tag_group_size": 3, "num_subjective_tag_groups": 2}, {},
     "2 subjective tag groups of 3 tags do not fit"),
    ({}, {"max_num_ratings": D + 1}, "max_num_ratings must be in 1..num_docs=10"),
    ({}, {"tagging_thresholds": [0.5] * (S - 1)}, "tagging_thresholds must have shape"),
    ({}, {"utility_peak_low": 1.0}, "utility_peak_low must lie in \\[0, 1\\)"),
])
def test_bad_configuration_is_named(overrides, user_args, message):
    user = functools.partial(ConceptActivationVectorUser, **user_args)
    with pytest.raises((KeyError, ValueError), match=message):
        cav_network(small_config(**overrides), user, SoftAttributeCorpus)


def test_missing_config_key_is_named():
    config = small_config()
    del config["num_tags"]
    with pytest.raises(KeyError, match="needs config key 'num_tags'"):
        cav_network(config)
