"""BanditMetrics: cumulative reward, regret and pseudo-regret arithmetic, without gradients."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.core import Value
from recsim_ng.entities.bandits import BanditMetrics


def step(arm_means, arm_rewards, choice):
    arm_rewards = tf.constant(arm_rewards)
    choice = tf.constant(choice)
    state = Value(arm_means=arm_means, arm_rewards=arm_rewards)
    rewards = Value(reward=tf.gather(arm_rewards, choice, batch_dims=1))
    return state, Value(choice=choice), rewards


def test_two_hand_computed_steps():
    metrics = BanditMetrics(2)
    means = tf.constant([[0.1, 0.5, 0.3], [0.9, 0.2, 0.4]])
    first = metrics.initial_metrics(*step(means, [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], [2, 1]))
    # Rewards 1, 1; best realised 1, 1; best means 0.5, 0.9 against chosen 0.3, 0.2.
    np.testing.assert_allclose(first.get("cumulative_reward"), [1.0, 1.0])
    np.testing.assert_allclose(first.get("cumulative_regret"), [0.0, 0.0])
    np.testing.assert_allclose(first.get("cumulative_pseudo_regret"), [0.2, 0.7], rtol=1e-6)
    second = metrics.next_metrics(first, *step(means, [[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]], [0, 0]))
    # Rewards 0, 1; best realised 1, 1; chosen means 0.1, 0.9.
    np.testing.assert_allclose(second.get("cumulative_reward"), [1.0, 2.0])
    np.testing.assert_allclose(second.get("cumulative_regret"), [1.0, 0.0])
    np.testing.assert_allclose(second.get("cumulative_pseudo_regret"), [0.6, 0.7], rtol=1e-6)


def test_no_gradient_flows_through_the_metrics():
    means = tf.Variable([[0.2, 0.8]])
    metrics = BanditMetrics(1)
    with tf.GradientTape() as tape:
        value = metrics.initial_metrics(*step(means * 1.0, [[0.0, 1.0]], [0]))
        total = tf.add_n([tf.reduce_sum(leaf) for leaf in value.as_dict.values()])
    assert tape.gradient(total, means) is None
    np.testing.assert_allclose(value.get("cumulative_pseudo_regret"), [0.6], rtol=1e-6)


def test_bad_size_is_rejected():
    with pytest.raises(ValueError, match="num_bandits"):
        BanditMetrics(0)
