"""TensorFlow field specs: check dtypes, learn static shapes, declare dynamic axes."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import tensorflow as tf

from recsim_ng.core import value as core_value
from recsim_ng.lib.space import Space


class FieldSpec(core_value.FieldSpec):
    """A tensor field. Unset parts of `shape` and `dtype` are learned from the first value.

    Later values must agree with what was declared or learned; `space`, if given, describes the
    field's values for RL adapters and is checked when logged trajectories are loaded.
    """

    def __init__(self, shape: Sequence[int | None] | None = None,
                 dtype: tf.DType | str | None = None, space: Space | None = None):
        self._shape = tf.TensorShape(shape)
        self._dtype = tf.as_dtype(dtype) if dtype is not None else None
        self.space = space

    @property
    def shape(self) -> tf.TensorShape:
        return self._shape

    @property
    def dtype(self) -> tf.DType | None:
        return self._dtype

    def check_value(self, field_value: Any) -> tuple[bool, str]:
        try:
            tensor = tf.convert_to_tensor(field_value, dtype_hint=self._dtype)
        except (TypeError, ValueError) as error:
            return False, f"cannot be converted to a tensor ({error})"
        if self._dtype is not None and isinstance(field_value, (np.ndarray, np.generic)):
            try:
                lossless_cast(field_value, self._dtype.as_numpy_dtype)
            except ValueError as error:
                return False, str(error)
        if self._dtype is not None and tensor.dtype != self._dtype:
            return False, f"dtype {tensor.dtype.name} does not match spec dtype {self._dtype.name}"
        if not self._shape.is_compatible_with(tensor.shape):
            return False, f"shape {tensor.shape} does not match spec shape {self._shape}"
        self._dtype = tensor.dtype
        self._shape = self._learned_shape(tensor.shape)
        return True, ""

    def _learned_shape(self, shape: tf.TensorShape) -> tf.TensorShape:
        return self._shape.merge_with(shape)

    def sanitize(self, field_value: Any, field_name: str) -> tf.Tensor:
        del field_name
        tensor = tf.convert_to_tensor(field_value, dtype=self._dtype)
        if not tf.executing_eagerly():
            tensor.set_shape(self._shape)
        return tensor

    def invariant(self) -> tf.TensorShape:
        """The shape a loop may rely on across steps."""
        return self._shape


def lossless_cast(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`array` as `dtype`, or a `ValueError` if that would change a value.

    Only within a kind (integers, floats, booleans, complex): integers must fit, and floats may
    lose precision but not overflow.
    """
    array, target = np.asarray(array), np.dtype(dtype)
    if array.dtype == target:
        return array
    why = f"dtype {array.dtype.name} does not convert without loss to spec dtype {target.name}"
    kind = {"u": "i"}.get(array.dtype.kind, array.dtype.kind)
    if kind != {"u": "i"}.get(target.kind, target.kind):
        raise ValueError(why)
    cast = array.astype(target)
    if target.kind in "iub" and not np.array_equal(cast.astype(array.dtype), array):
        raise ValueError(why)
    if target.kind == "f" and np.any(np.isfinite(array) & ~np.isfinite(cast)):
        raise ValueError(why)
    return cast


class DynamicFieldSpec(FieldSpec):
    """A field of fixed rank whose `dynamic_dims` axes may change size from step to step."""

    def __init__(self, rank: int, dynamic_dims: Sequence[int], dtype: tf.DType | str | None = None,
                 space: Space | None = None):
        if not dynamic_dims:
            raise ValueError("DynamicFieldSpec needs at least one dynamic axis")
        bad = [axis for axis in dynamic_dims if not 0 <= axis < rank]
        if bad:
            raise ValueError(f"dynamic axes {bad} are outside rank {rank}")
        super().__init__([None] * rank, dtype, space)
        self._dynamic_dims = tuple(dynamic_dims)

    def _learned_shape(self, shape: tf.TensorShape) -> tf.TensorShape:
        dims = self._shape.merge_with(shape).as_list()
        for axis in self._dynamic_dims:
            dims[axis] = None
        return tf.TensorShape(dims)
