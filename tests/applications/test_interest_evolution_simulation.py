"""The interest evolution network: its wiring, exact log-probabilities and trainable variables."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.interest_evolution.simulation import (
    create_interest_evolution_simulation_network)
from recsim_ng.applications.interest_evolution.training import reinforce_objective, rewards_of
from recsim_ng.lib.log_probability import log_probability, total_log_prob
from recsim_ng.lib.runtime import TFRuntime

USERS, DOCS, HISTORY, HORIZON = 16, 8, 4, 6


@pytest.fixture(scope="module")
def simulated():
    network, variables = create_interest_evolution_simulation_network(
        USERS, num_docs=DOCS, history_length=HISTORY)
    trajectory = TFRuntime(network, record_log_probs=True).trajectory(HORIZON, seed=7)
    return network, variables, trajectory


def test_log_probability_equals_the_recorded_log_probs_of_the_networks_own_trajectory(simulated):
    network, _, trajectory = simulated
    online = trajectory.log_probs
    logged = dict(trajectory)
    assert set(online) == {"user_state", "slate_docs",
                           "user_response"}
    np.testing.assert_allclose(log_probability(network, logged), total_log_prob(online),
                               rtol=1e-5)


def test_the_recommender_sees_no_user_state_and_slates_hold_distinct_corpus_docs(simulated):
    network, _, trajectory = simulated
    assert network.variable("user_observation").spec.as_dict == {}
    slate_inputs = {d.variable_name for d in network.variable("slate_docs").value.dependencies}
    assert slate_inputs == {"recommender_state", "user_observation", "available_docs"}
    slate = trajectory["slate_docs"].map(np.asarray)
    ranks = slate.get("doc_ranks")
    assert np.all(ranks[..., 0] != ranks[..., 1])
    np.testing.assert_array_equal(slate.get("doc_id"), ranks + 1)
    corpus = trajectory["corpus_state"].map(np.asarray)
    quality = corpus.get("doc_quality")
    np.testing.assert_array_equal(quality, np.broadcast_to(quality[:1], quality.shape))
    np.testing.assert_array_equal(slate.get("doc_quality"), np.take(quality[0], ranks))


def test_metrics_accumulate_the_previous_steps_consumed_time(simulated):
    _, _, trajectory = simulated
    rewards = rewards_of(trajectory).numpy()
    metrics = trajectory["metrics_state"].map(np.asarray)
    np.testing.assert_allclose(metrics.get("reward")[1:], rewards[:-1])
    np.testing.assert_allclose(metrics.get("cumulative_reward")[1:],
                               np.cumsum(rewards, axis=0)[:-1], rtol=1e-6)
    clicked = trajectory["user_response"].get("choice").numpy() < 2
    assert 0 < clicked.mean() < 1
    np.testing.assert_array_equal(rewards > 0, clicked)


def test_an_unfrozen_corpus_is_drawn_per_run_and_stays_put():
    network, _ = create_interest_evolution_simulation_network(
        4, num_docs=DOCS, history_length=HISTORY, freeze_corpus=False)
    runtime = TFRuntime(network)
    first, second = (runtime.trajectory(3, seed)["corpus_state"] for seed in (1, 2))
    features = first.get("doc_features").numpy()
    np.testing.assert_array_equal(features, np.broadcast_to(features[:1], features.shape))
    assert not np.array_equal(features[0], second.get("doc_features").numpy()[0])


def test_recommender_variables_are_found_and_get_finite_nonzero_policy_gradients(simulated):
    network, variables, _ = simulated
    names = {v.name.split(":")[0] for v in variables}
    assert names == {"history_embeddings", "proposal_embeddings", "hidden_weights",
                     "hidden_bias", "output_weights", "output_bias"}
    runtime = TFRuntime(network, record_log_probs=True)
    with tf.GradientTape() as tape:
        trajectory = runtime.trajectory(HORIZON, seed=3)
        objective = reinforce_objective(trajectory.log_probs["slate_docs"].get("doc_ranks"),
                                        rewards_of(trajectory))
    for variable, gradient in zip(variables, tape.gradient(objective, variables)):
        assert gradient is not None, variable.name
        gradient = tf.convert_to_tensor(gradient).numpy()
        assert np.all(np.isfinite(gradient)) and np.any(gradient != 0), variable.name
