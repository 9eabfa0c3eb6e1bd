"""A fitted simulator as a TF-Agents environment: agents run on it through the RL adapters."""

import numpy as np
import pytest

from recsim_ng.fitting.fitted_environment import compare_policies, fitted_environment
from recsim_ng.fitting.gaps import GapModel
from recsim_ng.fitting.interest_network import InterestDynamics
from recsim_ng.fitting.sequences import ItemCovariates
from recsim_ng.fitting.simulator_files import FittedSimulator
from recsim_ng.rl.tf_agents_env import validate_environment

NUM_USERS, HORIZON = 400, 8


def simulator() -> FittedSimulator:
    rng = np.random.default_rng(0)
    topics = np.eye(4)[rng.integers(4, size=30)]
    covariates = ItemCovariates(tuple("abcd"), topics, rng.normal(size=30), rng.normal(size=30))
    dynamics = InterestDynamics(np.array([1.0, 0.0, -0.5, -0.5]), step_size=0.5, drift=0.2,
                                popularity_weight=1.0, quality_weight=0.5, spread=0.7)
    return FittedSimulator(dynamics, covariates, GapModel(0.5, (0.5, 0.5), (1.0, 5.0),
                                                          (1.0, 1.0)), np.arange(30))


def test_the_environment_passes_tf_agents_checks():
    validate_environment(fitted_environment(simulator(), 16, slate_size=3, horizon=4))


def test_the_fitted_myopic_policy_beats_random_slates():
    results = compare_policies(simulator(), NUM_USERS, slate_size=3, horizon=HORIZON, seed=1)
    random, myopic = results["random"], results["fitted_myopic"]
    # Random slates of 3 among 30 items catch about a tenth of the choices (more with the
    # exposure effect); the model's top 3 catch far more: the gap is many standard errors.
    assert 0 < random.mean_return < HORIZON * 0.3
    assert myopic.mean_return - random.mean_return > 3 * (
        myopic.ci95_half_width + random.ci95_half_width) / 1.96
    assert myopic.mean_return <= HORIZON


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="slate_size"):
        fitted_environment(simulator(), 4, slate_size=31)


def test_a_slate_showing_an_item_twice_is_refused_naming_the_users():
    env = fitted_environment(simulator(), 2, slate_size=3, horizon=4)
    env.reset()
    with pytest.raises(ValueError, match=r"field 'slate'.*users \[1\]"):
        env.step(np.array([[0, 1, 2], [5, 5, 6]], np.int32))
