"""Tests for `ClusterBanditPolicy` (v1's cluster bandit agent) on v1's interest exploration."""

import math

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.policies.greedy_policy import GreedyPolicy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from recsim_ng.applications.recsim_v1 import interest_exploration, v1_environment
from recsim_ng.rl.agents import ClusterBanditPolicy, RandomSlatePolicy
from recsim_ng.rl.evaluation import evaluate

FIRST, MID = int(ts.StepType.FIRST), int(ts.StepType.MID)


def env_specs(users=4, candidates=10, slate=2):
    env = v1_environment(interest_exploration(users, candidates, slate))
    return env.time_step_spec(), env.action_spec()


def custom_specs(candidates, slate, clusters, minimum=0):
    """A time step spec with `clusters` clusters; slate indices from `minimum`."""

    def bounded(shape, dtype, high):
        return tensor_spec.BoundedTensorSpec(shape, dtype, 0, high)

    observation = {
        "user": {"user": tensor_spec.TensorSpec([0], tf.float32)},
        "candidates": {"quality": bounded([candidates], tf.float32, np.inf),
                       "cluster_id": bounded([candidates], tf.int32, clusters - 1)},
        "response": {"choice": bounded([], tf.int32, slate),
                     "click": bounded([slate], tf.int32, 1),
                     "quality": bounded([slate], tf.float32, np.inf),
                     "cluster_id": bounded([slate], tf.int32, clusters - 1)}}
    action = tensor_spec.BoundedTensorSpec([slate], tf.int32, minimum,
                                           minimum + candidates - 1)
    return ts.time_step_spec(observation), action


def make_time_step(step_type, quality, doc_clusters, clicks, response_clusters):
    """A batched time step in the slate observation contract, as the environment serves it."""
    batch = len(step_type)
    candidates = {"quality": tf.constant(quality, tf.float32),
                  "cluster_id": tf.constant(doc_clusters, tf.int32)}
    clicks = np.asarray(clicks, np.int32)
    chosen = np.where(clicks.any(1), clicks.argmax(1), clicks.shape[1])
    response = {"choice": tf.constant(chosen, tf.int32), "click": tf.constant(clicks),
                "quality": tf.zeros(clicks.shape), "cluster_id": tf.constant(response_clusters,
                                                                             tf.int32)}
    return ts.TimeStep(tf.constant(step_type, tf.int32), tf.zeros([batch]), tf.ones([batch]),
                       {"user": {"user": tf.zeros([batch, 0])}, "candidates": candidates,
                        "response": response})


def v1_slate(impressions, clicks, clusters, quality, slate_size, ci_scaling=1.0):
    """v1's ClusterBanditAgent with UCB1 for one user, literally: fresh algorithm, -pulls while
    an arm is unpulled, argsort popped from the end, GreedyClusterAgent per arm."""
    pulls, rewards = np.asarray(impressions, np.float64), np.asarray(clicks, np.float64)
    if (pulls == 0).any():
        scores = -pulls
    else:
        scores = (rewards / pulls
                  + ci_scaling * np.sqrt(2 * np.log(pulls.sum())) * np.sqrt(1 / pulls))
    order = list(np.argsort(scores, kind="stable"))
    slate = []
    while len(slate) < slate_size and order:
        arm = order.pop()
        slate += [i for i in np.argsort(-np.asarray(quality), kind="stable")
                  if clusters[i] == arm]
    return slate[:slate_size]


def test_statistics_count_every_slate_item_and_reset_on_first():
    policy = ClusterBanditPolicy(*env_specs())
    assert policy.num_clusters == 2
    state = policy.get_initial_state(3)
    for value in state.values():
        np.testing.assert_array_equal(value, np.zeros([3, 2]))
    quality, docs = np.ones([3, 10]), np.tile(np.arange(10) % 2, [3, 1])
    # A FIRST step ignores whatever its response holds.
    step = policy.action(make_time_step([FIRST] * 3, quality, docs, [[1, 0]] * 3, [[0, 1]] * 3),
                         state)
    for value in step.state.values():
        np.testing.assert_array_equal(value, np.zeros([3, 2]))
    step = policy.action(make_time_step([MID] * 3, quality, docs, [[1, 0], [0, 1], [0, 0]],
                                        [[0, 1], [1, 1], [0, 0]]), step.state)
    np.testing.assert_array_equal(step.state["impressions"], [[1, 1], [0, 2], [2, 0]])
    np.testing.assert_array_equal(step.state["clicks"], [[1, 0], [0, 1], [0, 0]])
    step = policy.action(make_time_step([MID, FIRST, MID], quality, docs,
                                        [[0, 1], [1, 0], [1, 0]], [[1, 1], [0, 0], [1, 0]]),
                         step.state)
    np.testing.assert_array_equal(step.state["impressions"], [[1, 3], [0, 0], [3, 1]])
    np.testing.assert_array_equal(step.state["clicks"], [[1, 1], [0, 0], [0, 1]])


def test_ucb1_slates_match_a_hand_computation_with_unpulled_arms_and_ties():
    policy = ClusterBanditPolicy(*custom_specs(candidates=6, slate=3, clusters=3))
    assert policy.num_clusters == 3
    # Statistics after this step's response (response clusters [0, 1, 2], one click on the 1).
    state = {"impressions": tf.constant([[3, 1, 3], [2, -1, 0], [-1, 4, -1]], tf.float32),
             "clicks": tf.constant([[1, 0, 1], [0, -1, 0], [0, 2, 0]], tf.float32)}
    quality = [[1.0, 5.0, 3.0, 4.0, 2.0, 6.0]] * 3
    docs = [[0, 1, 2, 1, 0, 2], [0, 0, 1, 0, 1, 0], [2, 2, 2, 0, 2, 2]]
    time_step = make_time_step([MID] * 3, quality, docs, [[0, 1, 0]] * 3, [[0, 1, 2]] * 3)
    step = policy.action(time_step, state)
    impressions = [[4, 2, 4], [3, 0, 1], [0, 5, 0]]
    np.testing.assert_array_equal(step.state["impressions"], impressions)
    np.testing.assert_array_equal(step.state["clicks"], [[1, 1, 1], [0, 0, 0], [0, 3, 0]])
    # User 0: all pulled, t = 10: cluster 1 (0.5 + sqrt(2 ln 10 / 2)) first, then clusters 2 and
    # 0 tie (0.25 + sqrt(2 ln 10 / 4)) and the higher index goes first.
    # User 1: cluster 1 unpulled, so scores -pulls = (-3, 0, -1): clusters 1, 2, 0.
    # User 2: scores (0, -5, 0): clusters 2 and 0 tie, 2 first; cluster 1 has no candidates.
    # Within a cluster the candidates go by quality, highest first.
    expected = np.array([[1, 3, 5], [2, 4, 5], [5, 1, 2]])
    np.testing.assert_array_equal(step.action, expected)
    assert step.action.dtype == tf.int32
    for user in range(3):
        reference = v1_slate(impressions[user], step.state["clicks"][user], docs[user],
                             quality[user], 3)
        np.testing.assert_array_equal(step.action[user], reference)
    # UCB1's distribution is a point mass: greedy serving gives the same slates and statistics.
    greedy = GreedyPolicy(policy).action(time_step, state)
    np.testing.assert_array_equal(greedy.action, expected)
    tf.nest.map_structure(np.testing.assert_array_equal, greedy.state, step.state)


def test_a_slate_spec_not_indexing_candidates_from_0_is_refused():
    with pytest.raises(ValueError, match="index candidates from 0"):
        ClusterBanditPolicy(*custom_specs(candidates=6, slate=3, clusters=3, minimum=1))


@pytest.mark.parametrize("ci_scaling", [1.0, 0.2, 3.0])
def test_ucb1_matches_v1_on_random_statistics(ci_scaling):
    rng = np.random.default_rng(11)
    users, candidates, slate, clusters = 200, 8, 4, 4
    policy = ClusterBanditPolicy(*custom_specs(candidates, slate, clusters),
                                 ci_scaling=ci_scaling)
    impressions = rng.integers(0, 8, [users, clusters]) * (rng.random([users, 1]) < 0.8)
    impressions = np.maximum(impressions, rng.random([users, clusters]) < 0.8)
    clicks = rng.binomial(impressions, rng.random([users, clusters]))
    quality = rng.random([users, candidates])
    docs = rng.integers(0, clusters, [users, candidates])
    response_clusters = rng.integers(0, clusters, [users, slate])
    chosen = rng.integers(0, slate + 1, users)  # slate: no click
    response_clicks = np.eye(slate + 1, dtype=np.int32)[chosen, :slate]
    after_impressions = impressions + (response_clusters[..., None] == np.arange(clusters)).sum(1)
    after_clicks = clicks + ((response_clusters[..., None] == np.arange(clusters))
                             * response_clicks[..., None]).sum(1)
    state = {"impressions": tf.constant(impressions, tf.float32),
             "clicks": tf.constant(clicks, tf.float32)}
    step = policy.action(make_time_step([MID] * users, quality, docs, response_clicks,
                                        response_clusters), state)
    np.testing.assert_array_equal(step.state["impressions"], after_impressions)
    np.testing.assert_array_equal(step.state["clicks"], after_clicks)
    expected = [v1_slate(after_impressions[u], after_clicks[u], docs[u], quality[u], slate,
                         ci_scaling)
                for u in range(users)]
    np.testing.assert_array_equal(step.action, expected)
    assert (after_impressions == 0).any(1).sum() > 10  # the unpulled-arm rule is exercised


def test_thompson_is_seeded_and_has_no_closed_form_distribution():
    users = 200
    policy = ClusterBanditPolicy(*env_specs(), algorithm="thompson", seed=4)
    state = {"impressions": tf.fill([users, 2], 5.0), "clicks": tf.fill([users, 2], 2.0)}
    docs = np.tile(np.arange(10) % 2, [users, 1])
    time_step = make_time_step([MID] * users, np.ones([users, 10]), docs, [[0, 0]] * users,
                               [[0, 1]] * users)
    first = policy.action(time_step, state, seed=7).action.numpy()
    np.testing.assert_array_equal(policy.action(time_step, state, seed=7).action, first)
    np.testing.assert_array_equal(policy.action(time_step, state, seed=tf.constant([0, 7]))
                                  .action, first)
    assert not np.array_equal(policy.action(time_step, state, seed=8).action, first)
    assert 0 < (first[:, 0] % 2).mean() < 1  # users draw independently
    # Without a seed, the policy draws from its own stateless sequence: a policy built with the
    # same seed repeats it, call by call; another seed does not.
    unseeded = [policy.action(time_step, state).action.numpy() for _ in range(2)]
    assert not np.array_equal(*unseeded)
    again = ClusterBanditPolicy(*env_specs(), algorithm="thompson", seed=4)
    for expected in unseeded:
        np.testing.assert_array_equal(again.action(time_step, state).action, expected)
    other = ClusterBanditPolicy(*env_specs(), algorithm="thompson", seed=5)
    assert not np.array_equal(other.action(time_step, state).action, unseeded[0])
    with pytest.raises(NotImplementedError, match="no closed form"):
        policy.distribution(time_step, state)
    with pytest.raises(ValueError, match="algorithm"):
        ClusterBanditPolicy(*env_specs(), algorithm="egreedy")


@pytest.mark.parametrize("ci_scaling", [1.0, 2.0])
def test_thompson_draws_from_v1s_beta_posterior(ci_scaling):
    users, pulls, sums = 20000, np.array([10.0, 10.0]), np.array([4.0, 6.0])
    policy = ClusterBanditPolicy(*env_specs(), algorithm="thompson", ci_scaling=ci_scaling)
    state = {"impressions": tf.constant(np.tile(pulls - 1, [users, 1]), tf.float32),
             "clicks": tf.constant(np.tile(sums - 1, [users, 1]), tf.float32)}
    docs = np.tile(np.arange(10) % 2, [users, 1])
    time_step = make_time_step([MID] * users, np.ones([users, 10]), docs, [[1, 1]] * users,
                               [[0, 1]] * users)
    slates = policy.action(time_step, state, seed=3).action.numpy()
    cluster_one_first = (slates[:, 0] % 2).mean()
    # v1: Beta(1 + S / c^2, 1 + (n - S) / c^2); P(arm 1's draw > arm 0's) by Monte Carlo.
    rng = np.random.default_rng(0)
    draws = rng.beta(1 + sums / ci_scaling**2, 1 + (pulls - sums) / ci_scaling**2, [10**6, 2])
    expected = (draws[:, 1] > draws[:, 0]).mean()
    se = math.hypot(math.sqrt(expected * (1 - expected) / users),
                    math.sqrt(expected * (1 - expected) / 10**6))
    assert abs(cluster_one_first - expected) < 4 * se, (cluster_one_first, expected)


USERS, SEED, STEPS = 2000, 9, 100


def exploration_environment(num_users):
    return v1_environment(interest_exploration(num_users, 10, 2))


@pytest.fixture(name="random_result", scope="module")
def fixture_random_result():
    policy = RandomSlatePolicy(*env_specs())
    return evaluate(exploration_environment, policy, USERS, seed=SEED, max_steps=STEPS)


@pytest.mark.parametrize("algorithm", ["ucb1", "thompson"])
def test_cluster_bandit_beats_random_on_interest_exploration(algorithm, random_result,
                                                            assert_beats):
    baseline = random_result
    bandit = evaluate(exploration_environment,
                      ClusterBanditPolicy(*env_specs(), algorithm=algorithm), USERS, seed=SEED,
                      max_steps=STEPS)
    assert_beats(bandit, baseline)


@pytest.mark.parametrize("ci_scaling", [0.0, -1.0, float("nan"), float("inf")])
def test_a_ci_scaling_that_is_not_positive_and_finite_is_refused_by_name(ci_scaling):
    with pytest.raises(ValueError, match="ci_scaling must be"):
        ClusterBanditPolicy(*env_specs(), ci_scaling=ci_scaling)
