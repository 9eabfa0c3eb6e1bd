"""Tests for the baseline policies and `evaluate` on RecSim v1's interest evolution."""

import math

import numpy as np
import pytest

from recsim_ng.applications.recsim_v1 import InterestEvolution, interest_evolution
from recsim_ng.rl.agents import (MyopicPolicy, RandomSlatePolicy, ReinforceConfig, SlateQConfig,
                                 interest_evolution_click_probability)
from recsim_ng.rl.evaluation import Evaluator, evaluate, v1_environment

CANDIDATES, SLATE = 10, 3
USERS = 4000  # the reference used 2,000 episodes; about 6 s per policy on 2 cores
REFERENCE_RETURN, REFERENCE_CI = 160.5, 0.5  # §2.4: v1, N = 10, k = 3, random slates


def small_env(users=64, seed=0):
    return v1_environment(interest_evolution(users, CANDIDATES, SLATE), seed)


def myopic_policy(env):
    model = InterestEvolution(env.batch_size, CANDIDATES, SLATE, True, False)
    return MyopicPolicy(env.time_step_spec(), env.action_spec(),
                        interest_evolution_click_probability(model))


@pytest.fixture(name="random_result", scope="module")
def fixture_random_result():
    env = small_env()
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec())
    return evaluate(interest_evolution(USERS, CANDIDATES, SLATE), policy, USERS, seed=5)


def test_random_slates_are_valid_distinct_uniform_and_seeded():
    env = small_env(users=20000)
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec(), seed=3)
    time_step = env.current_time_step()
    slates = policy.action(time_step, seed=7).action.numpy()
    assert slates.shape == (20000, SLATE)
    assert ((slates >= 0) & (slates < CANDIDATES)).all()
    assert all(len(set(row)) == SLATE for row in slates)
    for position in range(SLATE):  # each candidate at each position with probability 1/N
        frequency = np.bincount(slates[:, position], minlength=CANDIDATES) / len(slates)
        np.testing.assert_allclose(frequency, 1 / CANDIDATES, atol=0.01)
    np.testing.assert_array_equal(policy.action(time_step, seed=7).action, slates)
    assert not np.array_equal(policy.action(time_step, seed=8).action, slates)
    unseeded = [policy.action(time_step).action.numpy() for _ in range(2)]
    assert not np.array_equal(*unseeded)
    again = RandomSlatePolicy(env.time_step_spec(), env.action_spec(), seed=3)
    np.testing.assert_array_equal(again.action(time_step).action, unseeded[0])


def test_myopic_slate_is_the_top_interest_candidates_best_first():
    env = small_env()
    time_step = env.current_time_step()
    slates = myopic_policy(env).action(time_step).action.numpy()
    interests = time_step.observation["observation"]["user"].numpy()
    clusters = time_step.observation["observation"]["doc"].numpy().argmax(-1)
    scores = np.take_along_axis(interests, clusters, axis=1)  # u_c per candidate
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :SLATE]
    np.testing.assert_array_equal(slates, expected)


def test_random_policy_reproduces_the_reference_return(random_result):
    tolerance = math.hypot(random_result.ci95_half_width, REFERENCE_CI)
    assert random_result.num_users == USERS
    assert abs(random_result.mean_return - REFERENCE_RETURN) < tolerance, random_result


def test_myopic_policy_beats_random_on_the_same_seeds(random_result, assert_beats):
    myopic = evaluate(interest_evolution(USERS, CANDIDATES, SLATE), myopic_policy(small_env()),
                      USERS, seed=5)
    assert_beats(myopic, random_result)


def test_evaluate_takes_a_factory_and_checks_the_user_count():
    env = small_env(users=8)
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec())
    result = evaluate(lambda users: small_env(users), policy, 8, seed=1)
    assert result.num_users == 8 and result.mean_return > 0 and result.ci95_half_width > 0
    same = evaluate(interest_evolution(8, CANDIDATES, SLATE), policy, 8, seed=1)
    assert same == result
    truncated = evaluate(interest_evolution(8, CANDIDATES, SLATE), policy, 8, seed=1,
                         max_steps=5)
    assert truncated.mean_return <= 5 * 4.0
    with pytest.raises(ValueError, match="expected 9"):
        evaluate(interest_evolution(8, CANDIDATES, SLATE), policy, 9)


def test_an_evaluator_scores_the_same_users_on_every_call():
    env = small_env(users=8)
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec())
    evaluator = Evaluator(interest_evolution(8, CANDIDATES, SLATE), 8, seed=2)
    first = evaluator(policy)
    assert evaluator(policy) == first
    assert evaluate(interest_evolution(8, CANDIDATES, SLATE), policy, 8, seed=2) == first
    myopic = evaluator(myopic_policy(env))
    assert myopic != first and evaluator(policy) == first


@pytest.mark.parametrize("config, field", [
    (lambda: ReinforceConfig(learning_rate=float("inf")), "learning_rate"),
    (lambda: ReinforceConfig(learning_rate=float("nan")), "learning_rate"),
    (lambda: ReinforceConfig(entropy_bonus=float("inf")), "entropy_bonus"),
    (lambda: ReinforceConfig(gamma=float("nan")), "gamma"),
    (lambda: SlateQConfig(learning_rate=float("inf")), "learning_rate"),
    (lambda: SlateQConfig(epsilon=float("nan")), "epsilon")])
def test_agent_configs_refuse_nan_and_infinite_rates_naming_the_field(config, field):
    with pytest.raises(ValueError, match=f"Config.{field} is out of range"):
        config()
