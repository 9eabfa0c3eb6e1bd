"""`TruncatedPlackettLuce`: an ordered list of choices without replacement, with a no-choice.

The user picks `num_choices` times from the slate by multinomial logit, each pick among the
options not yet picked; option K, the last logit, is no choice. What a no-choice pick means is
the distribution's `nochoice_ends_list`:
- True (the default): picking no-choice ends the list: it and every later position hold K. Until
  then no-choice stays available at every pick, and once all K items are picked the remaining
  positions hold K as well (with probability one). So a list is `[i_1, ..., i_r, K, ..., K]` with
  distinct items i_1..i_r, and its probability is the product of the softmax probabilities of
  its picks up to and including the first K.
- False (RecSim NG's iterated multinomial logit): no-choice is an option like any item, removed
  once picked, and picking continues. A list is `num_choices <= K + 1` distinct options, and its
  probability is the product of the softmax probabilities of its picks among the options left.

`PlackettLuceSlate` is the False case without a no-choice: an ordered slate of distinct
candidates, for a recommender's stochastic slate policy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import samplers

from recsim_ng.lib.checks import check_size, checked_in_graph
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
    """Ordered picks `[B..., num_choices]` (int32) from logits `[B..., K + 1]` (last: no choice);
    `nochoice_ends_list` as in the module docstring. A logit of -inf is an option never picked;
    NaN and +inf are refused where the logits are used (checked in-graph, see
    `recsim_ng.lib.checks.checked_in_graph`), not by the constructor: a constructor adding no
    ops lets the distribution be rebuilt from its tensors, e.g. as a `tf.function`'s output."""

    def __init__(self, logits: tf.Tensor, num_choices: int, nochoice_ends_list: bool = True,
                 validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "TruncatedPlackettLuce"):
        parameters = dict(locals())
        num_choices = check_size("num_choices", num_choices)
        with tf.name_scope(name) as name:
            self._logits = tf.convert_to_tensor(logits, dtype_hint=tf.float32, name="logits")
            if self._logits.shape.rank is not None and self._logits.shape.rank < 1:
                raise ValueError("logits need a last axis of slate items plus no-choice")
            num_options = tf.compat.dimension_value(self._logits.shape[-1])
            if not nochoice_ends_list and num_options is not None and num_choices > num_options:
                raise ValueError(f"num_choices ({num_choices}) exceeds the {num_options} options"
                                 " (slate items and no-choice) there are to pick without"
                                 " replacement")
            self._num_choices = num_choices
            self._nochoice_ends_list = bool(nochoice_ends_list)
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

    def _checked_logits(self) -> tf.Tensor:
        """The logits, refused (eager, graph) or NaN rows (XLA) where NaN or +inf."""
        return checked_in_graph(f"{type(self).__name__} logits", self._logits,
                                ~tf.math.is_nan(self._logits) & (self._logits < np.inf),
                                "free of NaN and +inf")

    @property
    def num_choices(self) -> int:
        return self._num_choices

    @property
    def nochoice_ends_list(self) -> bool:
        return self._nochoice_ends_list

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

    def _draw(self, n: int | tf.Tensor, seed: tf.Tensor | int | None
              ) -> tuple[tf.Tensor, tf.Tensor]:
        """`n` lists `[n, B..., num_choices]` and their log-probs `[n, B...]`.

        The sequential picks themselves, each by the inverse CDF of one uniform over the options
        not yet picked: num_choices uniforms per list rather than one per option. A pick's
        log-prob is its logit minus the log of the remaining options' summed weights.
        """
        logits = self._checked_logits()[tf.newaxis]
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
            if self._nochoice_ends_list:  # No-choice stays: one_hot of an index out of range.
                marks = [tf.where(pick == nochoice, num_options, pick) for pick in picks]
            else:
                marks = picks
            return tf.reduce_any(tf.stack([tf.one_hot(mark, num_options, on_value=True,
                                                      off_value=False) for mark in marks]), 0)

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
        if not self._nochoice_ends_list:
            return order, tf.add_n(log_probs)
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
        if self._nochoice_ends_list:
            removable = tf.one_hot(nochoice, num_options, on_value=zero,
                                   off_value=tf.ones([], dtype))
            taken = tf.cumsum(picks * removable, axis=-2, exclusive=True) > 0
            ended = tf.cumsum(tf.cast(tf.equal(x, nochoice), tf.int32), axis=-1,
                              exclusive=True) > 0
            all_taken = tf.reduce_sum(tf.cast(taken, tf.int32), -1) >= nochoice
            forced = ended | all_taken  # Positions that must hold K.
        else:
            taken = tf.cumsum(picks, axis=-2, exclusive=True) > 0
            forced = tf.zeros_like(x, tf.bool)
        logits = tf.expand_dims(self._checked_logits(), -2)  # [B..., 1, K + 1], vs [..., m, K + 1].
        available = tf.where(taken | forced[..., None], minus_inf, logits)
        normalizer = tf.reduce_logsumexp(tf.where(forced[..., None], zero, available), -1)
        picked = tf.reduce_sum(tf.where(picks > 0, available, zero), -1)
        free_pick = tf.where(forced, zero, picked - normalizer)
        forced_pick = tf.where(tf.equal(x, nochoice), zero, minus_inf)
        valid = (x >= 0) & (x <= nochoice)
        per_position = tf.where(valid, tf.where(forced, forced_pick, free_pick), minus_inf)
        return tf.reduce_sum(per_position, -1)


class PlackettLuceSlate(TruncatedPlackettLuce):
    """An ordered slate `[B..., slate_size]` (int32) of distinct candidates out of N, drawn by
    Plackett-Luce from candidate `logits` `[B..., N]`: successive softmax picks without
    replacement, with no no-choice. Its log-prob is

        log P(s_1, ..., s_k) = sum_j [l_{s_j} - logsumexp_{i not in {s_1, ..., s_{j-1}}} l_i],

    and -inf for a slate repeating a candidate or holding an index outside 0 .. N - 1. It is
    `TruncatedPlackettLuce` with a no-choice of logit -inf (never picked) and
    `nochoice_ends_list=False`, so it draws and scores by the same code. `slate_size <= N` is
    checked when N is static (sampling needs it static). A candidate of logit -inf is never
    drawn; a row needs `slate_size` finite logits (with fewer, a draw fills the rest with index
    N and its log-prob is NaN). `mode()` is the `slate_size` highest logits, best first; there
    is no closed-form entropy (`entropy()` raises `NotImplementedError`).
    """

    def __init__(self, logits: tf.Tensor, slate_size: int, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "PlackettLuceSlate"):
        parameters = dict(locals())
        slate_size = check_size("slate_size", slate_size)
        with tf.name_scope(name):
            candidates = tf.convert_to_tensor(logits, dtype_hint=tf.float32, name="logits")
            if candidates.shape.rank is not None and candidates.shape.rank < 1:
                raise ValueError("logits need a last axis of candidates")
            num_candidates = tf.compat.dimension_value(candidates.shape[-1])
            if num_candidates is not None and slate_size > num_candidates:
                raise ValueError(f"slate_size ({slate_size}) exceeds the {num_candidates}"
                                 " candidates there are to pick without replacement")
            nochoice = tf.fill(tf.concat([tf.shape(candidates)[:-1], [1]], 0),
                               tf.constant(-np.inf, candidates.dtype))
            padded = tf.concat([candidates, nochoice], -1)
        super().__init__(padded, num_choices=slate_size, nochoice_ends_list=False,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)
        self._candidate_logits = candidates
        self._parameters = parameters  # The candidates and slate_size, not the parent's.

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        """The parent's (`logits`, one event axis), declared here so TFP does not warn that a
        subclass with its own `__init__` inherits them."""
        return super()._parameter_properties(dtype, num_classes)

    @property
    def logits(self) -> tf.Tensor:
        """The candidate logits `[B..., N]`, without the no-choice."""
        return self._candidate_logits

    @property
    def slate_size(self) -> int:
        return self.num_choices

    def _mode(self) -> tf.Tensor:
        """The `slate_size` candidates of highest logit, best first (the lower index first on
        ties); NaN and +inf are refused as in sampling."""
        return tf.math.top_k(self._checked_logits()[..., :-1], k=self.slate_size,
                             sorted=True).indices
