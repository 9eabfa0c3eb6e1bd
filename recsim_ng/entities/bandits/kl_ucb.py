"""`KLUCB`: the Bernoulli KL upper confidence bound algorithm (Garivier and Cappé, 2011)."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.arm_counts import (ArmCountsAlgorithm, exploration_budgets,
                                                   argmax_trying_unpulled_first, empirical_means)
from recsim_ng.lib.checks import check_size

_CLIP = 1e-6  # Keeps the logarithms in the Bernoulli KL divergence finite.


def bernoulli_kl(p: tf.Tensor, q: tf.Tensor) -> tf.Tensor:
    """KL(Bernoulli(p) || Bernoulli(q)), elementwise, with p and q clipped into (0, 1)."""
    p = tf.clip_by_value(p, _CLIP, 1.0 - _CLIP)
    q = tf.clip_by_value(q, _CLIP, 1.0 - _CLIP)
    return p * tf.math.log(p / q) + (1.0 - p) * tf.math.log((1.0 - p) / (1.0 - q))


def kl_upper_bound(means: tf.Tensor, budgets: tf.Tensor, bisection_steps: int) -> tf.Tensor:
    """The largest q in [mean, 1] with KL(mean || q) <= budget, by bisection, elementwise.

    The KL divergence grows with q on [mean, 1], so each step halves the bracket; the lower end
    (which always satisfies the bound) is returned, within 2^-bisection_steps of the answer.
    """
    low, high = means, tf.ones_like(means)
    for _ in range(bisection_steps):
        middle = 0.5 * (low + high)
        within = bernoulli_kl(means, middle) <= budgets
        low = tf.where(within, middle, low)
        high = tf.where(within, high, middle)
    return low


class KLUCB(ArmCountsAlgorithm):
    """Index max{q : n KL(mean || q) <= ln t}, for rewards in [0, 1].

    The exploration level is ln t (the c = 0 variant its authors recommend in practice); the
    bound is found by `bisection_steps` bisection steps. Every arm is pulled once first.
    """

    def __init__(self, num_bandits: int, num_arms: int, bisection_steps: int = 20,
                 name: str = "KLUCB"):
        super().__init__(num_bandits, num_arms, name)
        self.bisection_steps = check_size("KLUCB bisection_steps", bisection_steps)

    def choice_specs(self) -> ValueSpec:
        return Value(choice=self.choice_field_spec())

    def arm_choice(self, statistics: Value, context: Value) -> Value:
        del context
        index = kl_upper_bound(empirical_means(statistics), exploration_budgets(statistics),
                               self.bisection_steps)
        return Value(choice=argmax_trying_unpulled_first(statistics, index))
