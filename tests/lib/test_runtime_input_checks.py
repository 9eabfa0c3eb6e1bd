"""Bad or conflicting input to the runtime and to log_probability is named, not dropped."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.examples.random_walk import random_walk_network
from recsim_ng.lib import memory
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


def two_field_network() -> Network:
    """Two float32 fields of 4 elements, drawn independently at every step."""
    pair = Variable("pair", Value(a=FieldSpec([4], tf.float32), b=FieldSpec([4], tf.float32)))
    pair.value = value(lambda: Value(a=tfd.Normal(tf.zeros(4), 1.0),
                                     b=tfd.Normal(tf.zeros(4), 1.0)))
    return Network([pair])


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


# Lengths: refused before a run that int32 step indices or the memory could not hold.


def test_a_zero_step_log_is_refused_naming_the_length():
    empty = {"walk": Value(x=np.zeros([0, 3], np.float32), d=np.zeros([0, 3], np.float32),
                           mood=np.zeros([0, 3], np.int32))}
    with pytest.raises(ValueError, match="length"):
        log_probability(NETWORK, empty)


def test_a_length_past_int32_step_indices_is_refused_naming_length():
    with pytest.raises(ValueError, match=r"length 2147483648 .*int32"):
        TFRuntime(random_walk_network(2)).trajectory(2**31, seed=0)


def test_a_trajectory_too_big_for_memory_is_refused_pointing_to_stream_and_fields():
    runtime = TFRuntime(random_walk_network(1000))  # 4 kB a step: 2**31 - 1 steps are 8.6 TB.
    with pytest.raises(ValueError, match=r"length 2147483647 needs .* TB.*memory.*"
                       r"fields=.*TFRuntime\.stream"):
        runtime.trajectory(2**31 - 1, seed=0)


def test_the_memory_estimate_counts_only_the_kept_fields(monkeypatch):
    network = two_field_network()  # a and b: 4 float32 each, 32 bytes a step.
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 * 32 * 2 - 1)
    runtime = TFRuntime(network)
    with pytest.raises(ValueError, match="length 10 needs"):
        runtime.trajectory(10, seed=0)
    kept = runtime.trajectory(10, seed=0, fields={"pair": ["a"]})
    assert kept["pair"].get("a").shape == (10, 4)
