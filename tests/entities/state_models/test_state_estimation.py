"""FiniteHistoryStateModel: the window of recent inputs."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.state_models import FiniteHistoryStateModel
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


@pytest.mark.parametrize("batch_shape", [[], [3], [2, 3]])
def test_window_shifts_oldest_first_from_zeros(resolve, batch_shape):
    model = FiniteHistoryStateModel(3, [2], batch_shape)
    state, _ = resolve(model.initial_state(), model.specs())
    np.testing.assert_array_equal(state.get("state"), np.zeros(batch_shape + [3, 2]))
    for step in range(1, 5):
        observation = tf.fill(batch_shape + [2], float(step))
        state, _ = resolve(model.next_state(state, Value(input=observation)), model.specs())
    expected = np.broadcast_to(np.array([2.0, 3.0, 4.0])[:, None], batch_shape + [3, 2])
    np.testing.assert_array_equal(state.get("state"), expected)


def test_window_keeps_each_user_apart_and_accepts_other_dtypes():
    model = FiniteHistoryStateModel(2, [], batch_shape=[2], dtype=tf.int32)
    state = model.initial_state()
    state = model.next_state(state, Value(input=tf.constant([1, 2])))
    state = model.next_state(state, Value(input=tf.constant([3, 4])))
    np.testing.assert_array_equal(state.get("state"), [[1, 3], [2, 4]])


def test_bad_lengths_and_inputs_are_rejected():
    with pytest.raises(ValueError, match="history_length must be >= 1"):
        FiniteHistoryStateModel(0, [2])
    model = FiniteHistoryStateModel(2, [2], batch_shape=[3])
    state = model.initial_state()
    with pytest.raises(ValueError, match=r"expected float32 \(3, 2\)"):
        model.next_state(state, Value(input=tf.zeros([3, 3])))
    with pytest.raises(ValueError, match="field 'input'"):
        model.next_state(state)


def test_history_of_random_observations_in_a_network(check_log_probability):
    observation = Variable("observation", Value(x=FieldSpec([3, 2], tf.float32)))
    observation.value = value(lambda: Value(x=tfd.Normal(tf.zeros([3, 2]), 1.0)))
    model = FiniteHistoryStateModel(2, [2], batch_shape=[3])
    history = Variable("history", model.specs())
    history.initial_value = value(model.initial_state)
    history.value = value(lambda previous, seen: model.next_state(previous, Value(
        input=seen.get("x"))), [history.previous, observation])
    trajectory = check_log_probability(Network([observation, history]))
    windows, observations = trajectory["history"].get("state"), trajectory["observation"].get("x")
    np.testing.assert_array_equal(windows[1:, :, 1], observations[1:])
    np.testing.assert_array_equal(windows[2:, :, 0], observations[1:-1])
