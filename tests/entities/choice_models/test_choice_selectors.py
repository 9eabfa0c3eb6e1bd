"""Every choice selector: normalisation, sampling against log_prob, batching and XLA sampling."""

import collections
import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.entities.choice_models import (
    ExponentialCascadeChoiceModel, IteratedMultinomialLogitChoiceModel, MultinomialLogitChoiceModel,
    MultinomialProportionalChoiceModel, PositionBasedClickModel, ProportionalCascadeChoiceModel,
    StoppingIteratedMultinomialLogitChoiceModel, geometric_examination)
from recsim_ng.lib import sampling

SLATE_SIZE = 3
NUM_SAMPLES = 20_000
SEED = tf.constant([7, 11])
BASE_SCORES = np.array([0.8, -0.4, 0.3], np.float32)


def scores(batch_shape):
    """Scores in [-1, 1] `batch_shape + [K]`, different for every user."""
    offsets = np.linspace(-0.2, 0.2, max(1, int(np.prod(batch_shape, dtype=int))))
    per_user = BASE_SCORES + offsets.reshape(list(batch_shape) + [1]).astype(np.float32)
    return tf.constant(per_user)


def single_choices(num_options):
    return [(i,) for i in range(num_options)]


# name -> (distribution of given scores and batch shape, every outcome of one user as tuples)
CASES = {
    "multinomial_logit": (
        lambda s, b: MultinomialLogitChoiceModel(b, 0.1, positional_bias=-0.2).choice(s)
        .get("choice"),
        single_choices(SLATE_SIZE + 1)),
    "iterated_logit": (
        lambda s, b: IteratedMultinomialLogitChoiceModel(2, b, 0.1, positional_bias=-0.2)
        .choice(s).get("choice"),
        list(itertools.product(range(SLATE_SIZE + 1), repeat=2))),
    "iterated_logit_longer_than_slate": (
        lambda s, b: IteratedMultinomialLogitChoiceModel(SLATE_SIZE + 1, b, -0.5).choice(s)
        .get("choice"),
        list(itertools.product(range(SLATE_SIZE + 1), repeat=SLATE_SIZE + 1))),
    "stopping_iterated_logit_longer_than_slate": (
        lambda s, b: StoppingIteratedMultinomialLogitChoiceModel(SLATE_SIZE + 2, b, -0.5)
        .choice(s).get("choice"),
        list(itertools.product(range(SLATE_SIZE + 1), repeat=SLATE_SIZE + 2))),
    "proportional": (
        lambda s, b: MultinomialProportionalChoiceModel(b, min_normalizer=-1.0, no_click_mass=1.0)
        .choice(s).get("choice"),
        single_choices(SLATE_SIZE + 1)),
    "exponential_cascade": (
        lambda s, b: ExponentialCascadeChoiceModel(b, attention_prob=0.8, score_scaling=0.3)
        .choice(s).get("choice"),
        single_choices(SLATE_SIZE + 1)),
    "proportional_cascade": (
        lambda s, b: ProportionalCascadeChoiceModel(b, attention_prob=0.9, score_scaling=0.4,
                                                    min_normalizer=-1.0).choice(s).get("choice"),
        single_choices(SLATE_SIZE + 1)),
    "position_based_clicks": (
        lambda s, b: PositionBasedClickModel(b, geometric_examination(SLATE_SIZE, 0.7))
        .clicks(tf.sigmoid(s)).get("clicks"),
        list(itertools.product(range(2), repeat=SLATE_SIZE))),
}


def outcome_tensor(distribution, outcomes):
    """The outcomes as a batch of events `[num_outcomes, *event_shape]`."""
    return tf.constant(np.array(outcomes, np.int32).reshape(
        [len(outcomes)] + distribution.event_shape.as_list()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_probabilities_sum_to_one_over_all_outcomes(case):
    make, outcomes = CASES[case]
    distribution = make(scores([]), [])
    probabilities = np.exp(distribution.log_prob(outcome_tensor(distribution, outcomes)))
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_sample_frequencies_agree_with_log_prob(case):
    make, outcomes = CASES[case]
    distribution = make(scores([]), [])
    draws = distribution.sample(NUM_SAMPLES, seed=SEED).numpy().reshape(NUM_SAMPLES, -1)
    counts = collections.Counter(map(tuple, draws.tolist()))
    assert set(counts) <= set(outcomes)
    probabilities = np.exp(distribution.log_prob(outcome_tensor(distribution, outcomes)).numpy())
    for outcome, probability in zip(outcomes, probabilities):
        frequency = counts[outcome] / NUM_SAMPLES
        standard_error = math.sqrt(probability * (1 - probability) / NUM_SAMPLES)
        assert abs(frequency - probability) <= 4 * standard_error, (outcome, frequency,
                                                                    probability)


@pytest.mark.parametrize("batch_shape", [[3], [2, 3]])
@pytest.mark.parametrize("case", sorted(CASES))
def test_shapes_broadcast_over_users(case, batch_shape):
    make, _ = CASES[case]
    distribution = make(scores(batch_shape), batch_shape)
    event_shape = distribution.event_shape.as_list()
    assert distribution.batch_shape.as_list() == batch_shape
    one = distribution.sample(seed=SEED)
    assert one.shape.as_list() == batch_shape + event_shape and one.dtype == tf.int32
    assert distribution.log_prob(one).shape.as_list() == batch_shape
    many = distribution.sample(5, seed=SEED)
    assert many.shape.as_list() == [5] + batch_shape + event_shape
    log_probs = distribution.log_prob(many)
    assert log_probs.shape.as_list() == [5] + batch_shape
    assert np.all(np.isfinite(log_probs))
    # Users differ, so each user's log-prob is its own distribution's.
    flat = tf.reshape(scores(batch_shape), [-1, SLATE_SIZE])
    for user, user_scores in enumerate(flat):
        index = np.unravel_index(user, batch_shape)
        single = make(user_scores, [])
        np.testing.assert_allclose(single.log_prob(many[(slice(None), *index)]),
                                   log_probs[(slice(None), *index)], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_samples_identically_in_eager_and_xla(case):
    make, _ = CASES[case]
    batch_shape = [2, 3]
    distribution = make(scores(batch_shape), batch_shape)
    assert isinstance(distribution, tf.__internal__.CompositeTensor)
    compiled = tf.function(lambda s, seed: sampling.sample(make(s, batch_shape), seed, "v"),
                           jit_compile=True)
    for seed in ([0, 1], [5, 9]):
        eager = sampling.sample(distribution, tf.constant(seed), "v")
        np.testing.assert_array_equal(eager, compiled(scores(batch_shape), tf.constant(seed)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_float64_scores_give_float64_log_probs(case):
    make, outcomes = CASES[case]
    distribution = make(tf.cast(scores([]), tf.float64), [])
    log_probs = distribution.log_prob(outcome_tensor(distribution, outcomes))
    assert log_probs.dtype == tf.float64
    np.testing.assert_allclose(np.exp(log_probs).sum(), 1.0, rtol=1e-12)
