"""Tests for the full-slate Q agent on RecSim v1's interest evolution."""

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.policies import greedy_policy
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from recsim_ng.applications.recsim_v1 import interest_evolution
from recsim_ng.applications.recsim_v1.environment import v1_environment
from recsim_ng.rl.agents import RandomSlatePolicy
from recsim_ng.rl.agents.full_slate_q import (FullSlateQAgent, ordered_slate_index,
                                              ordered_slates)
from recsim_ng.rl.agents.q_agent import QLearningConfig
from recsim_ng.rl.collect import ReplayLearner
from recsim_ng.rl.evaluation import evaluate

CANDIDATES, SLATE = 5, 2


def environment(users, seed=0):
    return v1_environment(interest_evolution(users, CANDIDATES, SLATE), seed=seed)


def specs(env):
    return env.time_step_spec(), env.action_spec()


def test_slates_are_every_ordered_permutation_and_index_back_to_their_row():
    slates = ordered_slates(6, 3)
    np.testing.assert_array_equal(slates, list(itertools.permutations(range(6), 3)))
    np.testing.assert_array_equal(ordered_slate_index(slates, 6), np.arange(math.perm(6, 3)))
    with pytest.raises(ValueError, match="exceeds"):
        ordered_slates(20, 4)


def test_bad_arguments_are_refused():
    env = environment(2)
    with pytest.raises(ValueError, match="huber_delta must be positive"):
        FullSlateQAgent(*specs(env), huber_delta=0.0)
    with pytest.raises(ValueError, match="config must be a QLearningConfig"):
        FullSlateQAgent(*specs(env), {"gamma": 0.9})
    with pytest.raises(ValueError, match="QLearningConfig.hidden is out of range"):
        QLearningConfig(hidden=(0,))
    big = v1_environment(interest_evolution(2, 20, 4))
    with pytest.raises(ValueError, match="use SlateQ"):
        FullSlateQAgent(*specs(big))


def test_the_policy_serves_the_argmax_of_the_slate_network():
    env = environment(8)
    agent = FullSlateQAgent(*specs(env), QLearningConfig(hidden=(16,)), seed=1)
    time_step = env.current_time_step()
    values = agent.network(time_step.observation).numpy()
    assert values.shape == (8, 20)
    expected = ordered_slates(CANDIDATES, SLATE).numpy()[values.argmax(-1)]
    np.testing.assert_array_equal(agent.policy.action(time_step).action, expected)
    np.testing.assert_array_equal(
        greedy_policy.GreedyPolicy(agent.policy).action(time_step).action, expected)


@pytest.mark.parametrize("v1_bug", [False, True])
def test_loss_is_the_huber_loss_against_the_double_dqn_target(v1_bug):
    users = 4
    env = environment(users)
    random = RandomSlatePolicy(*specs(env))
    first = env.current_time_step()
    slates = random.action(first, seed=1).action
    second = env.step(slates)
    config = QLearningConfig(gamma=0.9, v1_target_on_current_states=v1_bug)
    agent = FullSlateQAgent(*specs(env), config, seed=2, huber_delta=1.0)
    for index, variable in enumerate(agent.target_network.trainable_variables):
        variable.assign_add(0.5 * tf.random.stateless_normal(variable.shape, [9, index]))
    # Rows: a step within the episode, a terminal step (discount 0), the boundary from an
    # episode's LAST step into the next episode (not trained), and a step with a big reward
    # (the Huber loss is linear beyond delta).
    step_types = [ts.StepType.MID, ts.StepType.MID, ts.StepType.LAST, ts.StepType.FIRST]
    rewards, discounts = [1.0, 2.0, 3.0, 40.0], [1.0, 0.0, 1.0, 1.0]
    experience = trajectory.Trajectory(
        step_type=_stack(tf.constant(step_types), tf.fill([users], ts.StepType.MID)),
        observation=tf.nest.map_structure(_stack, first.observation, second.observation),
        action=_stack(slates, random.action(first, seed=2).action), policy_info=(),
        next_step_type=tf.fill([users, 2], ts.StepType.MID),
        reward=_stack(tf.constant(rewards), tf.zeros([users])),
        discount=_stack(tf.constant(discounts), tf.ones([users])))
    online_next = agent.network(second.observation).numpy()
    target_next = agent.target_network((first if v1_bug else second).observation).numpy()
    q = agent.network(first.observation).numpy()
    rows = ordered_slate_index(slates, CANDIDATES).numpy()
    errors = []
    for row in (0, 1, 3):
        double = target_next[row, online_next[row].argmax()]  # the online network's choice
        assert double != target_next[row].max()  # (plain DQN would take this max)
        error = abs(q[row, rows[row]] - (rewards[row] + 0.9 * discounts[row] * double))
        errors.append(0.5 * error ** 2 if error <= 1.0 else error - 0.5)
    loss = agent.loss(experience)
    np.testing.assert_allclose(loss.loss, np.mean(errors), rtol=1e-5)
    assert loss.extra.weight == 3.0


def _stack(first, second):
    """`[B, 2, ...]` from two `[B, ...]` steps."""
    return tf.stack([first, second], axis=1)


def test_replay_training_beats_random_on_fresh_users(assert_beats):
    env = environment(64, seed=11)
    agent = FullSlateQAgent(*specs(env), QLearningConfig(hidden=(32,)), seed=3)
    learner = ReplayLearner(agent, env, seed=5)
    for _ in range(1000):
        metrics = learner.train_step()
    assert math.isfinite(metrics["loss"])
    users = 1000
    full_slate = evaluate(environment, learner.policy, users, seed=21)  # GreedyPolicy
    random = evaluate(environment, RandomSlatePolicy(*specs(env)), users, seed=21)
    assert_beats(full_slate, random)
    assert all(tf.reduce_all(tf.math.is_finite(v)) for v in agent.network.trainable_variables)
