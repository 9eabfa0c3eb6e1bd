"""Tests for the baseline policies and `evaluate` on RecSim v1's interest evolution."""

import math

import numpy as np
import pytest
from tf_agents.policies.greedy_policy import GreedyPolicy

from recsim_ng.applications.recsim_v1 import InterestEvolution, interest_evolution, v1_environment
from recsim_ng.applications.recsim_v1.myopic_scores import interest_evolution_click_probability
from recsim_ng.rl.agents import MyopicPolicy, RandomSlatePolicy
from recsim_ng.rl.evaluation import Evaluator, evaluate

CANDIDATES, SLATE = 10, 3
USERS = 4000  # the reference used 2,000 episodes; about 6 s per policy on 2 cores
REFERENCE_RETURN, REFERENCE_CI = 160.5, 0.5  # §2.4: v1, N = 10, k = 3, random slates
ORDERED_SLATES = math.perm(CANDIDATES, SLATE)  # N! / (N - k)! = 720


def small_env(users=64, seed=0, restart="per_user"):
    return v1_environment(interest_evolution(users, CANDIDATES, SLATE), seed, restart=restart)


def environment(num_users):
    """The evaluation factory: interest evolution for `num_users` users."""
    return small_env(num_users)


def myopic_policy(env):
    model = InterestEvolution(env.batch_size, CANDIDATES, SLATE, True, False)
    return MyopicPolicy(env.time_step_spec(), env.action_spec(),
                        interest_evolution_click_probability(model))


@pytest.fixture(name="random_result", scope="module")
def fixture_random_result():
    env = small_env()
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec())
    return evaluate(environment, policy, USERS, seed=5)


def test_random_slates_are_valid_distinct_uniform_and_seeded():
    draws = 20000
    env = small_env(users=draws)
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec(), seed=3)
    time_step = env.current_time_step()
    slates = policy.action(time_step, seed=7).action.numpy()
    assert slates.shape == (draws, SLATE)
    assert ((slates >= 0) & (slates < CANDIDATES)).all()
    assert all(len(set(row)) == SLATE for row in slates)
    for position in range(SLATE):  # each candidate at each position with probability 1/N
        frequency = np.bincount(slates[:, position], minlength=CANDIDATES) / draws
        p = 1 / CANDIDATES
        np.testing.assert_allclose(frequency, p, atol=4 * math.sqrt(p * (1 - p) / draws))
    # Uniform over the N! / (N - k)! ordered slates: Pearson's statistic over all of them is
    # chi-squared with ORDERED_SLATES - 1 degrees of freedom (mean df, variance 2 df).
    codes = (slates * np.array([CANDIDATES**2, CANDIDATES, 1])).sum(1)
    counts = np.bincount(codes, minlength=CANDIDATES**SLATE)
    assert np.count_nonzero(counts) == ORDERED_SLATES
    expected = draws / ORDERED_SLATES
    statistic = ((counts[counts > 0] - expected) ** 2 / expected).sum()
    df = ORDERED_SLATES - 1
    assert abs(statistic - df) < 4 * math.sqrt(2 * df), statistic
    # Every slate it samples has probability (N - k)! / N! under its distribution.
    log_probs = policy.distribution(time_step).action.log_prob(slates).numpy()
    np.testing.assert_allclose(log_probs, -math.log(ORDERED_SLATES), rtol=1e-5)
    # Seeded: the `seed` passed to `action`, else the policy's own stateless sequence.
    np.testing.assert_array_equal(policy.action(time_step, seed=7).action, slates)
    assert not np.array_equal(policy.action(time_step, seed=8).action, slates)
    unseeded = [policy.action(time_step).action.numpy() for _ in range(2)]
    assert not np.array_equal(*unseeded)
    again = RandomSlatePolicy(env.time_step_spec(), env.action_spec(), seed=3)
    for expected_slates in unseeded:
        np.testing.assert_array_equal(again.action(time_step).action, expected_slates)


def test_myopic_slate_is_the_top_interest_candidates_best_first():
    env = small_env()
    time_step = env.current_time_step()
    policy = myopic_policy(env)
    slates = policy.action(time_step).action.numpy()
    interests = time_step.observation["user"]["user"].numpy()
    clusters = time_step.observation["candidates"]["doc"].numpy().argmax(-1)
    scores = np.take_along_axis(interests, clusters, axis=1)  # u_c per candidate
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :SLATE]
    np.testing.assert_array_equal(slates, expected)
    # Its distribution is a point mass on that slate, so greedy serving gives the same slates.
    np.testing.assert_array_equal(GreedyPolicy(policy).action(time_step).action, expected)


def test_random_policy_reproduces_the_reference_return(random_result):
    tolerance = math.hypot(random_result.ci95_half_width, REFERENCE_CI)
    assert random_result.num_users == USERS
    assert abs(random_result.mean_return - REFERENCE_RETURN) < tolerance, random_result


def test_myopic_policy_beats_random_on_the_same_seeds(random_result, assert_beats):
    myopic = evaluate(environment, myopic_policy(small_env()), USERS, seed=5)
    assert_beats(myopic, random_result)


def test_evaluate_takes_a_factory_and_checks_the_user_count():
    env = small_env(users=8)
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec())
    result = evaluate(environment, policy, 8, seed=1)
    assert result.num_users == 8 and result.mean_return > 0 and result.ci95_half_width > 0
    assert evaluate(environment, policy, 8, seed=1) == result
    assert evaluate(environment, policy, 8, seed=2) != result
    truncated = evaluate(environment, policy, 8, seed=1, max_steps=5)
    assert truncated.mean_return <= 5 * 4.0
    with pytest.raises(ValueError, match="expected 9"):
        evaluate(lambda num_users: small_env(users=8), policy, 9)


def test_evaluation_counts_each_users_first_episode_only():
    """Per-user restarts start new episodes for users who finish early; they do not count, so
    the result equals that of restarting all users together."""
    env = small_env(users=8)
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec())
    together = evaluate(lambda num_users: small_env(num_users, restart="together"), policy, 8,
                        seed=3)
    assert evaluate(environment, policy, 8, seed=3) == together


def test_an_evaluator_scores_the_same_users_on_every_call():
    env = small_env(users=8)
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec())
    evaluator = Evaluator(environment, 8, seed=2)
    first = evaluator(policy)
    assert evaluator(policy) == first
    assert evaluate(environment, policy, 8, seed=2) == first
    myopic = evaluator(myopic_policy(env))
    assert myopic != first and evaluator(policy) == first
