"""Bad or conflicting input to the runtime and to log_probability is named, not dropped."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.log_probability import log_probability
from recsim_ng.lib.runtime import TFRuntime

tfd = tfp.distributions


def walk_network() -> Network:
    """x is a Gaussian walk; d = 2x is deterministic; mood is a categorical draw."""
    walk = Variable("walk", Value(x=FieldSpec([3]), d=FieldSpec([3]), mood=FieldSpec([3])))
    fields = lambda mean: Value(x=tfd.Normal(mean, 1.0), d=lambda x: 2.0 * x,
                                mood=tfd.Categorical(logits=tf.zeros([3, 3]), dtype=tf.int32))
    walk.initial_value = value(lambda: fields(tf.zeros(3)))
    walk.value = value(lambda previous: fields(previous.get("x")), [walk.previous])
    return Network([walk])


NETWORK = walk_network()
RUNTIME = TFRuntime(NETWORK)


def test_execute_does_not_retrace_for_a_new_number_of_steps():
    runtime = TFRuntime(NETWORK)
    for num_steps in (1, 2, 3):
        runtime.execute(num_steps, seed=0)
    assert runtime.trace_count == 1


def test_observed_deterministic_fields_that_disagree_are_named():
    logged = RUNTIME.trajectory(3, seed=1)["walk"]
    consistent = RUNTIME.trajectory(3, seed=2, observed={"walk": logged.at("x", "d")})
    np.testing.assert_array_equal(consistent["walk"].get("x"), logged.get("x"))
    with pytest.raises(ValueError, match="'walk', field 'd': the logged values differ"):
        RUNTIME.trajectory(3, seed=2, observed={"walk": Value(d=np.full([3, 3], -7.0))})


def test_starting_value_and_observed_together_are_refused():
    logged = RUNTIME.trajectory(3, seed=1)
    with pytest.raises(ValueError, match="either starting_value or observed"):
        RUNTIME.trajectory(3, seed=2, starting_value={"walk": logged["walk"].map(lambda x: x[0])},
                           observed={"walk": logged["walk"].at("x")})


def test_unknown_variables_in_a_starting_value_are_named():
    start = RUNTIME.execute(0, seed=0)
    with pytest.raises(ValueError, match="unknown variables \\['wlak'\\]"):
        RUNTIME.execute(1, seed=0, starting_value={**start, "wlak": start["walk"]})


def test_float_logs_for_an_integer_draw_are_refused_not_truncated():
    logged = RUNTIME.trajectory(2, seed=3)["walk"]
    mood = logged.get("mood").numpy().astype(np.float32) + 0.7
    forged = {"walk": Value(x=logged.get("x"), d=logged.get("d"), mood=mood)}
    with pytest.raises(ValueError, match="'walk', field 'mood'"):
        log_probability(NETWORK, forged)


def test_log_probability_accepts_a_variable_with_no_fields_first():
    empty = Variable("empty", Value())
    empty.value = value(lambda: Value())
    walk = walk_network().variables[0]
    network = Network([empty, walk])
    trajectory = TFRuntime(network).trajectory(3, seed=0)
    assert np.isfinite(log_probability(network, trajectory))
