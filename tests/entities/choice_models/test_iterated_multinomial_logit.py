"""The two iterated multinomial logits: RecSim NG's (a no-choice pick is removed like any item and
picking continues) and the stopping one (a no-choice pick ends the list), each against the exact
probabilities of every list of a tiny slate and against sampled frequencies."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.entities import choice_models
from recsim_ng.entities.choice_models import (IteratedMultinomialLogitChoiceModel,
                                              StoppingIteratedMultinomialLogitChoiceModel)
from recsim_ng.entities.choice_models import selectors

LOGITS = np.array([1.0, -0.5], np.float32)  # K = 2 slate items
NOCHOICE = 0.3
K = len(LOGITS)
WEIGHTS = np.exp(np.append(LOGITS, NOCHOICE).astype(np.float64))  # options 0..K, K: no choice
NUM_SAMPLES = 40_000
SEED = (5, 17)


def recsim_ng_probability(outcome):
    """Plackett-Luce over all K + 1 options: each pick, no-choice included, is removed."""
    if len(set(outcome)) < len(outcome) or not all(0 <= i <= K for i in outcome):
        return 0.0
    probability, remaining = 1.0, WEIGHTS.sum()
    for pick in outcome:
        probability *= WEIGHTS[pick] / remaining
        remaining -= WEIGHTS[pick]
    return probability


def stopping_probability(outcome):
    """Plackett-Luce over the remaining items and an ever-present no-choice that ends the list
    (every later position holds K); once every item is picked, the rest hold K for sure."""
    if not all(0 <= i <= K for i in outcome):
        return 0.0
    items = list(itertools.takewhile(lambda i: i != K, outcome))
    if len(set(items)) < len(items) or any(i != K for i in outcome[len(items):]):
        return 0.0
    probability, remaining = 1.0, WEIGHTS.sum()
    for pick in items:
        probability *= WEIGHTS[pick] / remaining
        remaining -= WEIGHTS[pick]
    if len(items) < len(outcome) and len(items) < K:
        probability *= WEIGHTS[K] / remaining
    return probability


MODELS = {
    "recsim_ng": (IteratedMultinomialLogitChoiceModel, recsim_ng_probability),
    "stopping": (StoppingIteratedMultinomialLogitChoiceModel, stopping_probability),
}


def outcomes(num_choices):
    """Every list of num_choices indices in -1..K + 1 (the ends out of range)."""
    return list(itertools.product(range(-1, K + 2), repeat=num_choices))


def test_recsim_ng_import_path_and_package_export_are_one_class():
    assert selectors.IteratedMultinomialLogitChoiceModel is IteratedMultinomialLogitChoiceModel
    assert selectors.MultinomialLogitChoiceModel is choice_models.MultinomialLogitChoiceModel


@pytest.mark.parametrize("num_choices", [1, 2, K + 1])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_exact_probability_of_every_list(model, num_choices):
    make, formula = MODELS[model]
    choice = make(num_choices, [], NOCHOICE).choice(LOGITS).get("choice")
    lists = outcomes(num_choices)
    probabilities = np.exp(choice.log_prob(tf.constant(lists, tf.int32)).numpy())
    expected = np.array([formula(outcome) for outcome in lists])
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)


def test_the_two_semantics_differ_after_a_no_choice():
    recsim_ng = IteratedMultinomialLogitChoiceModel(2, [], NOCHOICE).choice(LOGITS)
    stopping = StoppingIteratedMultinomialLogitChoiceModel(2, [], NOCHOICE).choice(LOGITS)
    after_nochoice = tf.constant([[K, 0], [K, 1], [K, K]])
    np.testing.assert_allclose(
        np.exp(recsim_ng.get("choice").log_prob(after_nochoice)),
        [recsim_ng_probability((K, 0)), recsim_ng_probability((K, 1)), 0.0], rtol=1e-5)
    np.testing.assert_allclose(np.exp(stopping.get("choice").log_prob(after_nochoice)),
                               [0.0, 0.0, WEIGHTS[K] / WEIGHTS.sum()], rtol=1e-5)


def test_recsim_ng_picks_no_choice_then_the_best_item():
    # RecSim NG's selectors_test.test_no_choice: a dominant no-choice goes first, the best doc next.
    model = IteratedMultinomialLogitChoiceModel(2, [2], nochoice_logits=100.0)
    picks = model.choice(tf.constant([[0.0, 50.0], [50.0, 0.0]])).get("choice").sample(seed=SEED)
    np.testing.assert_array_equal(picks, [[K, 1], [K, 0]])


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_sampled_frequencies_match_the_exact_probabilities(model, jit_compile):
    make, formula = MODELS[model]
    choice_model = make(K + 1, [], NOCHOICE)

    @tf.function(jit_compile=jit_compile, autograph=False)
    def draw():
        return choice_model.choice(LOGITS).get("choice").sample(NUM_SAMPLES, seed=SEED)

    samples = [tuple(row) for row in draw().numpy()]
    for outcome in outcomes(K + 1):
        probability = formula(outcome)
        frequency = samples.count(outcome) / NUM_SAMPLES
        standard_error = np.sqrt(probability * (1 - probability) / NUM_SAMPLES)
        assert abs(frequency - probability) <= 5 * standard_error, (outcome, frequency)


def test_recsim_ng_semantics_need_no_more_choices_than_options():
    with pytest.raises(ValueError, match="num_choices"):
        IteratedMultinomialLogitChoiceModel(K + 2, [], NOCHOICE).choice(LOGITS)
    too_long = StoppingIteratedMultinomialLogitChoiceModel(K + 2, [], NOCHOICE).choice(LOGITS)
    np.testing.assert_allclose(
        np.exp(too_long.get("choice").log_prob([0, 1, K, K])),
        stopping_probability((0, 1, K)), rtol=1e-5)
