"""Recovering satisfaction sensitivities from logs, with the intent logged and latent."""

import numpy as np
import pytest

from recsim_ng.applications.latent_variable_model_learning.learning import (
    fit_by_monte_carlo_em, fit_with_logged_intent, latent_variable_network)
from recsim_ng.lib.log_probability import log_probability, total_log_prob
from recsim_ng.lib.runtime import TFRuntime

USERS, HORIZON, INITIAL_GUESS = 12, 10, 0.3
TRUTH = np.linspace(0.5, 0.9, USERS).astype(np.float32)


@pytest.fixture(scope="module")
def logged():
    simulator, _ = latent_variable_network(USERS, satisfaction_sensitivity=TRUTH)
    return TFRuntime(simulator, record_log_probs=True).trajectory(HORIZON, seed=4)


def without_log_probs(trajectory):
    return dict(trajectory)


def test_log_probability_of_the_simulated_trajectory_equals_its_online_log_probs(logged):
    network, _ = latent_variable_network(USERS, satisfaction_sensitivity=TRUTH)
    online = logged.log_probs
    np.testing.assert_allclose(log_probability(network, without_log_probs(logged)),
                               total_log_prob(online), rtol=1e-5)


def test_maximum_likelihood_with_logged_intent_is_within_four_standard_errors(logged):
    model, sensitivity = latent_variable_network(USERS, satisfaction_sensitivity=INITIAL_GUESS)
    estimate = fit_with_logged_intent(model, sensitivity, without_log_probs(logged))
    z = (estimate.value - TRUTH) / estimate.standard_error
    # Each z is standard normal; P(max |z| over 12 users > 4) is below 1e-3.
    assert np.abs(z).max() < 4
    assert estimate.standard_error.max() < 0.05  # The logs are informative: the test has power.


def test_monte_carlo_em_recovers_the_sensitivities_with_latent_intent(logged):
    data = without_log_probs(logged)
    observed = {**data, "user_state": data["user_state"].at("satisfaction")}
    model, sensitivity = latent_variable_network(USERS, satisfaction_sensitivity=INITIAL_GUESS)
    estimate = fit_by_monte_carlo_em(model, sensitivity, observed, seed=1, iterations=4,
                                     num_samples=10, burnin=60, num_candidates=32)
    errors = estimate.value - TRUTH
    # The initial guess is 0.2-0.6 off. With the intent known the estimates are typically 0.01 off
    # (standard errors 0.01-0.02); not knowing it adds the uncertainty of each user's intent.
    # Require every user within 0.15 and the average user within 0.05: at least an
    # eightfold reduction of the initial mean error.
    assert np.abs(errors).max() < 0.15
    assert np.abs(errors).mean() < 0.05
