"""`EpsilonGreedy`: pull the best empirical arm, or with probability epsilon a uniform one."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.arm_counts import (ArmCountsAlgorithm,
                                                   argmax_trying_unpulled_first, empirical_means)
from recsim_ng.lib.checks import check_finite

tfd = tfp.distributions


class EpsilonGreedy(ArmCountsAlgorithm):
    """Epsilon-greedy with a fixed `epsilon`; `epsilon=1` is the uniformly random policy.

    The choice is one categorical draw from the mixture (1 - epsilon) * greedy arm + epsilon *
    uniform, so its log-probability is exact. Never-pulled arms count as the greediest.
    """

    def __init__(self, num_bandits: int, num_arms: int, epsilon: float = 0.1,
                 name: str = "EpsilonGreedy"):
        super().__init__(num_bandits, num_arms, name)
        self.epsilon = float(check_finite("EpsilonGreedy epsilon", epsilon, low=0.0, high=1.0))

    def choice_specs(self) -> ValueSpec:
        return Value(choice=self.choice_field_spec())

    def arm_choice(self, statistics: Value, context: Value) -> Value:
        del context
        greedy = argmax_trying_unpulled_first(statistics, empirical_means(statistics))
        probs = (self.epsilon / self.num_arms
                 + (1.0 - self.epsilon) * tf.one_hot(greedy, self.num_arms, dtype=tf.float32))
        return Value(choice=tfd.Categorical(probs=probs, dtype=tf.int32))
