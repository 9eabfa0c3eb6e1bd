"""`Space`: the set of values a field can take, described for RL adapters without gym."""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Space:
    """A box of values `low <= x <= high`, integer-valued when `discrete`; with `distinct`, the
    values along the last axis differ pairwise (a slate that shows each document once).

    `low` and `high` broadcast against the field's shape; the adapters turn a `Space` into a
    Gymnasium space or a TF-Agents array spec. NaN lies in no space.
    """

    low: float | np.ndarray
    high: float | np.ndarray
    discrete: bool = False
    distinct: bool = False

    def __post_init__(self) -> None:
        if np.any(np.asarray(self.low) > np.asarray(self.high)):
            raise ValueError(f"Space low {self.low} exceeds high {self.high}")

    def contains(self, values: np.ndarray) -> bool:
        """Whether every element of `values` lies in the space (`values` concrete)."""
        return bool(self.tensor_contains(values))

    def tensor_contains(self, values: tf.Tensor, batch_dims: int = 0) -> tf.Tensor:
        """Whether each `values[i_1, ..., i_batch_dims]` lies wholly in the space, as a boolean
        tensor of shape `values.shape[:batch_dims]` made of TensorFlow ops, so the test holds in
        graph and XLA code alike."""
        values = tf.convert_to_tensor(values)
        if values.dtype == tf.bool:
            values = tf.cast(values, tf.int32)
        rank = values.shape.rank
        if self.distinct and batch_dims >= rank:
            raise ValueError(f"a distinct space needs an axis beyond the {batch_dims} batch axes"
                             f" of values of shape {values.shape}")
        # Integers compare with the bounds exactly as float64, whatever the bounds' type.
        compared = values if values.dtype.is_floating else tf.cast(values, tf.float64)
        low, high = (tf.constant(bound, compared.dtype) for bound in (self.low, self.high))
        inside = (compared >= low) & (compared <= high)
        if self.discrete and values.dtype.is_floating:
            inside &= tf.equal(values, tf.floor(values))
        inside = tf.reduce_all(inside, axis=list(range(batch_dims, rank)))
        if self.distinct:  # Each value equals only itself along the last axis: k^2 comparisons.
            equal = tf.equal(values[..., :, tf.newaxis], values[..., tf.newaxis, :])
            matches = tf.reduce_sum(tf.cast(equal, tf.int32), axis=[-2, -1])
            inside &= tf.reduce_all(tf.equal(matches, tf.shape(values)[-1]),
                                    axis=list(range(batch_dims, rank - 1)))
        return inside


def box(low: float | np.ndarray = -np.inf, high: float | np.ndarray = np.inf) -> Space:
    """A continuous space `low <= x <= high`."""
    return Space(low, high, discrete=False)


def discrete(n: int, distinct: bool = False) -> Space:
    """Integers `0 .. n - 1`; with `distinct`, pairwise different along the last axis (indices
    of a slate)."""
    if n < 1:
        raise ValueError(f"a discrete space needs n >= 1, got {n}")
    return Space(0, n - 1, discrete=True, distinct=distinct)
