"""Checks of sizes and parameters where they enter, each error naming the argument."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import tensorflow as tf

from recsim_ng.lib.xla import compiling_with_xla


def is_size(value: Any, minimum: int = 1) -> bool:
    """Whether `value` is an integer (not a bool) >= `minimum`."""
    return _is_integer(value) and value >= minimum


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_size(name: str, size: Any, minimum: int = 1) -> int:
    """`size` as an int, or a `ValueError` naming `name` unless it is an integer >= `minimum`."""
    if not _is_integer(size):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {size!r}")
    if size < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {size}")
    return int(size)


def check_finite(name: str, values: Any, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> np.ndarray:
    """Concrete `values` as an array, or a `ValueError` naming `name` if any is NaN, infinite or
    outside `low` .. `high` (open at an end where `low_open` / `high_open`)."""
    array = np.asarray(values)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real numbers, got dtype {array.dtype}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {_first_bad(array, ~np.isfinite(array))}")
    if low is not None:
        below = array <= low if low_open else array < low
        if np.any(below):
            bound = f"> {low}" if low_open else f">= {low}"
            raise ValueError(f"{name} must be {bound}, got {_first_bad(array, below)}")
    if high is not None:
        above = array >= high if high_open else array > high
        if np.any(above):
            bound = f"< {high}" if high_open else f"<= {high}"
            raise ValueError(f"{name} must be {bound}, got {_first_bad(array, above)}")
    return array


def _first_bad(array: np.ndarray, bad: np.ndarray) -> str:
    if array.ndim == 0:
        return repr(array.item())
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{array[index].item()!r} at index {index}"


def is_concrete(value: Any) -> bool:
    """Whether `value` is fixed when it is given (a number, an array or an eager tensor), so
    `check_finite` can check it then; variables and traced tensors are checked in-graph."""
    return not tf.is_tensor(value) or (isinstance(value, tf.Tensor) and hasattr(value, "numpy"))


def checked_in_graph(name: str, tensor: tf.Tensor, valid: tf.Tensor, requirement: str
                     ) -> tf.Tensor:
    """`tensor` (floating), checked where it is used: if `valid` (a boolean of its
    shape) fails anywhere, eager and graph mode raise `InvalidArgumentError` saying "`name` must
    be `requirement`"; XLA drops assertions, so there every entry along the last axis of a row
    holding an invalid entry becomes NaN, and no log-prob or probability computed from that row
    can pass for a real one (a draw from it is arbitrary, but its log-prob is NaN)."""
    if not compiling_with_xla():
        check = tf.debugging.Assert(tf.reduce_all(valid), [f"{name} must be {requirement}"])
        with tf.control_dependencies([check]):
            tensor = tf.identity(tensor)
    row_valid = tf.reduce_all(valid, -1, keepdims=True) if valid.shape.rank else valid
    # NaN is added, not selected: XLA on CPU (TF 2.15) miscompiles exp(where(broadcast row
    # predicate, x, NaN)), giving the invalid row another row's values.
    return tensor + tf.where(row_valid, tf.zeros([], tensor.dtype),
                             tf.constant(np.nan, tensor.dtype))
