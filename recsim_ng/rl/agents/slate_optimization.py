"""SlateQ's slate values and the three ways to choose the slate that maximises them.

Under a conditional choice model with item attractiveness v_j and no-click attractiveness v_0,
P(i | s, A) = v_i / (sum_{j in A} v_j + v_0), and the SlateQ decomposition gives the slate value
Q(s, A) = sum_{i in A} P(i | s, A) Q(s, i) (Ie et al. 2019). With r_j = v_j / v_0 this is
sum_A r_i Q_i / (sum_A r_j + 1). The agent reads r_j off a `ClickProbability` on one-item slates:
P(click | {j}) = r_j / (r_j + 1).

- `top_k_slate`: the k candidates with the largest r_j Q_j (v1's `select_slate_topk`);
- `greedy_slate`: k rounds, each adding the candidate that maximises the fractional value of the
  slate so far (v1's `select_slate_greedy`; v1 returns the picks sorted by candidate index, here
  they stay in the order picked, best first);
- `exact_slate`: the best of all C(N, k) candidate subsets (v1's `select_slate_optimal`
  enumerates ordered permutations; the value does not depend on the order, so subsets suffice,
  k! times fewer), returned in descending r_j Q_j.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import tensorflow as tf
from tf_agents.typing import types

from recsim_ng.rl.agents.myopic_policy import ClickProbability

SLATE_OPTIMIZERS = ("top_k", "greedy", "exact")
MAX_EXACT_SLATES = 100_000  # C(N, k) above this is refused: use top_k or greedy


def attractiveness(click_probability: ClickProbability, observation: types.NestedTensor,
                   num_candidates: int) -> tf.Tensor:
    """`[B, N]`: r_j = v_j / v_0 of every candidate, from its one-item click probability."""
    batch = tf.shape(tf.nest.flatten(observation)[0])[0]
    singletons = tf.tile(tf.range(num_candidates)[tf.newaxis, :, tf.newaxis], [batch, 1, 1])
    probs = click_probability(observation, singletons)
    return probs / (1.0 - probs)


def slate_values(item_attractiveness: tf.Tensor, item_q: tf.Tensor,
                 slates: tf.Tensor) -> tf.Tensor:
    """`[B, M]`: sum_{i in A} P(i | s, A) Q(s, i) for slates `[B, M, k]` (or `[M, k]`, shared
    by every user) of candidate indices, given r `[B, N]` and Q `[B, N]`."""
    if slates.shape.rank == 2:
        r, q = tf.gather(item_attractiveness, slates, axis=1), tf.gather(item_q, slates, axis=1)
    else:
        r = tf.gather(item_attractiveness, slates, batch_dims=1)
        q = tf.gather(item_q, slates, batch_dims=1)
    return tf.reduce_sum(r * q, -1) / (tf.reduce_sum(r, -1) + 1.0)


def top_k_slate(item_attractiveness: tf.Tensor, item_q: tf.Tensor, slate_size: int) -> tf.Tensor:
    """`[B, k]`: the k candidates with the largest r_j Q(s, j), best first."""
    return tf.math.top_k(item_attractiveness * item_q, slate_size).indices


def greedy_slate(item_attractiveness: tf.Tensor, item_q: tf.Tensor, slate_size: int) -> tf.Tensor:
    """`[B, k]`: k greedy rounds; round m adds the unchosen j maximising
    (n + r_j Q_j) / (d + r_j), then n += r_j Q_j and d += r_j, from n = 0 and d = 1."""
    weighted = item_attractiveness * item_q
    numerator = tf.zeros_like(weighted[:, :1])
    denominator = tf.ones_like(weighted[:, :1])
    taken = tf.zeros_like(weighted, tf.bool)
    picks = []
    for _ in range(slate_size):
        value = (numerator + weighted) / (denominator + item_attractiveness)
        best = tf.argmax(tf.where(taken, -np.inf, value), axis=-1, output_type=tf.int32)
        picks.append(best)
        numerator += tf.gather(weighted, best[:, tf.newaxis], batch_dims=1)
        denominator += tf.gather(item_attractiveness, best[:, tf.newaxis], batch_dims=1)
        taken |= tf.one_hot(best, tf.shape(weighted)[1], on_value=True, off_value=False)
    return tf.stack(picks, axis=1)


def enumerate_slates(num_candidates: int, slate_size: int, ordered: bool, limit: int,
                     hint: str) -> tf.Tensor:
    """`[M, k]` int32: every ordered slate of distinct candidates (N! / (N - k)!) or every
    k-subset (C(N, k)), in lexicographic order; more than `limit` is refused with `hint`."""
    count = (math.perm if ordered else math.comb)(num_candidates, slate_size)
    if count > limit:
        kind = "ordered slates" if ordered else "subsets"
        raise ValueError(f"{count} {kind} of {slate_size} from {num_candidates} candidates"
                         f" exceeds {limit}; {hint}")
    slates = (itertools.permutations if ordered else itertools.combinations)(
        range(num_candidates), slate_size)
    return tf.constant(list(slates), tf.int32, shape=[count, slate_size])


def candidate_subsets(num_candidates: int, slate_size: int) -> tf.Tensor:
    """`[C(N, k), k]` int32: every k-subset of the candidates, in lexicographic order."""
    return enumerate_slates(num_candidates, slate_size, False, MAX_EXACT_SLATES,
                            "use the top_k or greedy slate optimizer")


def exact_slate(item_attractiveness: tf.Tensor, item_q: tf.Tensor, slate_size: int) -> tf.Tensor:
    """`[B, k]`: the subset with the largest slate value, its items in descending r_j Q_j."""
    subsets = candidate_subsets(item_q.shape[-1], slate_size)
    best = tf.gather(subsets, tf.argmax(slate_values(item_attractiveness, item_q, subsets),
                                        axis=-1, output_type=tf.int32))
    weighted = tf.gather(item_attractiveness * item_q, best, batch_dims=1)
    order = tf.argsort(weighted, axis=-1, direction="DESCENDING", stable=True)
    return tf.gather(best, order, batch_dims=1)


def optimal_slate(optimizer: str, item_attractiveness: tf.Tensor, item_q: tf.Tensor,
                  slate_size: int) -> tf.Tensor:
    """The slate of the named optimiser, one of `SLATE_OPTIMIZERS`."""
    optimizers = {"top_k": top_k_slate, "greedy": greedy_slate, "exact": exact_slate}
    if optimizer not in optimizers:
        raise ValueError(f"slate optimizer must be one of {SLATE_OPTIMIZERS}, got {optimizer!r}")
    return optimizers[optimizer](item_attractiveness, item_q, slate_size)
