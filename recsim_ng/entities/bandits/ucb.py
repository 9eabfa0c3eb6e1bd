"""`UCB1`: pull the arm with the largest Hoeffding upper confidence bound (Auer et al., 2002)."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.arm_counts import (ArmCountsAlgorithm, exploration_budgets,
                                                   argmax_trying_unpulled_first, empirical_means)


class UCB1(ArmCountsAlgorithm):
    """Index mean + sqrt(2 ln t / n) for rewards in [0, 1], t pulls in all, n of the arm.

    Every arm is pulled once first; the choice is deterministic given the statistics.
    """

    def __init__(self, num_bandits: int, num_arms: int, name: str = "UCB1"):
        super().__init__(num_bandits, num_arms, name)

    def choice_specs(self) -> ValueSpec:
        return Value(choice=self.choice_field_spec())

    def arm_choice(self, statistics: Value, context: Value) -> Value:
        del context
        bonus = tf.sqrt(2.0 * exploration_budgets(statistics))
        return Value(choice=argmax_trying_unpulled_first(statistics,
                                                         empirical_means(statistics) + bonus))
