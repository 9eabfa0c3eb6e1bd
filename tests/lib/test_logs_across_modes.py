"""A log recorded in one execution mode is a possible log in another.

Observed deterministic fields must match what the network computes from the log, up to the
rounding that accumulates over a run's steps and differs between graph mode, XLA and TensorFlow
releases; beyond it the log is impossible (-inf under XLA).
"""

import numpy as np
import tensorflow as tf

from recsim_ng.applications.interest_evolution.simulation import (
    create_interest_evolution_simulation_network)
from recsim_ng.lib.log_probability import log_probability
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.sampling import mismatch


def test_a_long_log_recorded_in_graph_mode_scores_the_same_under_xla():
    network, _ = create_interest_evolution_simulation_network(50, num_docs=30)
    logged = TFRuntime(network).trajectory(100, seed=17)
    score = lambda: log_probability(network, logged)
    graph = tf.function(score, autograph=False)()
    xla = tf.function(score, autograph=False, jit_compile=True)()
    assert np.isfinite(graph)
    np.testing.assert_allclose(xla, graph, rtol=1e-4)


def test_rounding_is_measured_on_the_fields_scale_and_an_edit_is_a_mismatch():
    logged = tf.constant([5.0, 1e-3, -2.0])
    assert mismatch(logged + [0.0, 1e-4, 0.0], logged) <= 1.0  # 2e-5 of the field's scale
    assert mismatch(logged + [0.0, 0.1, 0.0], logged) > 1.0
    assert mismatch(tf.constant([1, 2]), tf.constant([1, 3])) > 1.0
    assert mismatch(tf.constant([1, 2]), tf.constant([1, 2])) <= 1.0
