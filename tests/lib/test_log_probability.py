"""log_probability: agreement with online log-probs, exact values, learning and latent inference."""

import math

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.examples.choice_learning import simulate_and_fit
from recsim_ng.examples.random_walk import random_walk_network
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.log_probability import (LatentTrajectory, TrajectoryLogProb, log_probability,
                                           log_probability_fn, total_log_prob)
from recsim_ng.lib.runtime import TFRuntime

tfd = tfp.distributions


def mixed_network(num_users: int = 4) -> Network:
    """Continuous, discrete, within-variable dependent and same-step cross-variable draws."""
    state = Variable("state", Value(level=FieldSpec(), noisy=FieldSpec(), mood=FieldSpec()))

    def fields(level_mean):
        return Value(level=tfd.Normal(level_mean, 1.0),
                     noisy=lambda level: tfd.Normal(level, 0.1),
                     mood=lambda level: tfd.Categorical(logits=tf.stack([level, -level], -1)))

    state.initial_value = value(lambda: fields(tf.zeros([num_users])))
    state.value = value(lambda previous: fields(0.9 * previous.get("level")), [state.previous])
    response = Variable("response", Value(click=FieldSpec(), dwell=FieldSpec()))
    response.value = value(lambda s: Value(
        click=tfd.Bernoulli(logits=s.get("level"), dtype=tf.int32),
        dwell=lambda click: tfd.Gamma(1.0 + tf.cast(click, tf.float32), 1.0)), [state])
    return Network([state, response])


def split(trajectory):
    logs = trajectory.log_probs
    data = dict(trajectory)
    return data, logs


MIXED = mixed_network()
MIXED_RUNTIME = TFRuntime(MIXED, record_log_probs=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_probability_equals_recorded_online_log_probs(seed):
    network = MIXED
    data, online = split(MIXED_RUNTIME.trajectory(6, seed))
    per_field = log_probability_fn(network).per_field(data)
    for name, recorded in online.items():
        for field, log_prob in recorded.as_dict.items():
            np.testing.assert_allclose(per_field[name].get(field),
                                       log_prob, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(log_probability(network, data), total_log_prob(online), rtol=1e-6)


def test_log_probability_of_a_small_case_matches_the_hand_computed_value():
    network = random_walk_network(1, scale=2.0)
    positions = np.array([[0.5], [1.5], [-0.5]], np.float32)

    def log_normal(x, mean, scale):
        return -0.5 * math.log(2 * math.pi) - math.log(scale) - 0.5 * ((x - mean) / scale) ** 2

    expected = log_normal(0.5, 0.0, 2.0) + log_normal(1.5, 0.5, 2.0) + log_normal(-0.5, 1.5, 2.0)
    actual = log_probability(network, {"walk": Value(position=positions)})
    assert actual.numpy() == pytest.approx(expected, rel=1e-6)


def test_within_variable_draw_is_scored_given_the_logged_earlier_field():
    network = mixed_network(num_users=1)
    data = {"state": Value(level=np.array([[0.3]], np.float32), noisy=np.array([[0.5]], np.float32),
                           mood=np.array([[1]], np.int32)),
            "response": Value(click=np.array([[0]], np.int32), dwell=np.array([[2.0]], np.float32))}
    level, noisy, mood_logits = 0.3, 0.5, np.array([0.3, -0.3])
    expected = (tfd.Normal(0.0, 1.0).log_prob(level) + tfd.Normal(level, 0.1).log_prob(noisy)
                + mood_logits[1] - np.logaddexp(*mood_logits)
                + tfd.Bernoulli(logits=level).log_prob(0) + tfd.Gamma(1.0, 1.0).log_prob(2.0))
    assert log_probability(network, data).numpy() == pytest.approx(float(expected), rel=1e-5)


def test_new_data_of_the_same_shapes_does_not_retrace():
    network = random_walk_network(3)
    runtime = TFRuntime(network)
    score = TrajectoryLogProb(network)
    first = score(runtime.trajectory(5, 0))
    second = score(runtime.trajectory(5, 1))
    assert score.trace_count == 1
    assert first.numpy() != second.numpy()


def test_log_probability_is_differentiable_with_respect_to_model_variables():
    scale = tf.Variable(1.5)
    network = random_walk_network(50, scale=scale)
    data = TFRuntime(network).trajectory(8, 0)
    with tf.GradientTape() as tape:
        log_likelihood = log_probability(network, data)
    x = data["walk"].get("position").numpy()
    squares = np.sum(x[0] ** 2) + np.sum(np.diff(x, axis=0) ** 2)
    expected = -x.size / 1.5 + squares / 1.5 ** 3  # d/ds of sum log N(.; ., s)
    assert tape.gradient(log_likelihood, scale).numpy() == pytest.approx(expected, rel=1e-4)


def test_maximum_likelihood_recovers_the_true_sensitivity_within_three_standard_errors():
    estimate = simulate_and_fit(num_users=300, horizon=8, true_sensitivity=1.5, seed=3)
    assert abs(estimate.value - 1.5) < 3 * estimate.standard_error
    assert estimate.standard_error < 0.1  # The test has power: the data pin the value down.


def test_missing_variable_or_nan_is_reported_by_name():
    network = MIXED
    data, _ = split(MIXED_RUNTIME.trajectory(6, 0))
    with pytest.raises(ValueError, match="response"):
        log_probability(network, {"state": data["state"]})
    level = data["state"].get("level").numpy()
    level[1, 2] = np.nan
    broken = {**data, "state": Value(**{**data["state"].as_dict, "level": level})}
    with pytest.raises(ValueError,
                       match=r"'state', field 'level' must be finite, got nan at index \(1, 2\)"):
        log_probability(network, broken)


# A conjugate model: mu ~ N(0, prior_scale) once; y_t ~ N(mu, noise_scale) for n users per step.
PRIOR_SCALE, NOISE_SCALE, NUM_OBS, HORIZON = 2.0, 1.0, 5, 6


def conjugate_network() -> Network:
    mu = Variable("mu", Value(mu=FieldSpec((), tf.float32)))
    mu.initial_value = value(lambda: Value(mu=tfd.Normal(0.0, PRIOR_SCALE)))
    y = Variable("y", Value(y=FieldSpec([NUM_OBS], tf.float32)))
    y.value = value(lambda m: Value(y=tfd.Normal(tf.fill([NUM_OBS], m.get("mu")), NOISE_SCALE)),
                    [mu])
    return Network([mu, y])


def conjugate_posterior(y: np.ndarray) -> tuple[float, float]:
    precision = PRIOR_SCALE ** -2 + y.size * NOISE_SCALE ** -2
    return float(y.sum() * NOISE_SCALE ** -2 / precision), float(precision ** -0.5)


@pytest.fixture(scope="module")
def conjugate_case():
    network = conjugate_network()
    logged = TFRuntime(network).trajectory(HORIZON, seed=11)
    return network, logged


def test_hmc_on_the_latent_target_recovers_the_closed_form_posterior_mean(conjugate_case):
    network, logged = conjugate_case
    latent = LatentTrajectory(network, {"y": logged["y"]})
    assert latent.latent_fields == [("mu", "mu")]
    post_mean, post_sd = conjugate_posterior(logged["y"].get("y").numpy())
    # mu is drawn at step 0 and copied afterwards: only its step-0 value enters the density.
    kernel = tfp.mcmc.SimpleStepSizeAdaptation(
        tfp.mcmc.HamiltonianMonteCarlo(latent.target_log_prob_fn, step_size=0.1,
                                       num_leapfrog_steps=3), num_adaptation_steps=150)
    initial, _ = latent.sample(seed=5)

    @tf.function(autograph=False)
    def run_chain():
        return tfp.mcmc.sample_chain(800, initial, kernel=kernel, num_burnin_steps=200,
                                     trace_fn=None, seed=tf.constant([1, 2]))

    (samples,) = run_chain()
    draws = samples[:, 0]
    ess = float(tfp.mcmc.effective_sample_size(draws))
    assert ess > 50
    assert abs(float(tf.reduce_mean(draws)) - post_mean) < 4 * post_sd / math.sqrt(ess)
    assert float(tf.math.reduce_std(draws)) == pytest.approx(post_sd, rel=0.25)


def test_an_xla_compiled_chain_on_the_latent_target_is_traced_once(conjugate_case):
    network, logged = conjugate_case
    latent = LatentTrajectory(network, {"y": logged["y"]})
    kernel = tfp.mcmc.HamiltonianMonteCarlo(latent.target_log_prob_fn, step_size=0.1,
                                            num_leapfrog_steps=3)
    chain = tf.function(lambda start, seed: tfp.mcmc.sample_chain(
        50, start, kernel=kernel, trace_fn=None, seed=seed), jit_compile=True, autograph=False)
    start, _ = latent.sample(seed=5)
    for seed in ([1, 2], [3, 4], [5, 6]):
        (samples,) = chain(start, tf.constant(seed))
        start = [samples[-1]]
    assert chain.experimental_get_tracing_count() == 1
    assert np.all(np.isfinite(samples.numpy()))


def test_monte_carlo_marginal_likelihood_matches_the_closed_form(conjugate_case):
    network, logged = conjugate_case
    latent = LatentTrajectory(network, {"y": logged["y"]})
    y = logged["y"].get("y").numpy().ravel()  # y has no initial_value: it is drawn at step 0 too.
    covariance = NOISE_SCALE ** 2 * np.eye(y.size) + PRIOR_SCALE ** 2 * np.ones((y.size, y.size))
    exact = float(tfd.MultivariateNormalFullCovariance(np.zeros(y.size), covariance).log_prob(y))
    estimates = np.array([latent.log_marginal_likelihood(100, seed=s).numpy() for s in range(10)])
    standard_error = estimates.std(ddof=1) / math.sqrt(estimates.size)
    assert abs(estimates.mean() - exact) < 4 * standard_error


def test_reference_network_log_probability_equals_its_online_log_probs():
    """Covers a static variable (drawn at step 0 only), `tfd.Sample` fields and a deterministic
    callable field (the slate, top-k of the logged scores)."""
    from recsim_ng.examples.reference_network import reference_network
    network = reference_network(20)
    data, online = split(TFRuntime(network, record_log_probs=True).trajectory(7, 1))
    per_field = log_probability_fn(network).per_field(data)
    assert per_field["corpus"].get("doc_features").shape == (7,)
    for name, recorded in online.items():
        for field, log_prob in recorded.as_dict.items():
            np.testing.assert_allclose(per_field[name].get(field),
                                       log_prob, rtol=1e-5, atol=1e-5)


def test_logged_deterministic_fields_the_network_does_not_reproduce_are_named():
    from recsim_ng.examples.reference_network import reference_network
    network = reference_network(5)
    data, _ = split(TFRuntime(network, record_log_probs=True).trajectory(4, 2))
    assert np.isfinite(log_probability(network, data))  # Consistent: no error.
    clicks = data["user"].get("clicks").numpy()
    clicks[3, 0] += 1
    forged = {**data, "user": Value(**{**data["user"].as_dict, "clicks": clicks})}
    with pytest.raises(ValueError, match="'user', field 'clicks': the logged values differ"):
        log_probability(network, forged)


def test_total_log_prob_adds_float32_and_float64_terms():
    total = total_log_prob({"a": Value(x=tf.constant([1.0, 2.0])),
                            "b": Value(y=tf.constant(3.0, tf.float64))})
    assert total.dtype == tf.float64 and float(total) == 6.0
