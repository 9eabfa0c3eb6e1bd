"""Stateless seeds: one run seed, split deterministically per step, variable and field."""

from __future__ import annotations

import zlib
from typing import Sequence, Union

import numpy as np
import tensorflow as tf

Seed = Union[int, tf.Tensor, np.ndarray, tuple[int, int]]


def as_seed(seed: Seed) -> tf.Tensor:
    """A run seed as the int32 shape-[2] tensor that stateless TF and TFP ops take."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        seed = int(seed)
        if not 0 <= seed < 2**62:
            raise ValueError(f"seed must be in [0, 2**62), got {seed}")
        return tf.constant([seed >> 31, seed % 2**31], tf.int32)
    tensor = tf.convert_to_tensor(seed)
    if tensor.shape != (2,) or not tensor.dtype.is_integer:
        raise ValueError(f"seed must be an int or an integer tensor of shape [2], got {seed!r}")
    if tf.executing_eagerly() and tf.reduce_any(
            (tf.cast(tensor, tf.int64) < -2**31) | (tf.cast(tensor, tf.int64) >= 2**31)):
        raise ValueError(f"seed tensor values must fit int32, got {seed!r}")
    return tf.cast(tensor, tf.int32)


def name_key(name: str) -> int:
    """A stable 31-bit key for a name, identical in every process (unlike `hash`)."""
    return zlib.crc32(name.encode()) % 2**31


_MASK = 0xFFFFFFFF


def _mix32(x: tf.Tensor) -> tf.Tensor:
    """A 32-bit integer avalanche hash, computed in int64 so it is exact on every backend."""
    for _ in range(2):
        x = tf.bitwise.bitwise_and((tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16)))
                                   * 0x45D9F3B, _MASK)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16))


def fold_in(seed: tf.Tensor, data: int | np.ndarray | tf.Tensor) -> tf.Tensor:
    """A new seed derived from `seed` ([..., 2]) and `data` ([...]), broadcasting.

    Pure integer arithmetic, so eager, graph and XLA derive identical seeds (TensorFlow's own
    `stateless_fold_in` does not under XLA), and elementwise, so many seeds derive in one op.
    """
    words = tf.bitwise.bitwise_and(tf.cast(seed, tf.int64), _MASK)
    key = _mix32(tf.bitwise.bitwise_and(tf.cast(data, tf.int64) + 0x9E3779B9, _MASK))
    first = _mix32(tf.bitwise.bitwise_xor(words[..., 0], key))
    second = _mix32(tf.bitwise.bitwise_xor(tf.bitwise.bitwise_and(words[..., 1] + first, _MASK),
                                           _mix32(tf.bitwise.bitwise_xor(key, 0x85EBCA6B))))
    folded = tf.stack([first, second], axis=-1)
    return tf.cast(tf.where(folded >= 2**31, folded - 2**32, folded), tf.int32)


def step_seed(run_seed: tf.Tensor, step: int | tf.Tensor) -> tf.Tensor:
    """The seed of simulation step `step` (0 is the initial step)."""
    return fold_in(run_seed, step)


class FieldSeeds:
    """The seeds of one step's fields, keyed by (variable, field) names.

    Keyed by names, so adding a variable or field does not shift the others' draws; all of a
    step's seeds derive in one vectorised op, made on first use.
    """

    def __init__(self, step: tf.Tensor, names: Sequence[tuple[str, str]]):
        self._step = step
        self._rows = {pair: row for row, pair in enumerate(names)}
        self._table: tf.Tensor | None = None

    def __getitem__(self, pair: tuple[str, str]) -> tf.Tensor:
        if pair not in self._rows:
            raise ValueError(f"variable {pair[0]!r} has no field {pair[1]!r} in its spec")
        if self._table is None:
            keys = np.array([[name_key(v), name_key(f)] for v, f in self._rows], np.int64)
            self._table = fold_in(fold_in(self._step, keys[:, 0]), keys[:, 1])
        return self._table[self._rows[pair]]
