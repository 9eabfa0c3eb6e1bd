"""The position-based click model: independent clicks on every slot of a slate.

Slot j is examined with a probability that depends only on its position, e_j, and an examined
item is clicked with its attractiveness a_j, so P(click_j) = e_j * a_j independently per slot.
Unlike the choice models, a user may click several items, or none: the outcome is a 0/1 vector.
Every probability must lie in [0, 1]: numbers are checked when given, tensors in-graph when used
(see `recsim_ng.lib.checks.checked_in_graph`).
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.lib.checks import check_finite, check_size, checked_in_graph, is_concrete
from recsim_ng.lib.entity import Entity
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import discrete

tfd = tfp.distributions


def geometric_examination(slate_size: int, attention_prob: tf.Tensor | float) -> tf.Tensor:
    """Examination probabilities `attention_prob ** j` for slots j = 0..slate_size-1."""
    check_size("slate_size", slate_size)
    if is_concrete(attention_prob):
        check_finite("attention_prob", attention_prob, low=0.0, high=1.0)
    attention = tf.convert_to_tensor(attention_prob, dtype_hint=tf.float32)
    return tf.pow(attention, tf.range(slate_size, dtype=attention.dtype))


def position_based_clicks(examination_probs: tf.Tensor,
                          attractiveness: tf.Tensor) -> tfd.Distribution:
    """Independent 0/1 clicks `[B..., K]` (int32) with P(click_j) = e_j * a_j."""
    attractiveness = tf.convert_to_tensor(attractiveness, dtype_hint=tf.float32)
    attractiveness = checked_in_graph("attractiveness", attractiveness,
                                      (attractiveness >= 0) & (attractiveness <= 1), "in [0, 1]")
    examination = tf.cast(examination_probs, attractiveness.dtype)
    examination = checked_in_graph("examination_probs", examination,
                                   (examination >= 0) & (examination <= 1), "in [0, 1]")
    return tfd.Independent(tfd.Bernoulli(probs=examination * attractiveness, dtype=tf.int32),
                           reinterpreted_batch_ndims=1)


class PositionBasedClickModel(Entity):
    """Users clicking slate items independently: `clicks(attractiveness)` -> `Value(clicks=...)`.

    `examination_probs` is `[K]` (shared by all users) or `[B..., K]`.
    """

    def __init__(self, batch_shape: Sequence[int], examination_probs: tf.Tensor,
                 name: str = "PositionBasedClickModel"):
        super().__init__(name=name)
        if is_concrete(examination_probs):
            check_finite("examination_probs", examination_probs, low=0.0, high=1.0)
        self._batch_shape = list(batch_shape)
        self._examination_probs = examination_probs
        self._slate_size = int(tf.convert_to_tensor(examination_probs).shape[-1])

    def clicks(self, slate_document_attractiveness: tf.Tensor) -> Value:
        """`Value(clicks=distribution)` of 0/1 vectors `[B..., K]`; attractiveness in [0, 1]."""
        return Value(clicks=position_based_clicks(self._examination_probs,
                                                  slate_document_attractiveness))

    def specs(self) -> ValueSpec:
        return Value(clicks=FieldSpec(self._batch_shape + [self._slate_size], tf.int32,
                                      discrete(2)))
