"""RecSim v1's multinomial proportional choice: probabilities proportional to shifted scores.

With slate scores s_j, a min-normaliser b (a lower bound on the scores) and a no-click mass m,
slot i is chosen with probability (s_i - b) / (sum_j (s_j - b) + m - b), and no click (index K)
with probability (m - b) / (same). The interest evolution environment uses b = -1, m = 1.
Numbers given to a model are checked when it is built, the scores in-graph on every call (see
`recsim_ng.lib.checks.checked_in_graph`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models.selectors import ChoiceModel
from recsim_ng.lib.checks import check_finite, checked_in_graph, is_concrete
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


def multinomial_proportional(slate_document_scores: tf.Tensor, min_normalizer: tf.Tensor | float,
                             no_click_mass: tf.Tensor | float = 0.0) -> tfd.Categorical:
    """A `Categorical` over 0..K (K: no click) of batch shape `[B...]`.

    Every shifted score, the no-click one included, must be finite and non-negative and their
    sum positive (checked in-graph).
    """
    scores = tf.convert_to_tensor(slate_document_scores, dtype_hint=tf.float32)
    scores = checked_in_graph("slate_document_scores", scores, tf.math.is_finite(scores),
                              "finite")
    no_click = tf.cast(no_click_mass, scores.dtype)
    no_click = tf.broadcast_to(tf.expand_dims(no_click, -1), tf.shape(scores[..., :1]))
    shifted = tf.concat([scores, no_click], -1) - tf.cast(min_normalizer, scores.dtype)
    total = tf.reduce_sum(shifted, -1, keepdims=True)
    shifted = checked_in_graph(
        "slate_document_scores and no_click_mass", shifted,
        (shifted >= 0) & tf.math.is_finite(shifted) & (total > 0) & tf.math.is_finite(total),
        "at least min_normalizer (finite), and not all equal to it")
    return tfd.Categorical(probs=shifted / total, dtype=tf.int32)


class MultinomialProportionalChoiceModel(ChoiceModel):
    """Users choosing in proportion to their scores shifted by `min_normalizer` (RecSim v1)."""

    def __init__(self, batch_shape: Sequence[int], min_normalizer: tf.Tensor | float,
                 no_click_mass: tf.Tensor | float = 0.0,
                 name: str = "MultinomialProportionalChoiceModel"):
        super().__init__(batch_shape, name=name)
        if is_concrete(min_normalizer):
            check_finite("min_normalizer", min_normalizer)
        if is_concrete(no_click_mass):
            check_finite("no_click_mass", no_click_mass)
            if is_concrete(min_normalizer):
                check_finite("no_click_mass - min_normalizer",
                             np.subtract(no_click_mass, min_normalizer), low=0.0)
        self._min_normalizer = min_normalizer
        self._no_click_mass = no_click_mass

    def choice(self, slate_document_scores: tf.Tensor) -> Value:
        """`Value(choice=Categorical)` over 0..K, of batch shape `[B...]`."""
        return Value(choice=multinomial_proportional(
            slate_document_scores, self._min_normalizer, self._no_click_mass))

    def specs(self) -> ValueSpec:
        return Value(choice=FieldSpec(self._batch_shape, tf.int32))
