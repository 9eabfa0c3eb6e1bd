"""The ecosystem simulation: its log density, its welfare estimate and what the boost achieves."""

import numpy as np
import pytest

from recsim_ng.applications.ecosystem_simulation.simulation import (
    RunSimulator, create_viable_provider_simulation_network, init_random_provider_clusters,
    run_simulation, simulate_runs)
from recsim_ng.lib.log_probability import log_probability, total_log_prob
from recsim_ng.lib.runtime import TFRuntime

# RecSim NG's ecosystem test: four providers around the origin.
FOUR_PROVIDERS = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]], np.float32)


@pytest.fixture(scope="module")
def logged():
    network = create_viable_provider_simulation_network(
        init_random_provider_clusters(64.0, 2, 2, 2, seed=1), num_users=6, interest_step_size=0.3)
    return network, TFRuntime(network, record_log_probs=True).trajectory(5, seed=3)


def test_log_probability_of_a_simulated_trajectory_equals_its_online_log_probs(logged):
    network, trajectory = logged
    online = trajectory.log_probs
    data = dict(trajectory)
    assert set(online) == {
        "available_docs", "user_state", "slate_docs", "user_response"}
    expected = total_log_prob(online).numpy()
    assert np.isfinite(expected)
    np.testing.assert_allclose(log_probability(network, data), expected, rtol=1e-5)


def test_cumulative_reward_lags_the_utilities_by_one_step(logged):
    _, trajectory = logged
    utilities = trajectory["user_state"].get("utilities").numpy()
    cumulative = trajectory["metrics_state"].get("cumulative_reward").numpy()
    np.testing.assert_allclose(cumulative[1:], np.cumsum(utilities[:-1], axis=0), rtol=1e-6)
    np.testing.assert_array_equal(utilities[0], 0)  # No click before the initial step.


def test_run_simulation_reproduces_recsim_ng_and_its_standard_error_shrinks_with_runs():
    few = run_simulation(8, FOUR_PROVIDERS, num_users=200, horizon=2, seed=0)
    many = run_simulation(32, FOUR_PROVIDERS, num_users=200, horizon=2, seed=0)
    assert np.all(np.isfinite(few + many)) and few[1] > 0 and many[1] > 0
    # RecSim NG's test expects about -14 (rtol 0.05, here over 4 standard errors).
    np.testing.assert_allclose(many[0], -14.0, rtol=0.05)
    # The ratio should be sqrt(32 / 8) = 2; each standard error is itself estimated from few
    # runs, so its log has a spread of about sqrt(1 / (2 * 7) + 1 / (2 * 31)) = 0.3: allow a
    # factor e^(3 * 0.3) = 2.4 either way.
    assert 2 / 2.4 < few[1] / many[1] < 2 * 2.4


def gini(clicks):
    """The Gini coefficient of each row: 0 when all providers get the same clicks."""
    clicks = np.sort(clicks, axis=-1)
    n = clicks.shape[-1]
    weights = 2 * np.arange(1, n + 1) - n - 1
    return (weights * clicks).sum(-1) / (n * clicks.sum(-1))


def test_the_provider_boost_balances_clicks_across_providers():
    means = init_random_provider_clusters(64.0, 2, 4, 2, seed=0)
    runs = 32
    inequality = {
        cap: gini(simulate_runs(create_viable_provider_simulation_network(means, 100, cap),
                                runs, horizon=20, seed=1).provider_clicks)
        for cap in (0.0, 1.2)}
    # Run k uses the same seed under both caps, so the runs pair up (common random numbers).
    reduction = inequality[0.0] - inequality[1.2]
    standard_error = reduction.std(ddof=1) / np.sqrt(runs)
    assert reduction.mean() > 3 * standard_error


def test_repeated_runs_reuse_one_compiled_program():
    network = create_viable_provider_simulation_network(FOUR_PROVIDERS, num_users=20)
    simulator = RunSimulator(network, horizon=4)
    first = simulator(2, seed=5)
    for seed in (6, 7):
        simulator(2, seed=seed)
    assert simulator.trace_count == 1
    again = simulate_runs(network, 2, 4, seed=5)  # The network's cached simulator.
    np.testing.assert_array_equal(again.user_utility, first.user_utility)
    simulate_runs(network, 2, 4, seed=8)
    with pytest.raises(ValueError, match="num_runs"):
        simulator(0, seed=1)
