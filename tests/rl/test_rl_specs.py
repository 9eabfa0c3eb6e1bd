"""Tests for `recsim_ng.rl.specs`: FieldSpec/Space to Gymnasium spaces and TF-Agents specs."""

import numpy as np
import pytest
import tensorflow as tf
from gymnasium import spaces
from tf_agents.specs import tensor_spec

from recsim_ng.applications.recsim_v1 import interest_exploration, slate_fields
from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import Space, box, discrete
from recsim_ng.rl.specs import field_spec, item_shape, to_gym_space, to_tensor_spec
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

REF = ("v", "x")


def test_bounded_integers_map_to_discrete_spaces_and_bounded_specs():
    spec = FieldSpec([4, 2], tf.int32, Space(1, 5, discrete=True))
    assert to_gym_space(spec, REF, 4) == spaces.MultiDiscrete([5, 5], dtype=np.int32, start=[1, 1])
    assert to_gym_space(FieldSpec([4], tf.int32, discrete(3)), REF, 4) == spaces.Discrete(3)
    bounded = to_tensor_spec(spec, REF, 4)
    assert isinstance(bounded, tensor_spec.BoundedTensorSpec)
    assert bounded.shape == (2,) and bounded.dtype == tf.int32
    np.testing.assert_array_equal(bounded.minimum, [1, 1])
    np.testing.assert_array_equal(bounded.maximum, [5, 5])


def test_infinite_integer_bounds_become_the_dtype_range():
    spec = to_tensor_spec(FieldSpec([2], tf.int32, box(0, np.inf)), REF, 2)
    assert spec.minimum == 0 and spec.maximum == np.iinfo(np.int32).max


def test_floats_map_to_boxes_bounded_only_with_a_space():
    bounded = FieldSpec([3, 2], tf.float32, box(-1.0, np.array([1.0, 2.0])))
    space = to_gym_space(bounded, REF, 3)
    assert isinstance(space, spaces.Box) and space.shape == (2,) and space.dtype == np.float32
    np.testing.assert_array_equal(space.high, [1.0, 2.0])
    unbounded = FieldSpec([3, 2], tf.float32)
    assert np.all(np.isinf(to_gym_space(unbounded, REF, 3).low))
    spec = to_tensor_spec(unbounded, REF, 3)
    assert not isinstance(spec, tensor_spec.BoundedTensorSpec) and spec.shape == (2,)


def test_booleans_and_shared_fields():
    assert to_gym_space(FieldSpec([3, 2], tf.bool), REF, 3) == spaces.MultiBinary((2,))
    assert to_tensor_spec(FieldSpec([3, 2], tf.bool), REF, 3).dtype == tf.bool
    assert to_tensor_spec(FieldSpec([6, 2], tf.float32), REF, None).shape == (6, 2)


def test_bad_shapes_and_names_are_reported_by_variable_and_field():
    with pytest.raises(ValueError, match="'v', field 'x'.*user axis of size 4"):
        item_shape(FieldSpec([3, 2], tf.float32), REF, 4)
    with pytest.raises(ValueError, match="'v', field 'x'.*not fully known"):
        item_shape(FieldSpec([None, 2], tf.float32), REF, 4)
    with pytest.raises(ValueError, match="dtype is not known"):
        to_tensor_spec(FieldSpec([4]), REF, 4)
    variable = Variable("v", Value(x=FieldSpec()))
    variable.value = value(lambda: Value(x=tf.zeros([2])))
    network = Network([variable])
    with pytest.raises(ValueError, match="no field 'y'"):
        field_spec(network, ("v", "y"))


def test_specs_derive_from_the_story(make_network, env_args):
    env = TFAgentsEnvironment(make_network(3), **env_args)
    assert env.batch_size == 3 and env.batched
    assert env.action_spec().shape == (2,) and env.action_spec().maximum.max() == 5
    observation = env.observation_spec()
    assert observation["user"]["interest"].shape == (3,)
    assert observation["response"]["choice"].maximum == 2
    assert observation["corpus"]["features"].shape == (6, 3)


@pytest.mark.parametrize("shared_candidates", [False, True])
def test_slate_contract_specs_derive_from_a_v1_story(shared_candidates):
    network = interest_exploration(3, num_candidates=5, slate_size=2,
                                   shared_candidates=shared_candidates)
    env = TFAgentsEnvironment(network, **slate_fields(network).adapter_arguments())
    observation = env.observation_spec()
    assert set(observation) == {"user", "candidates", "response"}
    assert observation["candidates"]["quality"].shape == (5,)
    np.testing.assert_array_equal(observation["candidates"]["cluster_id"].maximum, 1)  # 2 topics
    assert observation["response"]["choice"].maximum == 2  # slate_size: no click
    action = env.action_spec()
    assert action.shape == (2,)
    np.testing.assert_array_equal(action.minimum, 0)
    np.testing.assert_array_equal(action.maximum, 4)
