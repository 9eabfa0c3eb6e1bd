"""Tests for SlateQ on RecSim v1's interest evolution."""

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.recsim_v1 import InterestEvolution, interest_evolution
from recsim_ng.rl.agents import (EpsilonGreedySlatePolicy, RandomSlatePolicy, SlateQConfig,
                                 SlateQLearner, interest_evolution_click_probability)
from recsim_ng.rl.agents.slate_optimization import (attractiveness, candidate_subsets,
                                                    exact_slate, greedy_slate, optimal_slate,
                                                    slate_values, top_k_slate)
from recsim_ng.rl.evaluation import evaluate, v1_environment

CANDIDATES, SLATE = 10, 3


def click_probability(users, candidates=CANDIDATES, slate=SLATE):
    return interest_evolution_click_probability(
        InterestEvolution(users, candidates, slate, True, False))


def test_slate_value_is_the_choice_weighted_item_q():
    interests = np.zeros([1, 20], np.float32)
    interests[0, :4] = [0.5, -0.2, 0.9, -1.0]
    clusters = [2, 0, 3, 1]  # candidate j shows cluster clusters[j]
    observation = {"observation": {"user": tf.constant(interests),
                                   "doc": tf.one_hot([clusters], 20)}}
    r = attractiveness(click_probability(1, 4, 2), observation, 4)
    item_q = tf.constant([[3.0, 5.0, 7.0, 2.0]])
    slates = tf.constant([[[1, 0], [0, 3], [2, 3]]])
    v = {j: interests[0, clusters[j]] + 1.0 for j in range(4)}  # v1: u_c + 1, no click 2
    expected = [(v[a] * item_q[0, a] + v[b] * item_q[0, b]) / (v[a] + v[b] + 2.0)
                for a, b in slates.numpy()[0]]
    np.testing.assert_allclose(slate_values(r, item_q, slates)[0], expected, rtol=1e-5)
    # v = (1.9, 1.5, 0, 0.8), so r_j Q_j is proportional to (5.7, 7.5, 0, 1.6): the best Q
    # (candidate 2) is never clicked, so the slate is candidate 1, then 0.
    np.testing.assert_array_equal(top_k_slate(r, item_q, 2), [[1, 0]])


def test_greedy_and_exact_slates_follow_v1s_rules():
    r = tf.constant([[1.0, 0.5, 4.0, 0.2, 1.5]])
    q = tf.constant([[3.0, 8.0, 1.0, 9.0, 2.5]])
    # Greedy: n = 0, d = 1, each round adds the j maximising (n + r_j Q_j) / (d + r_j).
    numerator, denominator, expected = 0.0, 1.0, []
    for _ in range(3):
        values = {j: (numerator + r[0, j] * q[0, j]) / (denominator + r[0, j])
                  for j in range(5) if j not in expected}
        best = max(values, key=values.get)
        expected.append(best)
        numerator += float(r[0, best] * q[0, best])
        denominator += float(r[0, best])
    np.testing.assert_array_equal(greedy_slate(r, q, 3), [expected])
    # Exact: the best of all C(5, 3) subsets, items in descending r_j Q_j.
    subsets = list(itertools.combinations(range(5), 3))
    values = slate_values(r, q, tf.constant(subsets))[0].numpy()
    best = sorted(subsets[values.argmax()], key=lambda j: -float(r[0, j] * q[0, j]))
    np.testing.assert_array_equal(exact_slate(r, q, 3), [best])
    np.testing.assert_array_equal(candidate_subsets(5, 3), subsets)


def test_exact_slates_are_never_worse_than_greedy_or_top_k():
    r = tf.random.stateless_uniform([400, 8], [1, 2], 0.05, 3.0)
    q = tf.random.stateless_normal([400, 8], [3, 4]) * 4.0
    value = {name: slate_values(r, q, optimal_slate(name, r, q, 3)[:, tf.newaxis])[:, 0]
             for name in ("top_k", "greedy", "exact")}
    best = tf.reduce_max(slate_values(r, q, candidate_subsets(8, 3)), -1)
    np.testing.assert_allclose(value["exact"], best, rtol=1e-6)
    assert (value["greedy"].numpy() <= best.numpy() + 1e-5).all()
    assert (value["top_k"].numpy() <= best.numpy() + 1e-5).all()
    assert (value["greedy"].numpy() < best.numpy() - 1e-4).any()  # the choice matters
    with pytest.raises(ValueError, match="slate optimizer must be one of"):
        optimal_slate("best", r, q, 3)
    with pytest.raises(ValueError, match="exceeds"):
        candidate_subsets(60, 10)
    with pytest.raises(ValueError, match="SlateQConfig.target must be one of"):
        SlateQConfig(target="expected_sarsa")


def test_exploration_is_seeded_and_slates_are_distinct():
    env = v1_environment(interest_evolution(500, CANDIDATES, SLATE))
    learner = SlateQLearner(env, click_probability(500))
    greedy = learner.policy.action(env.current_time_step()).action.numpy()
    policy = EpsilonGreedySlatePolicy(learner.policy, 0.5)
    slates = policy.action(env.current_time_step(), seed=4).action.numpy()
    assert all(len(set(row)) == SLATE for row in slates)
    assert 0.4 < (slates != greedy).any(axis=1).mean() < 0.6
    np.testing.assert_array_equal(policy.action(env.current_time_step(), seed=4).action, slates)


@pytest.mark.parametrize("config", [SlateQConfig(), SlateQConfig(target="sarsa",
                                                                   slate_optimizer="greedy")])
def test_short_training_beats_random_on_fresh_seeds(config, assert_beats):
    env = v1_environment(interest_evolution(256, CANDIDATES, SLATE), seed=11)
    learner = SlateQLearner(env, click_probability(256), config, seed=3)
    for _ in range(300):
        metrics = learner.train_step()
    assert math.isfinite(metrics["loss"])
    users = 1000
    slate_q = evaluate(interest_evolution(users, CANDIDATES, SLATE), learner.policy, users,
                       seed=21)
    random = evaluate(interest_evolution(users, CANDIDATES, SLATE),
                      RandomSlatePolicy(env.time_step_spec(), env.action_spec()), users, seed=21)
    assert_beats(slate_q, random)


def test_the_v1_target_bug_switch_feeds_the_target_network_the_current_states():
    env = v1_environment(interest_evolution(16, CANDIDATES, SLATE))
    time_step = env.current_time_step()
    next_step = env.step(RandomSlatePolicy(env.time_step_spec(), env.action_spec()).action(
        time_step, seed=1).action)
    fixed = SlateQLearner(env, click_probability(16), seed=2)
    buggy = SlateQLearner(env, click_probability(16),
                          SlateQConfig(v1_target_on_current_states=True), seed=2)
    target = fixed.network  # both targets start as copies of the same online network
    np.testing.assert_array_equal(fixed.target_q(time_step, next_step),
                                  target(next_step.observation))
    np.testing.assert_array_equal(buggy.target_q(time_step, next_step),
                                  target(time_step.observation))
