"""`TruncatedPlackettLuce`: an ordered list of choices without replacement, with a no-choice.

The user picks `num_choices` times from the slate by multinomial logit, each pick among the items
not yet picked plus the no-choice option (index K, the last logit). Picking no-choice ends the
list: it and every later position hold K. Once all K items are picked, the remaining positions
hold K as well (with probability one). So a list is `[i_1, ..., i_r, K, ..., K]` with distinct
items i_1..i_r, and its probability is the product of the softmax probabilities of its picks up
to and including the first K.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import samplers

from recsim_ng.lib.draws import inverse_cdf_index

tfd = tfp.distributions


_SMALLEST_SAFE_TOTAL = 1e-30  # Well above float32's smallest normal number, 1.2e-38.


def _relative_weights(logits: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """exp(logits - shift) and the shift, their maximum over the last axis (0 where every
    logit is -inf, so those weights are all zero)."""
    top = tf.reduce_max(logits, -1, keepdims=True)
    shift = tf.where(top > -np.inf, top, tf.zeros_like(top))
    return tf.exp(logits - shift), shift


def _pick_log_prob(logits: tf.Tensor, pick: tf.Tensor, weights: tf.Tensor, shift: tf.Tensor,
                   total: tf.Tensor) -> tf.Tensor:
    """log P(pick) among the options still available, whose `weights` are exp(logits - shift)
    (0 for options taken) and add up to `total`; 0 if none is left (the pick is forced).

    Its gradient with respect to `logits` is given directly (one-hot pick minus the remaining
    options' probabilities), so differentiating never passes through how the weights were
    made (e.g. a conditional renormalisation, which XLA cannot differentiate inside a loop).
    """
    weights, shift, total = (tf.stop_gradient(x) for x in (weights, shift, total))
    available = total > 0
    safe_total = tf.where(available, total, tf.ones_like(total))

    @tf.custom_gradient
    def log_prob(logits: tf.Tensor) -> tuple[tf.Tensor, Any]:
        picked = tf.gather(logits, pick, batch_dims=logits.shape.rank - 1) - shift[..., 0]
        value = tf.where(available, picked - tf.math.log(safe_total), tf.zeros_like(total))

        def gradient(upstream: tf.Tensor) -> tf.Tensor:
            chosen = tf.one_hot(pick, tf.shape(logits)[-1], dtype=logits.dtype)
            step = tf.where(available[..., None], chosen - weights / safe_total[..., None],
                            tf.zeros_like(weights))
            return upstream[..., None] * step

        return value, gradient

    return log_prob(logits)


class TruncatedPlackettLuce(tfd.AutoCompositeTensorDistribution):
    """Ordered picks `[B..., num_choices]` (int32) from logits `[B..., K + 1]` (last: no choice)."""

    def __init__(self, logits: tf.Tensor, num_choices: int, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "TruncatedPlackettLuce"):
        parameters = dict(locals())
        if not isinstance(num_choices, int) or num_choices < 1:
            raise ValueError(f"num_choices must be a positive int, got {num_choices!r}")
        with tf.name_scope(name) as name:
            self._logits = tf.convert_to_tensor(logits, dtype_hint=tf.float32, name="logits")
            if self._logits.shape.rank is not None and self._logits.shape.rank < 1:
                raise ValueError("logits need a last axis of slate items plus no-choice")
            self._num_choices = num_choices
            super().__init__(dtype=tf.int32, reparameterization_type=tfd.NOT_REPARAMETERIZED,
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             parameters=parameters, name=name)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        del dtype, num_classes
        return dict(logits=tfp.util.ParameterProperties(event_ndims=1))

    @property
    def logits(self) -> tf.Tensor:
        return self._logits

    @property
    def num_choices(self) -> int:
        return self._num_choices

    def _event_shape(self) -> tf.TensorShape:
        return tf.TensorShape([self._num_choices])

    def _event_shape_tensor(self) -> tf.Tensor:
        return tf.constant([self._num_choices], tf.int32)

    def _sample_n(self, n: int, seed: tf.Tensor | int | None = None) -> tf.Tensor:
        return self._draw(n, seed)[0]

    def _sample_and_log_prob(self, sample_shape: tf.Tensor, seed: tf.Tensor | int | None = None
                             ) -> tuple[tf.Tensor, tf.Tensor]:
        """A draw and its log-prob, from the same weights (no second pass over the options)."""
        order, log_prob = self._draw(tf.reduce_prod(sample_shape), seed)
        batch = tf.shape(self._logits)[:-1]
        return (tf.reshape(order, tf.concat([sample_shape, batch, [self._num_choices]], 0)),
                tf.reshape(log_prob, tf.concat([sample_shape, batch], 0)))

    def _draw(self, n: int | tf.Tensor, seed: tf.Tensor | int | None) -> tuple[tf.Tensor, tf.Tensor]:
        """`n` lists `[n, B..., num_choices]` and their log-probs `[n, B...]`.

        The sequential picks themselves, each by the inverse CDF of one uniform over the options
        not yet picked: num_choices uniforms per list rather than one per option. A pick's
        log-prob is its logit minus the log of the remaining options' summed weights.
        """
        logits = self._logits[tf.newaxis]
        if tf.get_static_value(n) != 1:
            logits = tf.broadcast_to(logits, tf.concat([[n], tf.shape(self._logits)], 0))
        uniforms = samplers.uniform(tf.concat([tf.shape(logits)[:-1], [self._num_choices]], 0),
                                    dtype=logits.dtype, seed=seed)
        num_options = tf.shape(logits)[-1]
        nochoice = num_options - 1
        weights, shift = _relative_weights(logits)
        picks: list[tf.Tensor] = []
        log_probs: list[tf.Tensor] = []

        def taken() -> tf.Tensor:
            return tf.reduce_any(tf.stack([
                tf.one_hot(tf.where(pick == nochoice, num_options, pick), num_options,
                           on_value=True, off_value=False) for pick in picks]), 0)

        for position in range(self._num_choices):
            uniform = uniforms[..., position]
            if picks:
                weights = tf.where(taken(), tf.zeros([], weights.dtype), weights)
            pick, total = inverse_cdf_index(weights, uniform)
            if picks:
                # Weights relative to the first pick's maximum may underflow once the heavy
                # options are taken (logit gaps of about 70 and more): then renormalise, pick again.
                def renormalised(uniform=uniform) -> tuple[tf.Tensor, ...]:
                    weights, shift = _relative_weights(tf.where(taken(), -np.inf, logits))
                    return (*inverse_cdf_index(weights, uniform), weights, shift)

                pick, total, weights, shift = tf.cond(
                    tf.reduce_all(total > _SMALLEST_SAFE_TOTAL),
                    lambda found=(pick, total, weights, shift): found, renormalised)
            log_probs.append(_pick_log_prob(logits, pick, weights, shift, total))
            picks.append(pick)
        order = tf.stack(picks, -1)
        ended = tf.cumsum(tf.cast(order == nochoice, tf.int32), axis=-1, exclusive=True) > 0
        log_prob = tf.reduce_sum(tf.where(ended, tf.zeros([], logits.dtype),
                                          tf.stack(log_probs, -1)), -1)
        return tf.where(ended | (order == nochoice), nochoice, order), log_prob

    def _log_prob(self, x: tf.Tensor) -> tf.Tensor:
        x = tf.cast(x, tf.int32)
        dtype = self._logits.dtype
        zero, minus_inf = tf.zeros([], dtype), tf.constant(-float("inf"), dtype)
        num_options = tf.shape(self._logits)[-1]
        nochoice = num_options - 1
        picks = tf.one_hot(x, num_options, dtype=dtype)  # [..., m, K + 1]
        is_item = tf.one_hot(nochoice, num_options, on_value=zero, off_value=tf.ones([], dtype))
        taken = tf.cumsum(picks * is_item, axis=-2, exclusive=True) > 0
        ended = tf.cumsum(tf.cast(tf.equal(x, nochoice), tf.int32), axis=-1, exclusive=True) > 0
        all_taken = tf.reduce_sum(tf.cast(taken, tf.int32), -1) >= nochoice
        forced = ended | all_taken  # Positions that must hold K.
        logits = tf.expand_dims(self._logits, -2)  # [B..., 1, K + 1], against [..., m, K + 1].
        available = tf.where(taken | forced[..., None], minus_inf, logits)
        normalizer = tf.reduce_logsumexp(tf.where(forced[..., None], zero, available), -1)
        picked = tf.reduce_sum(tf.where(picks > 0, available, zero), -1)
        free_pick = tf.where(forced, zero, picked - normalizer)
        forced_pick = tf.where(tf.equal(x, nochoice), zero, minus_inf)
        valid = (x >= 0) & (x <= nochoice)
        per_position = tf.where(valid, tf.where(forced, forced_pick, free_pick), minus_inf)
        return tf.reduce_sum(per_position, -1)
