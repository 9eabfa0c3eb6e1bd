"""The mechanics examples: deterministic Fibonacci and the random walk's statistics."""

import numpy as np
import pytest

from recsim_ng.examples.fibonacci import fibonacci
from recsim_ng.examples.random_walk import random_walk_network
from recsim_ng.lib.runtime import TFRuntime


def test_fibonacci_network_counts_fibonacci_numbers():
    assert fibonacci(12) == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]


def test_random_walk_variance_grows_linearly_with_time():
    walkers, length, scale = 4000, 5, 2.0
    positions = TFRuntime(random_walk_network(walkers, scale)).trajectory(length, 7)
    x = positions["walk"].get("position").numpy()
    variances = x.var(axis=1, ddof=1)
    expected = scale ** 2 * np.arange(1, length + 1)
    # The sample variance of n normals has standard error variance * sqrt(2 / (n - 1)).
    standard_errors = expected * np.sqrt(2 / (walkers - 1))
    assert np.all(np.abs(variances - expected) < 4 * standard_errors)


@pytest.mark.parametrize("walkers, scale, named", [
    (-1, 1.0, "num_walkers"), (0, 1.0, "num_walkers"), (3, 0.0, "scale"),
    (3, float("nan"), "scale"), (3, float("inf"), "scale")])
def test_random_walk_refuses_bad_arguments_by_name(walkers, scale, named):
    with pytest.raises(ValueError, match=f"{named} must be"):
        random_walk_network(walkers, scale)
