"""Multinomial logit choice: one pick, or an ordered list of picks, by softmax over the slate.

Slot j of a slate gets `positional_bias * j` added to its logit (a negative bias favours the top
of the slate), and the no-choice option, index K, gets `nochoice_logits`. The slate's logits and
the positional bias must be finite, and `nochoice_logits` finite or -inf (never choose nothing):
numbers are checked when a model is built, tensors and variables in-graph when used (see
`recsim_ng.lib.checks.checked_in_graph`).

Two iterated models pick an ordered list of `num_choices` slots without replacement. They differ
in what picking no-choice means:
- `IteratedMultinomialLogitChoiceModel` (RecSim NG's, same name and semantics): no-choice is
  removed like any item and picking continues, so a list holds `num_choices <= K + 1` distinct
  options, no-choice anywhere among them.
- `StoppingIteratedMultinomialLogitChoiceModel`: no-choice ends the list; it and every later
  position hold K.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models.plackett_luce import TruncatedPlackettLuce
from recsim_ng.entities.choice_models.selectors import ChoiceModel
from recsim_ng.lib.checks import check_finite, check_size, checked_in_graph, is_concrete
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import discrete

tfd = tfp.distributions


def _check_logit_parameters(nochoice_logits: Any, positional_bias: Any) -> None:
    """A `ValueError` naming the parameter for a concrete no-choice logit that is NaN or +inf,
    or a concrete positional bias that is not finite."""
    if is_concrete(nochoice_logits):
        logits = np.asarray(nochoice_logits, np.float64)
        check_finite("nochoice_logits (finite, or -inf for never)", logits[logits != -np.inf])
    if is_concrete(positional_bias):
        check_finite("positional_bias", positional_bias)


def slate_logits(slate_document_logits: tf.Tensor, nochoice_logits: tf.Tensor,
                 positional_bias: tf.Tensor | float = 0.0) -> tf.Tensor:
    """`[B..., K + 1]`: the slate's logits plus positional bias, then the no-choice logit.

    Checked in-graph: a non-finite slate logit or positional bias, or a NaN or +inf no-choice
    logit, raises where assertions run and otherwise makes the user's row NaN.
    """
    logits = tf.convert_to_tensor(slate_document_logits, dtype_hint=tf.float32)
    logits = checked_in_graph("slate_document_logits", logits, tf.math.is_finite(logits),
                              "finite")
    bias = tf.cast(positional_bias, logits.dtype)
    positions = tf.range(tf.shape(logits)[-1], dtype=logits.dtype)
    biased = logits + bias * positions
    biased = checked_in_graph("positional_bias", biased, tf.math.is_finite(biased),
                              "finite, and small enough that positional_bias * slot is finite")
    nochoice = tf.cast(nochoice_logits, logits.dtype)
    nochoice = tf.broadcast_to(tf.expand_dims(nochoice, -1), tf.shape(logits[..., :1]))
    nochoice = checked_in_graph("nochoice_logits", nochoice,
                                tf.math.is_finite(nochoice) | tf.equal(nochoice, -np.inf),
                                "finite or -inf")
    return tf.concat([biased, nochoice], -1)


class MultinomialLogitChoiceModel(ChoiceModel):
    """Each user picks slot j with probability softmax(logits)_j, or nothing (index K)."""

    def __init__(self, batch_shape: Sequence[int], nochoice_logits: tf.Tensor,
                 positional_bias: tf.Tensor | float = 0.0,
                 name: str = "MultinomialLogitChoiceModel"):
        super().__init__(batch_shape, name=name)
        _check_logit_parameters(nochoice_logits, positional_bias)
        self._nochoice_logits = nochoice_logits
        self._positional_bias = positional_bias

    def choice(self, slate_document_logits: tf.Tensor) -> Value:
        """`Value(choice=Categorical)` over 0..K, of batch shape `[B...]`."""
        logits = slate_logits(slate_document_logits, self._nochoice_logits,
                              self._positional_bias)
        return Value(choice=tfd.Categorical(logits=logits, dtype=tf.int32))

    def specs(self, slate_size: int | None = None) -> ValueSpec:
        """The spec of `choice`; with `slate_size` K, its space is 0..K, so a logged choice
        outside it is refused rather than scored."""
        space = None if slate_size is None else discrete(check_size("slate_size", slate_size) + 1)
        return Value(choice=FieldSpec(self._batch_shape, tf.int32, space))


class _IteratedChoiceModel(ChoiceModel):
    """`num_choices` ordered picks without replacement; subclasses say what no-choice means."""

    _NOCHOICE_ENDS_LIST: bool

    def __init__(self, num_choices: int, batch_shape: Sequence[int], nochoice_logits: tf.Tensor,
                 positional_bias: tf.Tensor | float, name: str):
        super().__init__(batch_shape, name=name)
        self._num_choices = check_size("num_choices", num_choices)
        _check_logit_parameters(nochoice_logits, positional_bias)
        self._nochoice_logits = nochoice_logits
        self._positional_bias = positional_bias

    def choice(self, slate_document_logits: tf.Tensor) -> Value:
        """`Value(choice=TruncatedPlackettLuce)` with events `[num_choices]` over `[B...]`."""
        logits = slate_logits(slate_document_logits, self._nochoice_logits,
                              self._positional_bias)
        return Value(choice=TruncatedPlackettLuce(logits, self._num_choices,
                                                  nochoice_ends_list=self._NOCHOICE_ENDS_LIST))

    def specs(self) -> ValueSpec:
        return Value(choice=FieldSpec(self._batch_shape + [self._num_choices], tf.int32))


class IteratedMultinomialLogitChoiceModel(_IteratedChoiceModel):
    """RecSim NG's iterated multinomial logit: `num_choices` picks without replacement over the K
    slots and no-choice (index K), which once picked is removed like any item while picking
    continues. A list `[o_1, ..., o_m]` of distinct options has probability
    prod_t softmax(logits over the options not among o_1..o_{t-1})_{o_t}; `num_choices` may not
    exceed K + 1, and with a -inf no-choice logit, not K.
    """

    _NOCHOICE_ENDS_LIST = False

    def __init__(self, num_choices: int, batch_shape: Sequence[int], nochoice_logits: tf.Tensor,
                 positional_bias: tf.Tensor | float = 0.0,
                 name: str = "IteratedMultinomialLogitChoiceModel"):
        super().__init__(num_choices, batch_shape, nochoice_logits, positional_bias, name)


class StoppingIteratedMultinomialLogitChoiceModel(_IteratedChoiceModel):
    """An iterated multinomial logit in which picking no-choice ends the list: each user picks
    slots in order without replacement, with no-choice (index K) available at every pick, and
    from the first no-choice on every position holds K, as do the positions left once all K
    items are picked. A list `[i_1, ..., i_r, K, ..., K]` has probability
    prod_{t<=r} softmax(logits over the items not among i_1..i_{t-1}, and no-choice)_{i_t},
    times that of the closing no-choice if r < min(num_choices, K).
    """

    _NOCHOICE_ENDS_LIST = True

    def __init__(self, num_choices: int, batch_shape: Sequence[int], nochoice_logits: tf.Tensor,
                 positional_bias: tf.Tensor | float = 0.0,
                 name: str = "StoppingIteratedMultinomialLogitChoiceModel"):
        super().__init__(num_choices, batch_shape, nochoice_logits, positional_bias, name)
