"""`LinearContextualBandit`: arm rewards linear (or logistic) in per-step context features."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.context import BanditContext, GaussianContext
from recsim_ng.entities.bandits.problem import BanditProblem
from recsim_ng.lib.checks import check_finite, check_size
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class LinearContextualBandit(BanditProblem):
    """Each arm `a` of each bandit has a weight vector `theta[a]`, drawn from N(0, I) at the
    initial step; given the step's context `features` x, arm `a` pays <theta[a], x> plus
    N(0, noise_scale^2) noise, or with `logistic`, 1 with probability sigmoid(<theta[a], x>).

    Its default context is a `GaussianContext` of the same dimension.
    """

    def __init__(self, num_bandits: int, num_arms: int, dimension: int,
                 noise_scale: float = 0.5, logistic: bool = False,
                 name: str = "LinearContextualBandit"):
        super().__init__(num_bandits, num_arms, name)
        self.dimension = check_size("LinearContextualBandit dimension", dimension)
        self.noise_scale = float(check_finite("LinearContextualBandit noise_scale", noise_scale,
                                              low=0.0, low_open=True))
        self.logistic = logistic

    def parameter_specs(self) -> ValueSpec:
        return Value(theta=FieldSpec([self.num_bandits, self.num_arms, self.dimension],
                                     tf.float32))

    def parameters(self) -> Value:
        return Value(theta=tfd.Normal(
            tf.zeros([self.num_bandits, self.num_arms, self.dimension]), 1.0))

    def state(self, parameters: Value, context: Value) -> Value:
        scores = tf.einsum("bad,bd->ba", parameters.get("theta"), context.get("features"))
        if self.logistic:
            return Value(arm_means=tf.sigmoid(scores),
                         arm_rewards=tfd.Bernoulli(logits=scores, dtype=tf.float32))
        return Value(arm_means=scores, arm_rewards=tfd.Normal(scores, self.noise_scale))

    def default_context(self) -> BanditContext:
        return GaussianContext(self.num_bandits, self.dimension)
