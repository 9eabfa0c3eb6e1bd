"""Multinomial logit choice: one pick, or an ordered list of picks, by softmax over the slate.

Slot j of a slate gets `positional_bias * j` added to its logit (a negative bias favours the top
of the slate), and the no-choice option, index K, gets `nochoice_logits`.
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models.plackett_luce import TruncatedPlackettLuce
from recsim_ng.entities.choice_models.selectors import ChoiceModel
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


def slate_logits(slate_document_logits: tf.Tensor, nochoice_logits: tf.Tensor,
                 positional_bias: tf.Tensor | float = 0.0) -> tf.Tensor:
    """`[B..., K + 1]`: the slate's logits plus positional bias, then the no-choice logit."""
    logits = tf.convert_to_tensor(slate_document_logits, dtype_hint=tf.float32)
    positions = tf.range(tf.shape(logits)[-1], dtype=logits.dtype)
    biased = logits + tf.cast(positional_bias, logits.dtype) * positions
    nochoice = tf.cast(nochoice_logits, logits.dtype)
    nochoice = tf.broadcast_to(tf.expand_dims(nochoice, -1), tf.shape(logits[..., :1]))
    return tf.concat([biased, nochoice], -1)


class MultinomialLogitChoiceModel(ChoiceModel):
    """Each user picks slot j with probability softmax(logits)_j, or nothing (index K)."""

    def __init__(self, batch_shape: Sequence[int], nochoice_logits: tf.Tensor,
                 positional_bias: tf.Tensor | float = 0.0,
                 name: str = "MultinomialLogitChoiceModel"):
        super().__init__(batch_shape, name=name)
        self._nochoice_logits = nochoice_logits
        self._positional_bias = positional_bias

    def choice(self, slate_document_logits: tf.Tensor) -> Value:
        """`Value(choice=Categorical)` over 0..K, of batch shape `[B...]`."""
        logits = slate_logits(slate_document_logits, self._nochoice_logits,
                              self._positional_bias)
        return Value(choice=tfd.Categorical(logits=logits, dtype=tf.int32))

    def specs(self) -> ValueSpec:
        return Value(choice=FieldSpec(self._batch_shape, tf.int32))


class IteratedMultinomialLogitChoiceModel(ChoiceModel):
    """Each user picks `num_choices` slots in order without replacement (truncated Plackett-Luce).

    A no-choice ends a user's list: that position and the later ones hold K (see
    `TruncatedPlackettLuce`).
    """

    def __init__(self, num_choices: int, batch_shape: Sequence[int], nochoice_logits: tf.Tensor,
                 positional_bias: tf.Tensor | float = 0.0,
                 name: str = "IteratedMultinomialLogitChoiceModel"):
        super().__init__(batch_shape, name=name)
        self._num_choices = num_choices
        self._nochoice_logits = nochoice_logits
        self._positional_bias = positional_bias

    def choice(self, slate_document_logits: tf.Tensor) -> Value:
        """`Value(choice=TruncatedPlackettLuce)` with events `[num_choices]` over `[B...]`."""
        logits = slate_logits(slate_document_logits, self._nochoice_logits,
                              self._positional_bias)
        return Value(choice=TruncatedPlackettLuce(logits, self._num_choices))

    def specs(self) -> ValueSpec:
        return Value(choice=FieldSpec(self._batch_shape + [self._num_choices], tf.int32))
