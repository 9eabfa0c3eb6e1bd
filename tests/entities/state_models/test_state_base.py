"""StateModel: constructor and per-call parameters, batch shapes, the per-element gather."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.core import Value
from recsim_ng.entities.state_models.state import StateModel, check_batch_shape, gather_per_element
from recsim_ng.lib.entity import story_with_trainable_variables
from recsim_ng.lib.field_spec import FieldSpec


class _Level(StateModel):
    """A state equal to the parameter `level`, broadcast over the batch."""

    def __init__(self, level=None, batch_shape=()):
        super().__init__(batch_shape, "Level", dict(level=level))

    def initial_state(self, parameters=None):
        return Value(state=self._broadcast(self._parameter("level", parameters), 0,
                                           "parameter 'level'"))

    def next_state(self, previous_state, inputs=None, parameters=None):
        return self.initial_state(parameters)

    def specs(self):
        return Value(state=FieldSpec(self.batch_shape, tf.float32))


def test_constructor_parameter_is_used_and_broadcast_over_the_batch():
    state = _Level(2.0, batch_shape=[2, 3]).initial_state().get("state")
    np.testing.assert_array_equal(state, np.full([2, 3], 2.0))


def test_per_call_parameter_overrides_the_constructor_one():
    model = _Level(2.0, batch_shape=[3])
    state = model.next_state(Value(), parameters=Value(level=tf.constant([1.0, 2.0, 3.0])))
    np.testing.assert_array_equal(state.get("state"), [1.0, 2.0, 3.0])


def test_a_parameter_given_nowhere_is_named_in_the_error():
    with pytest.raises(ValueError, match="parameter 'level' was given neither"):
        _Level().initial_state()
    with pytest.raises(ValueError, match="parameter 'level' was given neither"):
        _Level().initial_state(Value())


def test_unknown_per_call_parameters_are_rejected():
    with pytest.raises(ValueError, match=r"unknown parameters \['levle'\]"):
        _Level(1.0).initial_state(Value(levle=2.0))


def test_parameter_whose_batch_does_not_broadcast_is_rejected():
    with pytest.raises(ValueError, match="parameter 'level' has batch shape"):
        _Level(tf.zeros([4]), batch_shape=[3]).initial_state()
    with pytest.raises(ValueError, match="does not broadcast"):
        check_batch_shape(_Level(batch_shape=[3]), [2, 3], "x")


def test_batch_shape_must_be_fully_defined():
    with pytest.raises(ValueError, match="fully defined"):
        _Level(1.0, batch_shape=[None])


def test_trainable_parameters_are_collected_with_the_entity():
    model, variables = story_with_trainable_variables(lambda: _Level(tf.Variable(1.0)))
    assert [v.name for v in variables["Level"]] == ["Variable:0"]
    assert model.trainable_variables == variables["Level"]


def test_gather_per_element_broadcasts_parameters_and_indices():
    params = tf.reshape(tf.range(12.0), [1, 4, 3])  # [P=1, N=4, E=3], shared by the batch
    indices = tf.constant([[0, 3], [1, 2]])
    gathered = gather_per_element(params, indices, event_ndims=1)
    np.testing.assert_array_equal(gathered, params.numpy()[0][indices.numpy()])
    per_element = tf.constant([[10.0, 11.0], [12.0, 13.0]])  # [P=2, N=2]
    np.testing.assert_array_equal(gather_per_element(per_element, [1, 0], 0), [11.0, 12.0])
