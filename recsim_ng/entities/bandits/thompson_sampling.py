"""Thompson sampling: pull the arm whose mean, drawn from its posterior, is largest."""

from __future__ import annotations

import abc

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.arm_counts import ArmCountsAlgorithm
from recsim_ng.lib.checks import check_finite
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class ThompsonSampling(ArmCountsAlgorithm, abc.ABC):
    """The shared mechanics: a posterior over every arm's mean, given the arm counts.

    The choice value has the posterior draw `sample` [bandits, arms] (a random field) and
    `choice`, its argmax (a deterministic field of the draw), so the choice's log-probability
    is the draw's.
    """

    @abc.abstractmethod
    def posterior(self, statistics: Value) -> tfd.Distribution:
        """The posterior over the arm means, batch shape [bandits, arms]."""

    def choice_specs(self) -> ValueSpec:
        return Value(sample=FieldSpec([self.num_bandits, self.num_arms], tf.float32),
                     choice=self.choice_field_spec())

    def arm_choice(self, statistics: Value, context: Value) -> Value:
        del context
        return Value(sample=self.posterior(statistics),
                     choice=lambda sample: tf.argmax(sample, axis=-1, output_type=tf.int32))


class BetaBernoulliThompsonSampling(ThompsonSampling):
    """Beta(prior_alpha, prior_beta) priors on Bernoulli arm means (conjugate for 0/1 rewards)."""

    def __init__(self, num_bandits: int, num_arms: int, prior_alpha: float = 1.0,
                 prior_beta: float = 1.0, name: str = "BetaBernoulliThompsonSampling"):
        super().__init__(num_bandits, num_arms, name)
        self.prior_alpha, self.prior_beta = (
            float(check_finite(f"BetaBernoulliThompsonSampling {name}", value, low=0.0,
                               low_open=True))
            for name, value in (("prior_alpha", prior_alpha), ("prior_beta", prior_beta)))

    def posterior(self, statistics: Value) -> tfd.Distribution:
        pulls, successes = statistics.get("pulls"), statistics.get("reward_sums")
        return tfd.Beta(self.prior_alpha + successes, self.prior_beta + pulls - successes)


class GaussianThompsonSampling(ThompsonSampling):
    """N(prior_mean, prior_scale^2) priors on arm means, rewards N(mean, noise_scale^2)."""

    def __init__(self, num_bandits: int, num_arms: int, prior_mean: float = 0.0,
                 prior_scale: float = 1.0, noise_scale: float = 1.0,
                 name: str = "GaussianThompsonSampling"):
        super().__init__(num_bandits, num_arms, name)
        self.prior_mean = float(check_finite("GaussianThompsonSampling prior_mean", prior_mean))
        self.prior_scale, self.noise_scale = (
            float(check_finite(f"GaussianThompsonSampling {name}", value, low=0.0,
                               low_open=True))
            for name, value in (("prior_scale", prior_scale), ("noise_scale", noise_scale)))

    def posterior(self, statistics: Value) -> tfd.Distribution:
        prior_precision = self.prior_scale ** -2
        noise_precision = self.noise_scale ** -2
        precision = prior_precision + noise_precision * statistics.get("pulls")
        mean = (prior_precision * self.prior_mean
                + noise_precision * statistics.get("reward_sums")) / precision
        return tfd.Normal(mean, tf.math.rsqrt(precision))
