"""Choice selectors against hand-computed probabilities; positional bias; get_chosen; specs."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.core import Value
from recsim_ng.entities.choice_models import (
    ExponentialCascadeChoiceModel, IteratedMultinomialLogitChoiceModel, MultinomialLogitChoiceModel,
    MultinomialProportionalChoiceModel, PositionBasedClickModel, ProportionalCascadeChoiceModel,
    TruncatedPlackettLuce, cascade, geometric_examination, get_chosen, multinomial_proportional,
    position_based_clicks, slate_logits)

LOGITS = np.array([1.0, 0.5, -0.3], np.float32)
NOCHOICE = 0.2
K = len(LOGITS)


def probs_of(distribution, outcomes):
    return np.exp(distribution.log_prob(tf.constant(outcomes, tf.int32)).numpy())


def test_multinomial_logit_is_softmax_with_nochoice_last():
    choice = MultinomialLogitChoiceModel([], NOCHOICE).choice(LOGITS).get("choice")
    weights = np.exp(np.append(LOGITS, NOCHOICE))
    np.testing.assert_allclose(probs_of(choice, list(range(K + 1))), weights / weights.sum(),
                               rtol=1e-6)


def test_slate_logits_adds_bias_per_slot_and_broadcasts_nochoice():
    logits = slate_logits(tf.zeros([2, K]), tf.constant([1.0, 2.0]), positional_bias=-0.5)
    np.testing.assert_allclose(logits, [[0.0, -0.5, -1.0, 1.0], [0.0, -0.5, -1.0, 2.0]])


@pytest.mark.parametrize("bias", [-0.3, 0.3])
def test_positional_bias_moves_mass_as_its_sign_says(bias):
    equal = tf.zeros([K])
    single = MultinomialLogitChoiceModel([], 0.0, bias).choice(equal).get("choice")
    ranked = IteratedMultinomialLogitChoiceModel(2, [], 0.0, bias).choice(equal).get("choice")
    slot_probs = probs_of(single, list(range(K)))
    first_pick = [probs_of(ranked, [[i, j] for j in range(K + 1)]).sum() for i in range(K)]
    for probabilities in (slot_probs, np.array(first_pick)):
        differences = np.diff(probabilities)
        assert np.all(np.sign(differences) == np.sign(bias))


def test_iterated_logit_probabilities_of_ordered_lists():
    weights = np.exp(np.append(LOGITS, NOCHOICE))
    total = weights.sum()
    ranked = TruncatedPlackettLuce(np.log(weights).astype(np.float32), num_choices=2)
    expected = {
        (0, 2): weights[0] / total * weights[2] / (total - weights[0]),
        (2, 0): weights[2] / total * weights[0] / (total - weights[2]),
        (1, K): weights[1] / total * weights[K] / (total - weights[1]),
        (K, K): weights[K] / total,
        (0, 0): 0.0,  # repeated item
        (K, 1): 0.0,  # an item after the no-choice
        (K + 1, K): 0.0,  # out of range
        (-1, K): 0.0,
    }
    np.testing.assert_allclose(probs_of(ranked, list(expected)), list(expected.values()),
                               rtol=1e-5)


def test_iterated_logit_fills_with_nochoice_once_the_slate_is_used_up():
    ranked = TruncatedPlackettLuce(tf.constant([0.0, 0.0, -np.inf]), num_choices=4)
    np.testing.assert_allclose(probs_of(ranked, [[0, 1, 2, 2], [1, 0, 2, 2], [0, 1, 2, 0]]),
                               [0.5, 0.5, 0.0])
    draws = ranked.sample(50, seed=tf.constant([1, 2])).numpy()
    assert np.all(np.sort(draws[:, :2], -1) == [0, 1]) and np.all(draws[:, 2:] == 2)


def test_iterated_logit_log_prob_has_finite_gradients():
    logits = tf.Variable([0.3, -0.2, 0.1, 0.0])
    lists = tf.constant([[0, 1, 2], [3, 3, 3], [2, 3, 3], [1, 0, 2]])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(TruncatedPlackettLuce(logits, 3).log_prob(lists))
    assert np.all(np.isfinite(tape.gradient(total, logits)))


def test_proportional_matches_recsim_v1_interest_evolution():
    interests = np.array([0.5, -0.5, 0.0], np.float32)  # b = -1, m = 1
    choice = MultinomialProportionalChoiceModel([], -1.0, 1.0).choice(interests).get("choice")
    shifted = np.append(interests + 1.0, 2.0)
    np.testing.assert_allclose(probs_of(choice, list(range(K + 1))), shifted / shifted.sum(),
                               rtol=1e-6)


def test_cascade_probabilities_follow_the_scan():
    pi = np.array([0.2, 0.5, 0.4], np.float32)
    expected = [0.2, 0.8 * 0.5, 0.8 * 0.5 * 0.4, 0.8 * 0.5 * 0.6]
    np.testing.assert_allclose(probs_of(cascade(pi), list(range(K + 1))), expected, rtol=1e-6)
    certain = cascade(tf.constant([0.0, 1.0, 0.3]))
    np.testing.assert_allclose(probs_of(certain, [0, 1, 2, 3]), [0.0, 1.0, 0.0, 0.0])


def test_cascade_models_scale_exponential_and_shifted_scores():
    scores = np.array([0.1, -0.6, 0.4], np.float32)
    exponential = ExponentialCascadeChoiceModel([], 0.8, 0.3).choice(scores).get("choice")
    proportional = ProportionalCascadeChoiceModel([], 0.9, 0.4, -1.0).choice(scores).get("choice")
    for model, pi in ((exponential, 0.8 * 0.3 * np.exp(scores)),
                      (proportional, 0.9 * 0.4 * (scores + 1.0))):
        np.testing.assert_allclose(probs_of(model, list(range(K + 1))),
                                   probs_of(cascade(pi), list(range(K + 1))), rtol=1e-6)


def test_invalid_scores_are_rejected():
    with pytest.raises(tf.errors.InvalidArgumentError, match="min_normalizer"):
        multinomial_proportional(tf.constant([0.5, -2.0]), -1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"in \[0, 1\]"):
        ProportionalCascadeChoiceModel([], 1.0, 1.0, -1.0).choice(
            tf.constant([0.5, 0.2]))


def test_position_based_clicks_are_independent_products():
    examination = geometric_examination(K, 0.5)
    np.testing.assert_allclose(examination, [1.0, 0.5, 0.25])
    attractiveness = np.array([0.6, 0.8, 0.4], np.float32)
    clicks = position_based_clicks(examination, attractiveness)
    p = np.array([0.6, 0.4, 0.1])
    expected = [np.prod(np.where(outcome, p, 1 - p)) for outcome in ([1, 0, 1], [0, 0, 0])]
    np.testing.assert_allclose(probs_of(clicks, [[1, 0, 1], [0, 0, 0]]), expected, rtol=1e-6)


def test_get_chosen_gathers_features_and_fills_nochoice():
    features = Value(doc_id=tf.constant([[10, 11, 12], [20, 21, 22]]),
                     embedding=tf.reshape(tf.range(12, dtype=tf.float32), [2, K, 2]))
    chosen = get_chosen(features, tf.constant([1, K]), nochoice_value=-1)
    np.testing.assert_array_equal(chosen.get("doc_id"), [11, -1])
    np.testing.assert_array_equal(chosen.get("embedding"), [[2.0, 3.0], [-1.0, -1.0]])
    lists = get_chosen(features.get("doc_id"), tf.constant([[2, 0], [1, K]]), batch_dims=1)
    np.testing.assert_array_equal(lists, [[12, 10], [21, -1]])


def test_get_chosen_without_a_nochoice():
    doc_ids = tf.constant([[[1, 2], [3, 4]]])  # [1, 2] users, 2 slots
    np.testing.assert_array_equal(get_chosen(doc_ids, tf.constant([[1, 0]])), [[2, 3]])


def test_specs_have_the_batch_and_event_shapes():
    assert MultinomialLogitChoiceModel([2, 3], 0.0).specs().get("choice").shape == [2, 3]
    iterated = IteratedMultinomialLogitChoiceModel(4, [5], 0.0).specs().get("choice")
    assert iterated.shape == [5, 4] and iterated.dtype == tf.int32
    assert MultinomialProportionalChoiceModel([5], -1.0).specs().get("choice").shape == [5]
    assert ExponentialCascadeChoiceModel([5], 1.0, 0.1).specs().get("choice").shape == [5]
    clicks = PositionBasedClickModel([5], geometric_examination(K, 0.9)).specs().get("clicks")
    assert clicks.shape == [5, K] and clicks.space.contains(np.array([0, 1]))


def test_parameters_held_in_variables_are_trainable():
    nochoice = tf.Variable(0.0)
    model = MultinomialLogitChoiceModel([], nochoice)
    assert model.trainable_variables == (nochoice,)
    with tf.GradientTape() as tape:
        log_prob = model.choice(LOGITS).get("choice").log_prob(K)
    assert tape.gradient(log_prob, nochoice).numpy() > 0


def test_iterated_logit_draws_the_rest_in_proportion_after_an_overwhelming_first_pick():
    # Relative to the first option, the others' weights underflow float32 (e^-200): the second
    # pick must still follow their own softmax, 1 : e^-1 : e^-2.
    logits = tf.constant([0.0, -200.0, -201.0, -202.0, -np.inf])
    draws = TruncatedPlackettLuce(logits, num_choices=2).sample(20_000, seed=(3, 4)).numpy()
    assert np.all(draws[:, 0] == 0)
    expected = np.exp([0.0, -1.0, -2.0]) / np.exp([0.0, -1.0, -2.0]).sum()
    for option, p in zip([1, 2, 3], expected):
        assert abs(np.mean(draws[:, 1] == option) - p) < 4 * np.sqrt(p * (1 - p) / len(draws))


@pytest.mark.parametrize("nochoice", [0.5, -np.inf])
def test_iterated_logit_draws_come_with_their_log_prob_and_its_gradient(nochoice):
    logits = tf.Variable([[0.3, -0.2, 0.1, 1.0, nochoice], [2.0, 0.0, -1.0, 0.5, nochoice]])
    with tf.GradientTape(persistent=True) as tape:
        ranked = TruncatedPlackettLuce(logits, num_choices=3)
        lists, log_prob = ranked.experimental_sample_and_log_prob(20, seed=(5, 6))
        scored = ranked.log_prob(lists)
        drawn_total, scored_total = tf.reduce_sum(log_prob), tf.reduce_sum(scored)
    np.testing.assert_array_equal(lists, ranked.sample(20, seed=(5, 6)))
    np.testing.assert_allclose(log_prob, scored, rtol=1e-5, atol=1e-6)
    gradients = [tf.convert_to_tensor(tape.gradient(total, logits))
                 for total in (drawn_total, scored_total)]
    np.testing.assert_allclose(*gradients, rtol=1e-5, atol=1e-6)
