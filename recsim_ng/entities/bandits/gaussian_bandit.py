"""`GaussianBandit`: arms with normally distributed rewards and (optionally) random means."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.problem import ArmValues, BanditProblem, per_bandit_arms
from recsim_ng.lib.checks import check_finite
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class GaussianBandit(BanditProblem):
    """Arm rewards are N(mean, noise_scale^2).

    Without `means`, every bandit's arm means are drawn independently from
    N(prior_mean, prior_scale^2) at the initial step, so each bandit is a fresh problem.
    """

    def __init__(self, num_bandits: int, num_arms: int, noise_scale: float = 1.0,
                 prior_mean: float = 0.0, prior_scale: float = 1.0,
                 means: ArmValues | None = None, name: str = "GaussianBandit"):
        super().__init__(num_bandits, num_arms, name)
        self.noise_scale = float(check_finite("GaussianBandit noise_scale", noise_scale, low=0.0,
                                              low_open=True))
        self.prior_mean = float(check_finite("GaussianBandit prior_mean", prior_mean))
        self.prior_scale = float(check_finite("GaussianBandit prior_scale", prior_scale, low=0.0,
                                              low_open=True))
        self.means = None if means is None else per_bandit_arms(means, num_bandits,
                                                                 "GaussianBandit means")
        if self.means is not None and self.means.shape[1] != num_arms:
            raise ValueError(f"GaussianBandit means have {self.means.shape[1]} arms,"
                             f" not num_arms={num_arms}")

    def parameter_specs(self) -> ValueSpec:
        return Value(means=FieldSpec([self.num_bandits, self.num_arms], tf.float32))

    def parameters(self) -> Value:
        if self.means is not None:
            return Value(means=self.means)
        shape = [self.num_bandits, self.num_arms]
        return Value(means=tfd.Normal(tf.fill(shape, float(self.prior_mean)), self.prior_scale))

    def state(self, parameters: Value, context: Value) -> Value:
        del context
        means = parameters.get("means")
        return Value(arm_means=means, arm_rewards=tfd.Normal(means, self.noise_scale))
