"""TF-Agents' distribution utilities (used by its PPO agent and policy savers) rebuild the one
Plackett-Luce slate distribution."""

import numpy as np
from tf_agents.distributions import utils as tf_agents_utils

from recsim_ng.entities.choice_models import PlackettLuceSlate

LOGITS = np.array([0.4, -1.0, 1.3, 0.0, -0.2], np.float32)


def test_tf_agents_distribution_utils_round_trip():
    distribution = PlackettLuceSlate(LOGITS, 3)
    parameters = tf_agents_utils.get_parameters(distribution)
    rebuilt = tf_agents_utils.make_from_parameters(parameters)
    assert type(rebuilt) is PlackettLuceSlate and rebuilt.slate_size == 3
    np.testing.assert_allclose(rebuilt.log_prob([2, 0, 3]), distribution.log_prob([2, 0, 3]),
                               rtol=1e-6)
