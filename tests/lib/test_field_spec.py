"""Tests for the TensorFlow field specs and `Space`."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.core import value as core_value
from recsim_ng.lib.field_spec import DynamicFieldSpec, FieldSpec
from recsim_ng.lib.space import Space, box, discrete


def _accepts(field_spec, field_value):
    ok, why = field_spec.check_value(field_value)
    assert ok, why
    return True


def _rejection(field_spec, field_value):
    ok, why = field_spec.check_value(field_value)
    assert not ok, (f"a {type(field_value).__name__} of shape {np.shape(field_value)} was accepted"
                    f" by a spec of shape {field_spec.shape} and dtype {field_spec.dtype}")
    assert why
    return why


# FieldSpec: learning.


def test_is_a_core_field_spec():
    assert isinstance(FieldSpec(), core_value.FieldSpec)


def test_unset_spec_learns_shape_and_dtype_from_the_first_value():
    field_spec = FieldSpec()
    assert field_spec.dtype is None
    assert field_spec.shape.rank is None
    assert _accepts(field_spec, tf.zeros([3, 2], tf.int32))
    assert field_spec.shape == tf.TensorShape([3, 2])
    assert field_spec.dtype == tf.int32
    assert field_spec.invariant() == tf.TensorShape([3, 2])


def test_learned_shape_is_then_enforced():
    field_spec = FieldSpec()
    _accepts(field_spec, np.zeros([3], np.float32))
    assert "shape (4,) does not match spec shape (3,)" in _rejection(
        field_spec, np.zeros([4], np.float32))
    assert "shape" in _rejection(field_spec, np.zeros([3, 1], np.float32))
    assert "shape" in _rejection(field_spec, np.float32(0.0))
    assert _accepts(field_spec, np.ones([3], np.float32))


def test_learned_dtype_is_then_enforced():
    field_spec = FieldSpec()
    _accepts(field_spec, tf.constant([1.0, 2.0]))
    assert "dtype int32 does not match spec dtype float32" in _rejection(
        field_spec, tf.constant([1, 2]))
    assert field_spec.dtype == tf.float32


def test_partial_shape_learns_only_its_unknown_dimensions():
    field_spec = FieldSpec(shape=[None, 4])
    assert "shape" in _rejection(field_spec, np.zeros([2, 5], np.float32))
    assert field_spec.shape.as_list() == [None, 4]  # A rejected value teaches nothing.
    _accepts(field_spec, np.zeros([2, 4], np.float32))
    assert field_spec.shape.as_list() == [2, 4]
    assert "shape" in _rejection(field_spec, np.zeros([3, 4], np.float32))


def test_declared_dtype_is_adopted_by_python_numbers():
    field_spec = FieldSpec(shape=[2], dtype="float32")
    assert _accepts(field_spec, [1, 2])
    tensor = field_spec.sanitize([1, 2], "x")
    assert tensor.dtype == tf.float32
    np.testing.assert_array_equal(tensor.numpy(), [1.0, 2.0])


def test_sanitize_returns_a_tensor_of_the_learned_dtype():
    field_spec = FieldSpec()
    _accepts(field_spec, np.int32(3))
    tensor = field_spec.sanitize(np.int32(3), "x")
    assert isinstance(tensor, tf.Tensor)
    assert tensor.dtype == tf.int32
    assert tensor.numpy() == 3


def test_sanitize_in_a_graph_pins_the_learned_static_shape():
    field_spec = FieldSpec()
    _accepts(field_spec, np.zeros([2, 3], np.float32))
    seen = []

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def pin(x):
        seen.append(field_spec.sanitize(x, "x").shape)
        return x

    pin.get_concrete_function()
    assert seen == [tf.TensorShape([2, 3])]


def test_learning_from_a_partly_unknown_graph_shape_keeps_known_dimensions():
    field_spec = FieldSpec()
    _accepts(field_spec, np.zeros([2, 3], np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def check(x):
        _accepts(field_spec, x)
        return x

    check.get_concrete_function()
    assert field_spec.shape == tf.TensorShape([2, 3])


# FieldSpec: rejection messages.


def test_declared_dtype_rejects_tensors_of_another_dtype():
    field_spec = FieldSpec(dtype=tf.int32)
    assert "dtype float32 does not match spec dtype int32" in _rejection(
        field_spec, tf.constant(1.5))
    assert "dtype float32" in _rejection(field_spec, 1.5)  # Not silently truncated to 1.
    assert field_spec.dtype == tf.int32


def test_declared_shape_rejects_values_of_another_shape():
    field_spec = FieldSpec(shape=[2, 3])
    assert "shape (3, 2) does not match spec shape (2, 3)" in _rejection(
        field_spec, tf.zeros([3, 2]))
    assert "shape" in _rejection(field_spec, tf.zeros([6]))


def test_unconvertible_values_are_rejected_with_a_reason():
    field_spec = FieldSpec(dtype=tf.float32)
    assert "dtype string" in _rejection(field_spec, "not a number")
    assert "cannot be converted" in _rejection(FieldSpec(), [[1, 2], [3]])
    assert "cannot be converted" in _rejection(FieldSpec(), object())


@pytest.mark.parametrize("field_value, dtype", [
    (np.array([1.7]), tf.int32),  # Would be truncated to 1.
    (np.array([2**40], np.int64), tf.int32),  # Would wrap around to 0.
    (np.array([1e300]), tf.float32),  # Would overflow to inf.
], ids=["float64_truncated_to_int32", "int64_wrapped_to_int32", "float64_overflowed_to_float32"])
def test_numpy_arrays_are_not_silently_cast_with_loss(field_value, dtype):
    # Logged trajectories arrive as numpy arrays, so this is the dtype check loading relies on.
    assert "dtype" in _rejection(FieldSpec(dtype=dtype), field_value)


# DynamicFieldSpec.


@pytest.mark.parametrize("rank, dynamic_dims, message", [
    (2, [], "at least one dynamic axis"),
    (2, [2], r"\[2\].*rank 2"),
    (2, [-1], r"\[-1\].*rank 2"),
    (1, [0, 3], r"\[3\].*rank 1"),
])
def test_dynamic_field_spec_rejects_invalid_arguments(rank, dynamic_dims, message):
    with pytest.raises(ValueError, match=message):
        DynamicFieldSpec(rank, dynamic_dims)


def test_dynamic_field_spec_fixes_the_rank():
    field_spec = DynamicFieldSpec(2, [1])
    assert field_spec.shape.as_list() == [None, None]
    assert "shape" in _rejection(field_spec, np.zeros([3], np.float32))
    assert "shape" in _rejection(field_spec, np.zeros([3, 1, 1], np.float32))


def test_dynamic_field_spec_invariant_has_none_on_dynamic_axes_only():
    field_spec = DynamicFieldSpec(3, [1], dtype=tf.float32)
    _accepts(field_spec, np.zeros([4, 2, 5], np.float32))
    assert field_spec.invariant().as_list() == [4, None, 5]
    _accepts(field_spec, np.zeros([4, 7, 5], np.float32))  # The dynamic axis may change size...
    assert field_spec.invariant().as_list() == [4, None, 5]
    assert "shape" in _rejection(field_spec, np.zeros([3, 7, 5], np.float32))  # ...others not.
    assert "dtype" in _rejection(field_spec, tf.zeros([4, 7, 5], tf.int32))


def test_dynamic_field_spec_in_a_while_loop_lets_the_axis_grow():
    field_spec = DynamicFieldSpec(1, [0], dtype=tf.int32)
    _accepts(field_spec, tf.zeros([1], tf.int32))

    @tf.function(autograph=False)
    def grow():
        return tf.while_loop(
            lambda i, x: i < 3, lambda i, x: (i + 1, tf.concat([x, [i]], 0)),
            (tf.constant(0), tf.zeros([1], tf.int32)),
            shape_invariants=(tf.TensorShape([]), field_spec.invariant()))[1]

    np.testing.assert_array_equal(grow().numpy(), [0, 0, 1, 2])


# Space.


def test_box_contains_values_within_its_bounds_inclusive():
    space = box(-1.0, 2.0)
    assert space.contains(np.array([-1.0, 0.5, 2.0]))
    assert space.contains(0.0)
    assert not space.contains(np.array([0.0, 2.1]))
    assert not space.contains(-1.5)
    assert not space.contains(np.nan)
    assert not space.discrete


def test_unbounded_box_contains_every_finite_value():
    assert box().contains(np.array([-1e30, 0.0, 1e30]))


def test_box_bounds_broadcast_per_element():
    space = box(np.array([0.0, 10.0]), np.array([1.0, 20.0]))
    assert space.contains(np.array([[0.5, 15.0], [1.0, 10.0]]))
    assert not space.contains(np.array([15.0, 0.5]))


def test_discrete_contains_exactly_the_integers_below_n():
    space = discrete(3)
    assert space.discrete
    assert space.contains(np.array([0, 1, 2]))
    assert space.contains(np.array([0.0, 2.0]))  # Integer-valued floats are members.
    assert not space.contains(3)
    assert not space.contains(-1)
    assert not space.contains(np.array([0, 1.5]))
    assert discrete(1).contains(0)


@pytest.mark.parametrize("n", [0, -2])
def test_discrete_rejects_empty_spaces(n):
    with pytest.raises(ValueError, match=str(n)):
        discrete(n)


def test_space_rejects_low_above_high():
    with pytest.raises(ValueError, match="low"):
        box(1.0, 0.0)
    with pytest.raises(ValueError, match="low"):
        Space(np.array([0.0, 5.0]), np.array([1.0, 4.0]))


def test_field_spec_carries_its_space():
    space = discrete(4)
    assert FieldSpec(shape=[2], dtype=tf.int32, space=space).space is space
    assert DynamicFieldSpec(1, [0], space=space).space is space
    assert FieldSpec().space is None
