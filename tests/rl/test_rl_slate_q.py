"""Tests for SlateQ on RecSim v1's interest evolution."""

import math

import numpy as np
import tensorflow as tf

from recsim_ng.applications.recsim_v1 import InterestEvolution, interest_evolution
from recsim_ng.rl.agents import RandomSlatePolicy, interest_evolution_click_probability
from recsim_ng.rl.agents.slate_q import (ItemQNetwork, SlateQLearner, SlateQPolicy,
                                         attractiveness, slate_values, top_k_slate)
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


def test_exploration_is_seeded_and_slates_are_distinct():
    env = v1_environment(interest_evolution(500, CANDIDATES, SLATE))
    network = ItemQNetwork(20, 20)
    specs = (env.time_step_spec(), env.action_spec())
    greedy = SlateQPolicy(*specs, network, click_probability(500)).action(
        env.current_time_step()).action.numpy()
    policy = SlateQPolicy(*specs, network, click_probability(500), epsilon=0.5)
    slates = policy.action(env.current_time_step(), seed=4).action.numpy()
    assert all(len(set(row)) == SLATE for row in slates)
    assert 0.4 < (slates != greedy).any(axis=1).mean() < 0.6
    np.testing.assert_array_equal(policy.action(env.current_time_step(), seed=4).action, slates)


def test_short_training_beats_random_on_fresh_seeds():
    env = v1_environment(interest_evolution(256, CANDIDATES, SLATE), seed=11)
    learner = SlateQLearner(env, click_probability(256), seed=3)
    assert math.isfinite(learner.train(300))
    users = 1000
    slate_q = evaluate(interest_evolution(users, CANDIDATES, SLATE), learner.policy, users,
                       seed=21)
    random = evaluate(interest_evolution(users, CANDIDATES, SLATE),
                      RandomSlatePolicy(env.time_step_spec(), env.action_spec()), users, seed=21)
    difference_se = math.hypot(slate_q.ci95_half_width, random.ci95_half_width) / 1.96
    assert slate_q.mean_return - random.mean_return > 3 * difference_se, (slate_q, random)
