"""RecSim v1's multinomial proportional choice: probabilities proportional to shifted scores.

With slate scores s_j, a min-normaliser b (a lower bound on the scores) and a no-click mass m,
slot i is chosen with probability (s_i - b) / (sum_j (s_j - b) + m - b), and no click (index K)
with probability (m - b) / (same). The interest evolution environment uses b = -1, m = 1.
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models.selectors import ChoiceModel
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


def multinomial_proportional(slate_document_scores: tf.Tensor, min_normalizer: tf.Tensor | float,
                             no_click_mass: tf.Tensor | float = 0.0,
                             validate_args: bool = False) -> tfd.Categorical:
    """A `Categorical` over 0..K (K: no click) of batch shape `[B...]`.

    Every shifted score, the no-click one included, must be non-negative and their sum positive;
    `validate_args` checks this where assertions run (eager and graph mode, not under XLA).
    """
    scores = tf.convert_to_tensor(slate_document_scores, dtype_hint=tf.float32)
    no_click = tf.cast(no_click_mass, scores.dtype)
    no_click = tf.broadcast_to(tf.expand_dims(no_click, -1), tf.shape(scores[..., :1]))
    shifted = tf.concat([scores, no_click], -1) - tf.cast(min_normalizer, scores.dtype)
    if validate_args:
        tf.debugging.assert_non_negative(
            shifted, message="scores and no_click_mass must be at least min_normalizer")
    total = tf.reduce_sum(shifted, -1, keepdims=True)
    if validate_args:
        tf.debugging.assert_positive(total, message="the shifted scores must not all be zero")
    return tfd.Categorical(probs=shifted / total, dtype=tf.int32)


class MultinomialProportionalChoiceModel(ChoiceModel):
    """Users choosing in proportion to their scores shifted by `min_normalizer` (RecSim v1)."""

    def __init__(self, batch_shape: Sequence[int], min_normalizer: tf.Tensor | float,
                 no_click_mass: tf.Tensor | float = 0.0, validate_args: bool = False,
                 name: str = "MultinomialProportionalChoiceModel"):
        super().__init__(batch_shape, name=name)
        self._min_normalizer = min_normalizer
        self._no_click_mass = no_click_mass
        self._validate_args = validate_args

    def choice(self, slate_document_scores: tf.Tensor) -> Value:
        """`Value(choice=Categorical)` over 0..K, of batch shape `[B...]`."""
        return Value(choice=multinomial_proportional(
            slate_document_scores, self._min_normalizer, self._no_click_mass,
            self._validate_args))

    def specs(self) -> ValueSpec:
        return Value(choice=FieldSpec(self._batch_shape, tf.int32))
