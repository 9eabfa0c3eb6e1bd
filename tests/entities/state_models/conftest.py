"""Helpers for the state-model tests: resolve a model's value as the runtime does, and check a
network's log_probability against the log-probs recorded while simulating it."""

from typing import Callable

import numpy as np
import pytest

from recsim_ng.core import Network, Value, ValueSpec, Variable
from recsim_ng.lib import seeds
from recsim_ng.lib.log_probability import log_probability, total_log_prob
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.sampling import FieldResolver


def _resolve(raw: Value, spec: ValueSpec, seed: int = 0,
             record_log_probs: bool = True) -> tuple[Value, dict]:
    """Draws `raw`'s random fields with stateless seeds, checks the result against `spec`, and
    returns it with the log-prob of every random field (if recorded)."""
    variable = Variable("state", spec)
    names = [("state", field) for field in spec.as_dict]
    resolver = FieldResolver(seeds.FieldSeeds(seeds.as_seed(seed), names),
                             record_log_probs=record_log_probs)
    resolved = variable.typecheck(resolver(variable, raw))
    return resolved, resolver.log_probs.get("state", {})


@pytest.fixture
def resolve() -> Callable[..., tuple[Value, dict]]:
    return _resolve


def _check_log_probability(network: Network, length: int = 4, seed: int = 7) -> dict[str, Value]:
    """Simulates `network`, asserts log_probability of the trajectory equals the sum of the
    recorded log-probs, and returns the trajectory (log-prob entries included)."""
    trajectory = TFRuntime(network, record_log_probs=True).trajectory(length, seed)
    data = dict(trajectory)
    online = trajectory.log_probs
    assert online, "the network records no log-probs"
    np.testing.assert_allclose(log_probability(network, data), total_log_prob(online),
                               rtol=1e-5, atol=1e-4)
    return trajectory


@pytest.fixture
def check_log_probability() -> Callable[..., dict[str, Value]]:
    return _check_log_probability
