"""What all three RecSim v1 networks share: specs and spaces, slates, log-probs, termination."""

import math

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.recsim_v1 import (OBSERVATION_VARIABLES, interest_evolution,
                                              interest_exploration, long_term_satisfaction,
                                              uniform_slate_distribution)
from recsim_ng.core import Value
from recsim_ng.lib.log_probability import log_probability_fn, total_log_prob
from recsim_ng.lib.runtime import TFRuntime

ENVIRONMENTS = [interest_evolution, interest_exploration, long_term_satisfaction]
USERS, LENGTH = 6, 8


@pytest.fixture(scope="module", params=ENVIRONMENTS, ids=lambda fn: fn.__name__)
def recorded(request):
    network = request.param(USERS, uniform_random_slate=True)
    trajectory = TFRuntime(network, record_log_probs=True).trajectory(LENGTH, seed=7)
    return network, trajectory


def test_every_field_has_a_precise_spec_and_its_values_lie_in_its_space(recorded):
    network, trajectory = recorded
    for variable in network.variables:
        for field, spec in variable.spec.as_dict.items():
            values = trajectory[variable.name].get(field)
            assert spec.shape.is_fully_defined(), (variable.name, field)
            assert spec.dtype == values.dtype, (variable.name, field)
            assert values.shape[1:] == spec.shape, (variable.name, field)
            assert spec.space is not None and spec.space.contains(values.numpy()), (
                variable.name, field)


def test_observations_are_what_v1s_gym_wrapper_shows(recorded):
    network, trajectory = recorded
    assert set(OBSERVATION_VARIABLES) <= {v.name for v in network.variables}
    observation = trajectory["observation"]
    assert set(observation) == {"user", "doc"}
    for doc_field in observation.at("doc").as_dict.values():  # A tensor or a Value of them.
        assert doc_field.shape[:3] == [LENGTH, USERS, 10]
    response = trajectory["response"]
    np.testing.assert_array_equal(response.get("choice")[0], 2)  # reset(): no response yet.
    np.testing.assert_array_equal(trajectory["reward"].get("reward")[0], 0.0)


def test_log_probability_of_a_random_slate_trajectory_equals_the_online_log_probs(recorded):
    network, trajectory = recorded
    online = trajectory.log_probs
    data = dict(trajectory)
    per_field = log_probability_fn(network).per_field(data)
    for name, val in online.items():
        for field, recorded_log_prob in val.as_dict.items():
            np.testing.assert_allclose(per_field[name].get(field),
                                       recorded_log_prob, rtol=1e-5, atol=1e-5,
                                       err_msg=f"{name} {field}")
    assert "slate" in online
    np.testing.assert_allclose(total_log_prob(per_field), total_log_prob(online), rtol=1e-5)


def test_uniform_slates_are_distinct_candidates_with_equal_probability():
    distribution = uniform_slate_distribution(num_users=20000, num_candidates=5, slate_size=3)
    slates = distribution.sample(seed=tf.constant([1, 2])).numpy()
    assert slates.min() >= 0 and slates.max() <= 4
    assert all(len(set(row)) == 3 for row in slates)
    np.testing.assert_allclose(distribution.log_prob(slates), -math.log(5 * 4 * 3), rtol=1e-6)
    counts = np.bincount(slates[:, 1], minlength=5)  # Each candidate: 1/5 per position.
    np.testing.assert_allclose(counts / len(slates), 0.2, atol=4 * math.sqrt(0.16 / 20000))


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("resample", [False, True])
def test_candidate_sets_can_be_shared_and_kept(shared, resample):
    network = interest_exploration(4, resample_documents=resample, shared_candidates=shared,
                                   uniform_random_slate=True)
    quality = TFRuntime(network).trajectory(3, seed=1)["documents"].get("quality").numpy()
    assert quality.shape == (3, 1 if shared else 4, 10)
    assert np.array_equal(quality[0], quality[2]) != resample
    if not shared:
        assert not np.array_equal(quality[0, 0], quality[0, 1])


def test_an_agent_feeds_slates_that_index_the_previous_candidates():
    runtime = TFRuntime(interest_evolution(3, slate_size=2), inputs=("slate",))
    state = runtime.reset(seed=5)
    for action in ([[0, 1], [9, 8], [4, 2]], [[3, 3], [1, 0], [7, 5]]):
        clusters = state.value["documents"].get("cluster_id").numpy()
        state = runtime.step(state, inputs={"slate": Value(slate=tf.constant(action))})
        expected = np.take_along_axis(clusters, np.array(action), axis=1)
        np.testing.assert_array_equal(state.value["response"].get("cluster_id"), expected)


def test_finished_users_stay_done_with_zero_reward_while_others_continue():
    network = interest_evolution(4, uniform_random_slate=True)
    runtime = TFRuntime(network)
    start = runtime.trajectory(1, seed=3)
    start = {name: val.map(lambda x: x[0]) for name, val in start.items()}
    start["reward"] = Value(**{**start["reward"].as_dict,
                               "done": tf.constant([True, True, False, False])})
    trajectory = runtime.trajectory(20, seed=4, starting_value=start)
    reward, done = (trajectory["reward"].get(f).numpy() for f in ("reward", "done"))
    assert done[:, :2].all() and not done[:, 2:].any()
    np.testing.assert_array_equal(reward[:, :2], 0.0)
    assert (reward[:, 2:] > 0).any()
    np.testing.assert_array_equal(trajectory["response"].get("choice")[:, :2], 2)
    np.testing.assert_array_equal(trajectory["response"].get("click")[:, :2], 0)
    for field in ("interests", "budget"):
        frozen = trajectory["user_state"].get(field).numpy()[:, :2]
        np.testing.assert_array_equal(frozen, np.broadcast_to(frozen[0], frozen.shape))
    length = trajectory["reward"].get("episode_length").numpy()
    np.testing.assert_array_equal(length[-1], [0, 0, 19, 19])
    np.testing.assert_allclose(trajectory["reward"].get("episode_return")[-1], reward.sum(0),
                               rtol=1e-5)


def test_a_user_whose_budget_runs_out_is_done_from_that_step_on():
    network = long_term_satisfaction(3, uniform_random_slate=True)
    done = TFRuntime(network).trajectory(63, seed=2)["reward"].get("done").numpy()
    assert not done[:60].any() and done[60:].all()  # v1: exactly 60 steps.
