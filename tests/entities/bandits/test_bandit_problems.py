"""Bandit problems and contexts: parameters, arm means, reward distributions and validation."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.core import Value
from recsim_ng.entities.bandits import (BanditContext, BernoulliBandit, GaussianBandit,
                                        GaussianContext, LinearContextualBandit)

NO_CONTEXT = Value(time=tf.constant(0))


def test_bernoulli_means_broadcast_and_reward_distribution():
    problem = BernoulliBandit(3, [0.1, 0.5, 0.9])
    assert (problem.num_bandits, problem.num_arms) == (3, 3)
    state = problem.state(problem.parameters(), NO_CONTEXT)
    np.testing.assert_allclose(state.get("arm_means"), np.tile([0.1, 0.5, 0.9], [3, 1]),
                               rtol=1e-6)
    np.testing.assert_allclose(state.get("arm_rewards").mean(), state.get("arm_means"),
                               rtol=1e-6)
    assert state.get("arm_rewards").dtype == tf.float32


def test_rewards_gather_each_bandits_chosen_arm():
    problem = BernoulliBandit(2, [[0.1, 0.2], [0.3, 0.4]])
    state = Value(arm_means=tf.zeros([2, 2]), arm_rewards=tf.constant([[1.0, 0.0], [0.0, 1.0]]))
    rewards = problem.rewards(Value(choice=tf.constant([0, 0])), state)
    np.testing.assert_array_equal(rewards.get("reward"), [1.0, 0.0])


@pytest.mark.parametrize("means", [[[0.1, 0.2]], [0.1, 1.2], [0.5]])
def test_bernoulli_rejects_bad_means(means):
    with pytest.raises(ValueError, match="BernoulliBandit"):
        BernoulliBandit(2, means)


def test_gaussian_draws_means_from_its_prior_unless_given():
    problem = GaussianBandit(4, 3, noise_scale=0.5, prior_mean=1.0, prior_scale=2.0)
    prior = problem.parameters().get("means")
    np.testing.assert_allclose(prior.mean(), np.ones([4, 3]))
    np.testing.assert_allclose(prior.stddev(), np.full([4, 3], 2.0))
    fixed = GaussianBandit(4, 3, means=[0.0, 1.0, 2.0])
    state = fixed.state(fixed.parameters(), NO_CONTEXT)
    np.testing.assert_allclose(state.get("arm_rewards").stddev(), np.ones([4, 3]))
    np.testing.assert_allclose(state.get("arm_means")[2], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="num_arms"):
        GaussianBandit(4, 2, means=[0.0, 1.0, 2.0])


@pytest.mark.parametrize("logistic", [False, True])
def test_linear_arm_means_follow_the_context(logistic):
    problem = LinearContextualBandit(2, 3, dimension=2, noise_scale=0.25, logistic=logistic)
    theta = tf.constant([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
                         [[-1.0, 0.0], [0.0, 2.0], [0.5, 0.5]]])
    features = tf.constant([[0.5, -1.0], [1.0, 1.0]])
    state = problem.state(Value(theta=theta), Value(time=tf.constant(3), features=features))
    scores = np.array([[0.5, -1.0, -0.5], [-1.0, 2.0, 1.0]])
    expected = 1.0 / (1.0 + np.exp(-scores)) if logistic else scores
    np.testing.assert_allclose(state.get("arm_means"), expected, rtol=1e-6)
    np.testing.assert_allclose(state.get("arm_rewards").mean(), expected, rtol=1e-6)
    context = problem.default_context()
    assert isinstance(context, GaussianContext) and context.dimension == 2


def test_contexts_count_steps_and_draw_unit_scale_features():
    assert int(BanditContext(3).next_context(Value(time=tf.constant(4))).get("time")) == 5
    context = GaussianContext(3, dimension=4)
    features = context.next_context(context.initial_context()).get("features")
    assert features.batch_shape == [3, 4]
    np.testing.assert_allclose(features.stddev(), np.full([3, 4], 0.5))
    assert set(context.specs().as_dict) == {"time", "features"}


@pytest.mark.parametrize("make", [lambda: BernoulliBandit(0, [0.1, 0.2]),
                                  lambda: GaussianBandit(2, 1),
                                  lambda: GaussianBandit(2, 2, noise_scale=0.0),
                                  lambda: LinearContextualBandit(2, 2, dimension=0),
                                  lambda: GaussianContext(2, dimension=0),
                                  lambda: BanditContext(0)])
def test_bad_sizes_and_scales_are_rejected(make):
    with pytest.raises(ValueError):
        make()
