"""`BernoulliBandit`: arms whose rewards are 0 or 1 with fixed means."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.problem import ArmValues, BanditProblem, per_bandit_arms
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class BernoulliBandit(BanditProblem):
    """Arm `a` of bandit `b` pays 1 with probability `means[b, a]` (or `means[a]`), else 0."""

    def __init__(self, num_bandits: int, means: ArmValues, name: str = "BernoulliBandit"):
        table = per_bandit_arms(means, num_bandits, "BernoulliBandit means")
        super().__init__(num_bandits, table.shape[1], name)
        low, high = float(tf.reduce_min(table)), float(tf.reduce_max(table))
        if not (0.0 <= low and high <= 1.0):  # Also rejects NaN.
            raise ValueError(f"BernoulliBandit means must lie in [0, 1], got values from {low}"
                             f" to {high}")
        self.means = table

    def parameter_specs(self) -> ValueSpec:
        return Value(means=FieldSpec([self.num_bandits, self.num_arms], tf.float32))

    def parameters(self) -> Value:
        return Value(means=self.means)

    def state(self, parameters: Value, context: Value) -> Value:
        del context
        means = parameters.get("means")
        return Value(arm_means=means, arm_rewards=tfd.Bernoulli(probs=means, dtype=tf.float32))
