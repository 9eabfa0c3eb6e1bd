"""Regret of the bandit algorithms, simulated through the bandit story with fixed seeds.

Each simulation is one compiled `TFRuntime` call over many independent bandits, and every claim
is checked against the across-bandit standard error (3 standard errors). "Sublinear" is checked
over a doubling of the horizon: regret growing like t^a adds (2^a - 1) times its first-half
regret in the second half, so requiring less than 2/3 of it means a < 0.74 (linear regret adds
as much again).
"""

import functools

import numpy as np

from recsim_ng.core import Network
from recsim_ng.entities.bandits import (KLUCB, UCB1, BanditAlgorithm, BanditProblem,
                                        BernoulliBandit, BetaBernoulliThompsonSampling,
                                        EpsilonGreedy, GaussianBandit, GaussianThompsonSampling,
                                        LinearContextualBandit, LinUCB)
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.stories.bandit_story import bandit_story

BANDITS = 200
HORIZON = 2000
SEED = 20240
MEANS = [0.1, 0.2, 0.3, 0.4, 0.5]
# At this horizon UCB1 still explores the small gaps of MEANS so much that epsilon-greedy
# (regret 0.02 per step) is ahead of it (UCB1 overtakes only near 10^4 steps); with one clearly
# better arm its logarithmic regret wins already.
CLEAR_WINNER_MEANS = [0.1, 0.2, 0.3, 0.4, 0.9]
EPSILON = 0.1
GROWTH_BOUND = 2 / 3

ALGORITHMS = {
    "epsilon_greedy": lambda: EpsilonGreedy(BANDITS, 5, epsilon=EPSILON),
    "ucb1": lambda: UCB1(BANDITS, 5),
    "kl_ucb": lambda: KLUCB(BANDITS, 5),
    "thompson": lambda: BetaBernoulliThompsonSampling(BANDITS, 5),
}


def pseudo_regret_trajectory(problem: BanditProblem, algorithm: BanditAlgorithm,
                             horizon: int) -> tuple[np.ndarray, dict]:
    """Cumulative pseudo-regret [horizon, bandits] from one compiled trajectory, and the rest."""
    trajectory = TFRuntime(Network(bandit_story(problem, algorithm))).trajectory(horizon, SEED)
    return trajectory["bandit_metrics"].get("cumulative_pseudo_regret").numpy(), trajectory


def final_pseudo_regret(problem: BanditProblem, algorithm: BanditAlgorithm,
                        horizon: int) -> np.ndarray:
    """Cumulative pseudo-regret [bandits] after `horizon` pulls, from one compiled execute."""
    final = TFRuntime(Network(bandit_story(problem, algorithm))).execute(horizon - 1, SEED)
    return final["bandit_metrics"].get("cumulative_pseudo_regret").numpy()


@functools.cache
def bernoulli_regret(algorithm: str) -> np.ndarray:
    return pseudo_regret_trajectory(BernoulliBandit(BANDITS, MEANS), ALGORITHMS[algorithm](),
                                    HORIZON)[0]


def mean_and_error(samples: np.ndarray) -> tuple[float, float]:
    return float(samples.mean()), float(samples.std(ddof=1) / np.sqrt(samples.size))


def halves(cumulative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first = cumulative[len(cumulative) // 2 - 1]
    return first, cumulative[-1] - first


def assert_sublinear(cumulative: np.ndarray) -> None:
    first, second = halves(cumulative)
    margin, error = mean_and_error(GROWTH_BOUND * first - second)
    assert margin > 3 * error, (f"second-half regret {second.mean():.2f} is not well below"
                                f" the first half's {first.mean():.2f} (margin {margin:.2f}"
                                f" +- {error:.2f})")


def assert_lower(better: np.ndarray, worse: np.ndarray) -> None:
    (low, low_error), (high, high_error) = mean_and_error(better), mean_and_error(worse)
    error = np.hypot(low_error, high_error)
    assert high - low > 3 * error, (f"final pseudo-regret {low:.2f} +- {low_error:.2f} is not"
                                    f" below {high:.2f} +- {high_error:.2f} by 3 standard errors")


def test_ucb1_regret_is_sublinear():
    assert_sublinear(bernoulli_regret("ucb1"))


def test_thompson_sampling_regret_is_sublinear_and_beats_epsilon_greedy():
    assert_sublinear(bernoulli_regret("thompson"))
    assert_lower(bernoulli_regret("thompson")[-1], bernoulli_regret("epsilon_greedy")[-1])


def test_kl_ucb_regret_is_sublinear_and_beats_epsilon_greedy():
    assert_sublinear(bernoulli_regret("kl_ucb"))
    assert_lower(bernoulli_regret("kl_ucb")[-1], bernoulli_regret("epsilon_greedy")[-1])


def test_epsilon_greedy_regret_stays_linear():
    # Exploring pulls a uniform arm with probability epsilon, at an expected cost of the mean
    # gap (0.2), so no second half can cost less than epsilon * 0.2 * HORIZON / 2 in expectation.
    floor = EPSILON * (max(MEANS) - np.mean(MEANS)) * HORIZON / 2
    second_half, error = mean_and_error(halves(bernoulli_regret("epsilon_greedy"))[1])
    assert second_half > floor - 3 * error


def test_ucb1_beats_epsilon_greedy_when_one_arm_is_clearly_best():
    problem = BernoulliBandit(BANDITS, CLEAR_WINNER_MEANS)
    assert_lower(final_pseudo_regret(problem, UCB1(BANDITS, 5), HORIZON),
                 final_pseudo_regret(problem, ALGORITHMS["epsilon_greedy"](), HORIZON))


def test_gaussian_thompson_sampling_learns():
    problem = GaussianBandit(BANDITS, 5, noise_scale=1.0, prior_scale=1.0)
    algorithm = GaussianThompsonSampling(BANDITS, 5, prior_scale=1.0, noise_scale=1.0)
    horizon = 1000
    cumulative, trajectory = pseudo_regret_trajectory(problem, algorithm, horizon)
    assert_sublinear(cumulative)
    # A uniformly random policy's expected pseudo-regret, exactly, for each drawn problem.
    means = trajectory["bandit_parameters"].get("means").numpy()[0]
    uniform = horizon * (means.max(axis=-1) - means.mean(axis=-1))
    assert_lower(cumulative[-1], uniform)


def test_linucb_beats_a_uniformly_random_policy():
    horizon, arms, dimension = 1000, 5, 5
    problem = LinearContextualBandit(BANDITS, arms, dimension, noise_scale=0.5)
    assert_lower(final_pseudo_regret(problem, LinUCB(BANDITS, arms, dimension), horizon),
                 final_pseudo_regret(problem, EpsilonGreedy(BANDITS, arms, epsilon=1.0), horizon))
