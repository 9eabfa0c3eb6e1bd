"""Per-user specs: a network field's `FieldSpec` as a Gymnasium space or a TF-Agents spec.

A field spec describes the whole batch, `[num_users, ...]`; the adapters describe one user, so
the leading user axis is dropped (or, for a field shared by all users, nothing is dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from recsim_ng.core import Network
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import Space

if TYPE_CHECKING:
    import gymnasium

FieldRef = tuple[str, str]  # (variable name, dotted field name)


def field_spec(network: Network, ref: FieldRef) -> FieldSpec:
    """The `FieldSpec` of `(variable, field)`, or a `ValueError` naming what is missing."""
    variable, field = ref
    specs = network.variable(variable).spec.as_dict
    if field not in specs:
        raise ValueError(f"variable {variable!r} has no field {field!r}; it has {list(specs)}")
    spec = specs[field]
    if not isinstance(spec, FieldSpec):
        raise ValueError(f"variable {variable!r}, field {field!r}: not a TensorFlow FieldSpec")
    return spec


def item_shape(spec: FieldSpec, ref: FieldRef, num_users: int | None) -> tuple[int, ...]:
    """The static shape of one user's value: the field's shape without its user axis.

    `num_users=None` marks a field shared by all users, whose whole shape is kept. The shape
    must be fully known (run the network once so its specs learn their shapes).
    """
    shape = spec.shape
    if shape.rank is None or not shape.is_fully_defined():
        raise ValueError(f"variable {ref[0]!r}, field {ref[1]!r}: shape {shape} is not fully"
                         " known; the adapters need static shapes")
    dims = tuple(shape.as_list())
    if num_users is None:
        return dims
    if not dims or dims[0] != num_users:
        raise ValueError(f"variable {ref[0]!r}, field {ref[1]!r}: shape {shape} does not lead"
                         f" with the user axis of size {num_users}")
    return dims[1:]


def _dtype(spec: FieldSpec, ref: FieldRef) -> tf.DType:
    if spec.dtype is None:
        raise ValueError(f"variable {ref[0]!r}, field {ref[1]!r}: dtype is not known yet")
    return spec.dtype


def _bounds(space: Space, shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, ...]:
    """`space`'s bounds broadcast to `shape`; infinite integer bounds become the dtype's range."""
    bounds = (np.asarray(space.low, np.float64), np.asarray(space.high, np.float64))
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        bounds = tuple(np.clip(bound, info.min, info.max) for bound in bounds)
    return tuple(np.broadcast_to(bound.astype(dtype), shape).copy() for bound in bounds)


def to_tensor_spec(spec: FieldSpec, ref: FieldRef, num_users: int | None) -> tf.TensorSpec:
    """A TF-Agents spec of one user's value: a `BoundedTensorSpec` when the field has a `Space`
    (which cannot say `distinct`: the environment refuses a repeated value itself)."""
    from tf_agents.specs import tensor_spec  # pylint: disable=import-outside-toplevel

    shape, dtype = item_shape(spec, ref, num_users), _dtype(spec, ref)
    name = f"{ref[0]}.{ref[1]}"
    if spec.space is None or dtype == tf.bool:
        return tf.TensorSpec(shape, dtype, name=name)
    low, high = _bounds(spec.space, shape, dtype.as_numpy_dtype)
    return tensor_spec.BoundedTensorSpec(shape, dtype, low, high, name=name)


def to_gym_space(spec: FieldSpec, ref: FieldRef, num_users: int | None) -> gymnasium.Space:
    """A Gymnasium space of one user's value.

    Booleans become `MultiBinary`, bounded integers `Discrete` (scalars) or `MultiDiscrete`
    (offset by `start`; `DistinctMultiDiscrete` where the `Space` is `distinct`), and
    everything else a `Box`, unbounded where the field has no `Space`.
    """
    from gymnasium import spaces  # pylint: disable=import-outside-toplevel

    from recsim_ng.rl.gym_spaces import (  # pylint: disable=import-outside-toplevel
        DistinctMultiDiscrete)

    shape, dtype = item_shape(spec, ref, num_users), _dtype(spec, ref)
    np_dtype = dtype.as_numpy_dtype
    if dtype == tf.bool:
        return spaces.MultiBinary(shape)
    if spec.space is None:
        if dtype.is_integer:
            info = np.iinfo(np_dtype)
            return spaces.Box(info.min, info.max, shape, np_dtype)
        return spaces.Box(-np.inf, np.inf, shape, np_dtype)
    low, high = _bounds(spec.space, shape, np_dtype)
    if dtype.is_integer and not shape:
        return spaces.Discrete(int(high - low + 1), start=int(low))
    if dtype.is_integer and spec.space.distinct:
        if np.ptp(low) or np.ptp(high):
            raise ValueError(f"variable {ref[0]!r}, field {ref[1]!r}: a distinct space needs"
                             " the same bounds for every entry")
        return DistinctMultiDiscrete(int(high.flat[0] - low.flat[0] + 1), shape, np_dtype,
                                     int(low.flat[0]))
    if dtype.is_integer:
        return spaces.MultiDiscrete(high - low + 1, dtype=np_dtype, start=low)
    return spaces.Box(low, high, shape, np_dtype)
