"""`PlackettLuceSlate`: exact probabilities of ordered slates, sampling frequencies, mode, shapes,
argument checks, gradients, and rebuilding from `parameters` (as TFP and TF-Agents do)."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.entities.choice_models import PlackettLuceSlate

NAN, INF = float("nan"), float("inf")
LOGITS = np.array([0.4, -1.0, 1.3, 0.0, -0.2], np.float32)
RUNNERS = {"eager": lambda f: f, "function": tf.function,
           "xla": lambda f: tf.function(f, jit_compile=True)}


def hand_log_prob(logits, slate):
    """Product of softmaxes over the candidates not yet picked, in float64."""
    logits = np.asarray(logits, np.float64)
    left, total = list(range(len(logits))), 0.0
    for pick in slate:
        weights = np.exp(logits[left])
        total += np.log(np.exp(logits[pick]) / weights.sum())
        left.remove(pick)
    return total


@pytest.mark.parametrize("num_candidates,slate_size", [(4, 2), (5, 3)])
def test_log_prob_of_every_ordered_slate_is_the_product_of_softmaxes(num_candidates, slate_size):
    logits = LOGITS[:num_candidates]
    slates = np.array(list(itertools.permutations(range(num_candidates), slate_size)), np.int32)
    log_probs = PlackettLuceSlate(logits, slate_size).log_prob(slates).numpy()
    np.testing.assert_allclose(log_probs, [hand_log_prob(logits, s) for s in slates], rtol=1e-5)
    np.testing.assert_allclose(np.exp(log_probs).sum(), 1.0, rtol=1e-5)


@pytest.mark.parametrize("runner", ["eager", "xla"])
def test_sampled_slate_frequencies_match_the_probabilities(runner):
    logits, slate_size, n = LOGITS[:4], 2, 20_000
    distribution = PlackettLuceSlate(logits, slate_size)
    draws, log_probs = RUNNERS[runner](
        lambda: distribution.experimental_sample_and_log_prob(n, seed=(7, 11)))()
    draws = draws.numpy()
    assert draws.dtype == np.int32 and draws.shape == (n, slate_size)
    # Each draw's log-prob, from the sampler's own weights, is the one log_prob gives.
    np.testing.assert_allclose(log_probs, distribution.log_prob(draws), rtol=1e-5, atol=1e-6)
    slates = list(itertools.permutations(range(4), slate_size))
    counts = {s: 0 for s in slates}
    for draw in map(tuple, draws):
        counts[draw] += 1  # A KeyError would be a repeated or out-of-range candidate.
    probs = np.exp(distribution.log_prob(np.array(slates, np.int32)).numpy())
    frequencies = np.array([counts[s] for s in slates]) / n
    standard_errors = np.sqrt(probs * (1 - probs) / n)
    np.testing.assert_array_less(np.abs(frequencies - probs), 4.5 * standard_errors)


def test_candidates_of_logit_minus_infinity_are_never_drawn():
    distribution = PlackettLuceSlate([0.0, -INF, 0.5, -0.5], 3)
    draws = distribution.sample(2_000, seed=(1, 2)).numpy()
    assert not np.any(draws == 1) and np.all(np.sort(draws, -1) == [0, 2, 3])
    all_slates = np.array(list(itertools.permutations(range(4), 3)), np.int32)
    np.testing.assert_allclose(np.exp(distribution.log_prob(all_slates)).sum(), 1.0, rtol=1e-5)


@pytest.mark.parametrize("runner", RUNNERS)
def test_mode_is_the_highest_logits_best_first(runner):
    logits = tf.constant([LOGITS, -LOGITS])
    mode = RUNNERS[runner](lambda: PlackettLuceSlate(logits, 3).mode())()
    assert mode.dtype == tf.int32
    np.testing.assert_array_equal(mode, [[2, 0, 3], [1, 4, 3]])


@pytest.mark.parametrize("runner", RUNNERS)
def test_repeated_or_out_of_range_slates_have_log_prob_minus_infinity(runner):
    slates = tf.constant([[0, 0], [1, 4], [4, 1], [-1, 2], [2, 7], [3, 1]], tf.int32)
    log_probs = RUNNERS[runner](lambda: PlackettLuceSlate(LOGITS[:4], 2).log_prob(slates))()
    np.testing.assert_array_equal(log_probs[:-1], [-INF] * 5)
    np.testing.assert_allclose(log_probs[-1], hand_log_prob(LOGITS[:4], [3, 1]), rtol=1e-5)


@pytest.mark.parametrize("runner", RUNNERS)
def test_batch_shapes_broadcast(runner):
    logits = tf.constant(np.random.default_rng(0).normal(size=[2, 3, 5]), tf.float32)

    def use():
        distribution = PlackettLuceSlate(logits, 3)
        draws = distribution.sample(7, seed=(3, 4))
        return (draws, distribution.log_prob(draws), distribution.log_prob([4, 0, 2]),
                distribution.mode())

    draws, log_probs, one_slate, mode = RUNNERS[runner](use)()
    assert draws.shape == (7, 2, 3, 3) and log_probs.shape == (7, 2, 3)
    assert one_slate.shape == (2, 3) and mode.shape == (2, 3, 3)
    np.testing.assert_allclose(
        one_slate, [[hand_log_prob(row, [4, 0, 2]) for row in batch] for batch in logits.numpy()],
        rtol=1e-5)
    assert np.all(np.isfinite(log_probs)) and np.all(np.sort(draws, -1)[..., 1:] >
                                                     np.sort(draws, -1)[..., :-1])
    distribution = PlackettLuceSlate(logits, 3)
    assert distribution.batch_shape == [2, 3] and distribution.event_shape == [3]


def test_unknown_batch_size_and_unknown_number_of_candidates_for_log_prob():
    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def draw(logits):
        return PlackettLuceSlate(logits, 2).sample(seed=(5, 6))

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def log_prob(logits):
        return PlackettLuceSlate(logits, 2).log_prob([3, 0])

    logits = tf.constant([[0.0, -INF, -INF, 1.0]])
    np.testing.assert_array_equal(np.sort(draw(logits), -1), [[0, 3]])
    np.testing.assert_allclose(log_prob(logits), [hand_log_prob([0.0, 1.0], [1, 0])], rtol=1e-6)


@pytest.mark.parametrize("slate_size", [0, -1, 2.0, True, 6])
def test_bad_slate_sizes_are_refused_by_name(slate_size):
    with pytest.raises(ValueError, match="slate_size"):
        PlackettLuceSlate(LOGITS, slate_size)


def test_scalar_logits_are_refused():
    with pytest.raises(ValueError, match="logits"):
        PlackettLuceSlate(1.0, 1)


@pytest.mark.parametrize("bad", [NAN, INF])
def test_nan_and_plus_infinite_logits_are_refused(bad):
    distribution = PlackettLuceSlate([0.0, bad, 1.0], 2)
    for use in (lambda: distribution.log_prob([0, 2]), lambda: distribution.sample(seed=(1, 2)),
                distribution.mode):
        with pytest.raises(tf.errors.InvalidArgumentError, match="PlackettLuceSlate logits"):
            use()
    # XLA drops assertions: the row's log-prob is NaN instead.
    log_prob = tf.function(lambda: distribution.log_prob([0, 2]), jit_compile=True)()
    assert np.isnan(log_prob)


def softmax_gradient(logits, slate):
    """d log P(slate) / d logits: each pick's one-hot minus the softmax of the candidates left."""
    gradient, left = np.zeros(len(logits)), list(range(len(logits)))
    for pick in slate:
        weights = np.exp(np.asarray(logits, np.float64)[left])
        gradient[left] -= weights / weights.sum()
        gradient[pick] += 1.0
        left.remove(pick)
    return gradient


@pytest.mark.parametrize("runner", ["eager", "xla"])
def test_gradient_of_log_prob_is_picks_minus_remaining_softmaxes(runner):
    logits = tf.constant(LOGITS)

    def gradients():
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(logits)
            distribution = PlackettLuceSlate(logits, 3)
            log_prob = distribution.log_prob([2, 0, 4])
            draw, sampled_log_prob = distribution.experimental_sample_and_log_prob(seed=(2, 3))
        return tape.gradient(log_prob, logits), draw, tape.gradient(sampled_log_prob, logits)

    gradient, draw, sampled_gradient = RUNNERS[runner](gradients)()
    np.testing.assert_allclose(gradient, softmax_gradient(LOGITS, [2, 0, 4]), rtol=1e-5,
                               atol=1e-6)
    # The sampler's own log-prob has the same gradient, for the slate it drew.
    np.testing.assert_allclose(sampled_gradient, softmax_gradient(LOGITS, draw.numpy()),
                               rtol=1e-5, atol=1e-6)


def test_rebuilds_from_its_parameters_slices_and_composite_tensor():
    logits = np.random.default_rng(1).normal(size=[2, 3, 4]).astype(np.float32)
    distribution = PlackettLuceSlate(logits, 2, name="slates")
    slates = tf.constant([[3, 1], [0, 2], [1, 0]], tf.int32)  # Against batch [2, 3].
    expected = distribution.log_prob(slates).numpy()
    parameters = distribution.parameters
    assert parameters["logits"] is logits and parameters["slate_size"] == 2
    assert set(parameters) == {"logits", "slate_size", "validate_args", "allow_nan_stats", "name"}
    rebuilt = [type(distribution)(**parameters), distribution.copy()]
    flat = tf.nest.flatten(distribution, expand_composites=True)
    assert len(flat) == 1 and flat[0].shape == (2, 3, 4)  # The candidates, not the padded logits.
    rebuilt.append(tf.nest.pack_sequence_as(distribution, flat, expand_composites=True))
    rebuilt.append(tf.function(lambda x: PlackettLuceSlate(x, 2))(tf.constant(logits)))
    for other in rebuilt:
        assert type(other) is PlackettLuceSlate and other.slate_size == 2
        assert other.logits.shape == (2, 3, 4)
        np.testing.assert_allclose(other.log_prob(slates), expected, rtol=1e-6)
    sliced = distribution[1, ::2]
    assert sliced.batch_shape == [2]
    np.testing.assert_allclose(sliced.log_prob(slates[::2]), expected[1, ::2], rtol=1e-6)
    bigger = distribution.copy(slate_size=3)
    assert bigger.event_shape == [3] and bigger.sample(seed=(1, 1)).shape == (2, 3, 3)


def test_declares_its_own_parameter_properties(caplog):
    # TFP warns (on every use) when a subclass with its own __init__ inherits them.
    properties = PlackettLuceSlate.parameter_properties()
    assert set(properties) == {"logits"} and properties["logits"].event_ndims == 1
    assert not [record for record in caplog.records if "_parameter_properties" in record.message]
