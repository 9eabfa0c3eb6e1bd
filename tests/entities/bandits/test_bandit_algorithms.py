"""Bandit algorithms on hand-built statistics: indices, posteriors, choices and updates."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.core import Value
from recsim_ng.entities.bandits import (KLUCB, UCB1, BetaBernoulliThompsonSampling, EpsilonGreedy,
                                        GaussianThompsonSampling, LinUCB)
from recsim_ng.entities.bandits.kl_ucb import kl_upper_bound

NO_CONTEXT = Value(time=tf.constant(0))


def counts(pulls, reward_sums):
    return Value(pulls=tf.constant(pulls, tf.float32),
                 reward_sums=tf.constant(reward_sums, tf.float32))


def test_counts_accumulate_the_chosen_arms_rewards():
    algorithm = UCB1(2, 3)
    statistics = algorithm.initial_statistics()
    for choice, reward in [([0, 2], [1.0, 0.0]), ([0, 1], [0.0, 1.0]), ([1, 1], [1.0, 1.0])]:
        statistics = algorithm.next_statistics(statistics, Value(choice=tf.constant(choice)),
                                               Value(reward=tf.constant(reward)), NO_CONTEXT)
    np.testing.assert_array_equal(statistics.get("pulls"), [[2, 1, 0], [0, 2, 1]])
    np.testing.assert_array_equal(statistics.get("reward_sums"), [[1, 1, 0], [0, 2, 0]])


def test_epsilon_greedy_mixes_the_greedy_arm_with_uniform():
    statistics = counts([[1, 1, 1], [0, 2, 2]], [[0, 1, 0], [0, 2, 0]])
    choice = EpsilonGreedy(2, 3, epsilon=0.3).arm_choice(statistics, NO_CONTEXT).get("choice")
    # Bandit 0's best empirical arm is 1; bandit 1 has never pulled arm 0, so tries it first.
    np.testing.assert_allclose(choice.probs_parameter(),
                               [[0.1, 0.8, 0.1], [0.8, 0.1, 0.1]], rtol=1e-6)
    uniform = EpsilonGreedy(2, 3, epsilon=1.0).arm_choice(statistics, NO_CONTEXT).get("choice")
    np.testing.assert_allclose(uniform.probs_parameter(), np.full([2, 3], 1 / 3), rtol=1e-6)


def test_ucb1_maximises_the_hoeffding_index():
    pulls = np.array([[1.0, 2.0, 3.0], [40.0, 50.0, 10.0], [3.0, 0.0, 3.0]])
    sums = np.array([[0.5, 1.5, 1.5], [30.0, 20.0, 5.0], [3.0, 0.0, 3.0]])
    index = sums[:2] / pulls[:2] + np.sqrt(2 * np.log(pulls[:2].sum(-1, keepdims=True))
                                           / pulls[:2])
    choice = UCB1(3, 3).arm_choice(counts(pulls, sums), NO_CONTEXT).get("choice")
    # Bandit 2 has never pulled arm 1, so it tries it first.
    np.testing.assert_array_equal(choice, [*np.argmax(index, axis=-1), 1])


def test_kl_upper_bound_solves_the_kl_constraint():
    means = np.array([0.1, 0.5, 0.9, 0.3])
    budgets = np.array([0.02, 0.1, 0.3, 0.0])
    bound = kl_upper_bound(tf.constant(means, tf.float32), tf.constant(budgets, tf.float32),
                           bisection_steps=30).numpy()
    for mean, budget, found in zip(means, budgets, bound):
        grid = np.linspace(mean, 1.0, 100_001)[:-1]
        kl = mean * np.log(mean / grid) + (1 - mean) * np.log((1 - mean) / (1 - grid))
        assert found == pytest.approx(grid[kl <= budget].max(), abs=1e-4)
    # At the ends: KL(0 || q) = -log(1 - q), and nothing exceeds a mean of 1.
    edges = kl_upper_bound(tf.constant([0.0, 1.0]), tf.constant([0.5, 0.5]), 30).numpy()
    np.testing.assert_allclose(edges, [1.0 - np.exp(-0.5), 1.0], atol=1e-4)


def test_klucb_prefers_uncertain_arms_to_equal_means_and_tries_unpulled_first():
    statistics = counts([[10, 100], [5, 0]], [[5, 50], [1, 0]])
    choice = KLUCB(2, 2).arm_choice(statistics, NO_CONTEXT).get("choice")
    np.testing.assert_array_equal(choice, [0, 1])


def test_beta_bernoulli_posterior_is_conjugate():
    statistics = counts([[4, 0]], [[3, 0]])
    algorithm = BetaBernoulliThompsonSampling(1, 2, prior_alpha=2.0, prior_beta=0.5)
    posterior = algorithm.posterior(statistics)
    np.testing.assert_allclose(posterior.concentration1, [[5.0, 2.0]])
    np.testing.assert_allclose(posterior.concentration0, [[1.5, 0.5]])


def test_gaussian_posterior_is_conjugate():
    statistics = counts([[4, 0]], [[6, 0]])
    algorithm = GaussianThompsonSampling(1, 2, prior_mean=1.0, prior_scale=2.0, noise_scale=1.0)
    posterior = algorithm.posterior(statistics)
    precision = np.array([0.25 + 4.0, 0.25])
    np.testing.assert_allclose(posterior.mean(), [[(0.25 * 1.0 + 6.0) / precision[0], 1.0]],
                               rtol=1e-6)
    np.testing.assert_allclose(posterior.stddev(), [precision ** -0.5], rtol=1e-6)


def test_thompson_choice_is_the_argmax_of_the_posterior_draw():
    algorithm = BetaBernoulliThompsonSampling(2, 3)
    choice = algorithm.arm_choice(algorithm.initial_statistics(), NO_CONTEXT)
    assert choice.get("sample").batch_shape == [2, 3]
    draw = tf.constant([[0.1, 0.7, 0.2], [0.9, 0.3, 0.95]])
    np.testing.assert_array_equal(choice.get("choice")(draw), [1, 2])


def test_linucb_keeps_the_ridge_inverse_and_scores_by_upper_bound():
    rng = np.random.default_rng(0)
    bandits, arms, dimension, ridge, alpha = 2, 3, 4, 0.5, 0.7
    algorithm = LinUCB(bandits, arms, dimension, alpha=alpha, ridge=ridge)
    statistics = algorithm.initial_statistics()
    gram = np.tile(ridge * np.eye(dimension), [bandits, arms, 1, 1])
    targets = np.zeros([bandits, arms, dimension])
    for _ in range(30):
        x = rng.normal(size=[bandits, dimension]).astype(np.float32)
        choice = rng.integers(0, arms, size=bandits)
        reward = rng.normal(size=bandits).astype(np.float32)
        statistics = algorithm.next_statistics(
            statistics, Value(choice=tf.constant(choice, tf.int32)),
            Value(reward=tf.constant(reward)), Value(features=tf.constant(x)))
        for b in range(bandits):
            gram[b, choice[b]] += np.outer(x[b], x[b])
            targets[b, choice[b]] += reward[b] * x[b]
    inverse = np.linalg.inv(gram)
    np.testing.assert_allclose(statistics.get("inverse_gram"), inverse, atol=1e-4)
    np.testing.assert_allclose(statistics.get("reward_features"), targets, atol=1e-4)
    x = rng.normal(size=[bandits, dimension]).astype(np.float32)
    theta = np.einsum("bade,bae->bad", inverse, targets)
    scores = (np.einsum("bad,bd->ba", theta, x)
              + alpha * np.sqrt(np.einsum("bd,bade,be->ba", x, inverse, x)))
    choice = algorithm.arm_choice(statistics, Value(features=tf.constant(x))).get("choice")
    np.testing.assert_array_equal(choice, np.argmax(scores, axis=-1))


@pytest.mark.parametrize("make", [lambda: UCB1(2, 1), lambda: EpsilonGreedy(2, 3, epsilon=1.5),
                                  lambda: KLUCB(2, 3, bisection_steps=0),
                                  lambda: BetaBernoulliThompsonSampling(2, 3, prior_beta=0.0),
                                  lambda: GaussianThompsonSampling(2, 3, noise_scale=-1.0),
                                  lambda: LinUCB(2, 3, dimension=2, ridge=0.0)])
def test_bad_arguments_are_rejected(make):
    with pytest.raises(ValueError):
        make()
