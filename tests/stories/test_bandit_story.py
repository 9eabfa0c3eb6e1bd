"""The bandit story: its step-by-step wiring, size checks and exact log-probabilities."""

import numpy as np
import pytest

from recsim_ng.core import Network
from recsim_ng.entities.bandits import (UCB1, BanditContext, BanditMetrics, BernoulliBandit,
                                        BetaBernoulliThompsonSampling, EpsilonGreedy,
                                        GaussianBandit, GaussianThompsonSampling,
                                        LinearContextualBandit, LinUCB)
from recsim_ng.lib.log_probability import log_probability, log_probability_fn, total_log_prob
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.stories.bandit_story import bandit_story

LENGTH = 15


def at(trajectory, name, step):
    return trajectory[name].map(lambda x: x[step])


def test_every_step_pulls_once_and_learns_from_the_previous_pulls():
    problem, algorithm = BernoulliBandit(3, [0.2, 0.5, 0.7]), UCB1(3, 3)
    trajectory = TFRuntime(Network(bandit_story(problem, algorithm))).trajectory(LENGTH, 7)
    np.testing.assert_array_equal(trajectory["bandit_context"].get("time"), np.arange(LENGTH))
    means = trajectory["bandit_parameters"].get("means").numpy()
    np.testing.assert_array_equal(means, np.broadcast_to(means[0], means.shape))
    choice = trajectory["bandit_choice"].get("choice").numpy()
    reward = trajectory["bandit_rewards"].get("reward").numpy()
    arm_rewards = trajectory["bandit_state"].get("arm_rewards").numpy()
    np.testing.assert_array_equal(reward, np.take_along_axis(arm_rewards, choice[..., None],
                                                             -1)[..., 0])
    pulled = np.eye(3)[choice]  # [time, bandits, arms]
    earlier_pulls = np.cumsum(pulled, axis=0) - pulled
    earlier_sums = np.cumsum(pulled * reward[..., None], axis=0) - pulled * reward[..., None]
    np.testing.assert_array_equal(trajectory["bandit_statistics"].get("pulls"), earlier_pulls)
    np.testing.assert_allclose(trajectory["bandit_statistics"].get("reward_sums"), earlier_sums)
    for step in range(LENGTH):  # The choice at t is made from the statistics at t.
        made = algorithm.arm_choice(at(trajectory, "bandit_statistics", step),
                                    at(trajectory, "bandit_context", step))
        np.testing.assert_array_equal(made.get("choice"), choice[step])
    np.testing.assert_allclose(trajectory["bandit_metrics"].get("cumulative_reward"),
                               np.cumsum(reward, axis=0))
    assert (choice[:3] == [[0, 0, 0], [1, 1, 1], [2, 2, 2]]).all()  # Each arm once, first.


def test_statistics_are_updated_with_the_context_of_the_previous_choice():
    problem, algorithm = LinearContextualBandit(2, 3, dimension=2), LinUCB(2, 3, dimension=2)
    trajectory = TFRuntime(Network(bandit_story(problem, algorithm))).trajectory(LENGTH, 3)
    for step in range(1, LENGTH):
        expected = algorithm.next_statistics(*(at(trajectory, name, step - 1) for name in (
            "bandit_statistics", "bandit_choice", "bandit_rewards", "bandit_context")))
        for field, tensor in expected.as_dict.items():
            np.testing.assert_allclose(trajectory["bandit_statistics"].get(field)[step], tensor,
                                       rtol=1e-5, atol=1e-6)


def test_defaults_and_variable_names():
    variables = bandit_story(LinearContextualBandit(2, 3, dimension=4), LinUCB(2, 3, 4))
    assert [v.name for v in variables] == [
        "bandit_parameters", "bandit_context", "bandit_state", "bandit_statistics",
        "bandit_choice", "bandit_rewards", "bandit_metrics"]
    assert variables[1].spec.get("features").shape == [2, 4]
    assert set(variables[-1].spec.as_dict) == set(BanditMetrics(2).specs().as_dict)


@pytest.mark.parametrize("make_entities, match", [
    (lambda: (BernoulliBandit(2, [0.1, 0.2]), UCB1(3, 2)), "num_bandits"),
    (lambda: (BernoulliBandit(2, [0.1, 0.2]), UCB1(2, 2), BanditContext(4)), "num_bandits"),
    (lambda: (BernoulliBandit(2, [0.1, 0.2]), UCB1(2, 2), None, BanditMetrics(1)),
     "num_bandits"),
    (lambda: (BernoulliBandit(2, [0.1, 0.2, 0.3]), UCB1(2, 2)), "arms"),
])
def test_mismatched_entities_are_rejected(make_entities, match):
    with pytest.raises(ValueError, match=match):
        bandit_story(*make_entities())


LOG_PROB_CASES = {
    # A categorical mixture choice, Bernoulli arm rewards.
    "epsilon_greedy": lambda: (BernoulliBandit(4, [0.2, 0.5, 0.8]), EpsilonGreedy(4, 3, 0.3)),
    # A Beta posterior draw and its argmax.
    "beta_thompson": lambda: (BernoulliBandit(4, [0.2, 0.5, 0.8]),
                              BetaBernoulliThompsonSampling(4, 3)),
    # Random parameters at the initial step, a Normal posterior draw.
    "gaussian_thompson": lambda: (GaussianBandit(4, 3), GaussianThompsonSampling(4, 3)),
    # Random weights, random context features every step, logistic rewards.
    "linucb": lambda: (LinearContextualBandit(4, 3, dimension=2, logistic=True),
                       LinUCB(4, 3, dimension=2)),
}


@pytest.mark.parametrize("case", sorted(LOG_PROB_CASES))
def test_log_probability_of_a_simulated_trajectory_equals_the_recorded_one(case):
    network = Network(bandit_story(*LOG_PROB_CASES[case]()))
    simulated = TFRuntime(network, record_log_probs=True).trajectory(LENGTH, 11)
    data = dict(simulated)
    online = simulated.log_probs
    assert "bandit_state" in online
    per_field = log_probability_fn(network).per_field(data)
    for name, recorded in online.items():
        for field, log_prob in recorded.as_dict.items():
            np.testing.assert_allclose(per_field[name].get(field),
                                       log_prob, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(log_probability(network, data), total_log_prob(online),
                               rtol=1e-5)
