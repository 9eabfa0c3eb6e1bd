"""An agent's own training-step counter.

TF-Agents agents given no counter use `tf.compat.v1.train.get_or_create_global_step()`, one
variable for the whole process: every agent created in it would count every other's steps,
and a new agent would start from their total.
"""

from __future__ import annotations

import tensorflow as tf


def own_train_step_counter(counter: tf.Variable | None = None) -> tf.Variable:
    """`counter`, or a new int64 variable at zero that belongs to one agent."""
    if counter is not None:
        return counter
    return tf.Variable(0, dtype=tf.int64, trainable=False, name="train_step_counter")
