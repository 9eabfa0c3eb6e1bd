"""Cascade choice (RecSim v1): the user scans the slate top-down and clicks at most once.

At slot i the user clicks with probability pi_i (and stops), or moves on with 1 - pi_i, so
P(click i) = pi_i prod_{j<i} (1 - pi_j) and P(no click, index K) = prod_j (1 - pi_j): the chance
of reaching a slot shrinks geometrically down the slate. As in RecSim v1, pi_i = a * beta * s~_i
with an attention probability a, a score scaling beta and per-item scores s~_i: exp(s_i) for the
exponential cascade, s_i - b (a min-normaliser b) for the proportional cascade.

Numbers given to a model are checked when it is built (a probability in [0, 1], a non-negative
scaling, finite everything); the scores and the click probabilities made from them are checked
in-graph on every call (see `recsim_ng.lib.checks.checked_in_graph`).
"""

from __future__ import annotations

import abc
from typing import Sequence

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models.selectors import ChoiceModel
from recsim_ng.lib.checks import check_finite, checked_in_graph, is_concrete
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


def cascade(click_probs: tf.Tensor, name: str = "click_probs") -> tfd.Categorical:
    """A `Categorical` over 0..K (K: no click) from per-slot click probabilities `[B..., K]`,
    which must lie in [0, 1] (checked in-graph; `name` names them in the error)."""
    probs = tf.convert_to_tensor(click_probs, dtype_hint=tf.float32)
    probs = checked_in_graph(name, probs, (probs >= 0) & (probs <= 1), "in [0, 1]")
    log_pass = tf.math.log1p(-probs)
    log_reach = tf.math.cumsum(log_pass, axis=-1, exclusive=True)
    log_no_click = tf.reduce_sum(log_pass, -1, keepdims=True)
    return tfd.Categorical(logits=tf.concat([tf.math.log(probs) + log_reach, log_no_click], -1),
                           dtype=tf.int32)


class _CascadeChoiceModel(ChoiceModel):
    """Shared parameters of the cascade models; subclasses say how scores become s~."""

    def __init__(self, batch_shape: Sequence[int], attention_prob: tf.Tensor | float,
                 score_scaling: tf.Tensor | float, name: str):
        super().__init__(batch_shape, name=name)
        if is_concrete(attention_prob):
            check_finite("attention_prob", attention_prob, low=0.0, high=1.0)
        if is_concrete(score_scaling):
            check_finite("score_scaling", score_scaling, low=0.0)
        self._attention_prob = attention_prob
        self._score_scaling = score_scaling

    @abc.abstractmethod
    def _item_scores(self, scores: tf.Tensor) -> tf.Tensor:
        """The per-item scores s~ `[B..., K]`."""

    def choice(self, slate_document_scores: tf.Tensor) -> Value:
        """`Value(choice=Categorical)` over 0..K, of batch shape `[B...]`."""
        scores = tf.convert_to_tensor(slate_document_scores, dtype_hint=tf.float32)
        scores = checked_in_graph("slate_document_scores", scores, tf.math.is_finite(scores),
                                  "finite")
        scale = (tf.cast(self._attention_prob, scores.dtype)
                 * tf.cast(self._score_scaling, scores.dtype))
        return Value(choice=cascade(scale * self._item_scores(scores),
                                    "click probabilities attention_prob * score_scaling * s~"))

    def specs(self) -> ValueSpec:
        return Value(choice=FieldSpec(self._batch_shape, tf.int32))


class ExponentialCascadeChoiceModel(_CascadeChoiceModel):
    """Cascade with click probability `attention_prob * score_scaling * exp(score)` per slot."""

    def __init__(self, batch_shape: Sequence[int], attention_prob: tf.Tensor | float,
                 score_scaling: tf.Tensor | float, name: str = "ExponentialCascadeChoiceModel"):
        super().__init__(batch_shape, attention_prob, score_scaling, name)

    def _item_scores(self, scores: tf.Tensor) -> tf.Tensor:
        return tf.exp(scores)


class ProportionalCascadeChoiceModel(_CascadeChoiceModel):
    """Cascade with click probability `attention_prob * score_scaling * (score - b)`."""

    def __init__(self, batch_shape: Sequence[int], attention_prob: tf.Tensor | float,
                 score_scaling: tf.Tensor | float, min_normalizer: tf.Tensor | float,
                 name: str = "ProportionalCascadeChoiceModel"):
        super().__init__(batch_shape, attention_prob, score_scaling, name)
        if is_concrete(min_normalizer):
            check_finite("min_normalizer", min_normalizer)
        self._min_normalizer = min_normalizer

    def _item_scores(self, scores: tf.Tensor) -> tf.Tensor:
        return scores - tf.cast(self._min_normalizer, scores.dtype)
