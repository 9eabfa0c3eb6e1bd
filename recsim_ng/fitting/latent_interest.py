"""The dynamic-interest model with each user's long-run interest latent, by variational EM.

Each user's long-run interest is b_u ~ N(b, spread² I) (the population's b and spread are
fitted); the rest is `interest_model`'s dynamic model. The posterior of every b_u is approximated
by a diagonal normal q(b_u); b, spread, step size, drift and the item weights maximise the
evidence lower bound E_q[log p(events | b_u)] - KL(q || prior), estimated with reparameterised
draws (fixed seeds) and optimised with Adam, the whole step one compiled graph.

Standard errors: the observed information of the bound in the population parameters with q
held at its optimum (averaged over `information_draws` draws). This ignores how q would move
with them, so it understates the uncertainty somewhat (a Laplace-style approximation).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.fitting import estimation
from recsim_ng.fitting.interest_model import dynamics, dynamic_terms, natural_parameters
from recsim_ng.fitting.sequences import EventSequences, ItemCovariates
from recsim_ng.lib.optimizers import Adam

tfd = tfp.distributions


@dataclasses.dataclass(frozen=True)
class LatentInterestFit:
    """Population estimates (`spread` included) and each user's posterior mean and scale."""

    estimates: estimation.Estimates
    theta: np.ndarray
    posterior_mean: np.ndarray
    posterior_scale: np.ndarray
    evidence_lower_bound: float
    num_events: int
    seconds: float
    exclude_consumed: bool = True

    def event_log_likelihoods(self, sequences: EventSequences,
                              covariates: ItemCovariates) -> np.ndarray:
        """Each scored event's log-probability with every user at its posterior mean."""
        terms = dynamic_terms(sequences, covariates, self.exclude_consumed)
        parameters = dynamics(tf.constant(self.theta[:-1]), covariates)
        return terms(parameters, tf.constant(self.posterior_mean)).numpy()[sequences.scored]


def fit_latent_interest(sequences: EventSequences, covariates: ItemCovariates,
                        exclude_consumed: bool = True, steps: int = 300,
                        learning_rate: float = 0.05, draws: int = 2,
                        information_draws: int = 8, seed: int = 0,
                        initial: np.ndarray | None = None) -> LatentInterestFit:
    """Variational EM on the scored events; `initial`: the population part of theta to start
    from (e.g. the fixed-interest model's estimate), else zeros."""
    start_time = time.perf_counter()
    terms = dynamic_terms(sequences, covariates, exclude_consumed)
    scored = tf.constant(sequences.scored, tf.float64)
    num_users, num_topics = sequences.num_users, covariates.num_topics
    names, transform = natural_parameters("dynamic_interest", covariates, num_users)
    num_population = len(names) - covariates.topics_sum_to_one
    theta = tf.Variable(np.append(np.zeros(num_population) if initial is None else initial,
                                  np.log(0.5)), dtype=tf.float64)
    mean = tf.Variable(tf.zeros([num_users, num_topics], tf.float64))
    log_scale = tf.Variable(tf.fill([num_users, num_topics], tf.constant(np.log(0.1), tf.float64)))

    def bound(population: tf.Tensor, noise: tf.Tensor) -> tf.Tensor:
        p = dynamics(population[:-1], covariates)
        prior = tfd.Normal(p["interest"], tf.exp(population[-1]))
        posterior = tfd.Normal(mean, tf.exp(log_scale))
        expected = tf.reduce_mean(tf.stack([
            tf.reduce_sum(terms(p, mean + tf.exp(log_scale) * eps) * scored) for eps in noise]))
        return expected - tf.reduce_sum(tfd.kl_divergence(posterior, prior))

    def noise_for(step: tf.Tensor, count: int) -> list[tf.Tensor]:
        return [tf.random.stateless_normal([num_users, num_topics], [seed, step * 64 + k],
                                           tf.float64) for k in range(count)]

    variables = [theta, mean, log_scale]
    optimizer = Adam(variables, learning_rate)

    @tf.function(autograph=False)
    def ascent_step(step: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = -bound(theta, noise_for(step, draws)) / sequences.num_scored
        optimizer.apply(tape.gradient(loss, variables))
        return loss

    for step in range(steps):
        ascent_step(tf.constant(step))
    fixed_noise = noise_for(tf.constant(steps), information_draws)
    optimum = estimation.Optimum(theta.numpy(), None, float(bound(theta, fixed_noise)), True,
                                 steps)
    information = -estimation.observed_hessian(lambda t: bound(t, fixed_noise), theta).numpy()
    optimum = dataclasses.replace(optimum, covariance=estimation.inverse_information(information))

    def with_spread(population: tf.Tensor) -> tf.Tensor:
        return tf.concat([transform(population[:-1]), tf.exp(population[-1:])], 0)

    estimates = estimation.delta_method(with_spread, optimum, [*names, "spread"])
    return LatentInterestFit(estimates, optimum.theta, mean.numpy(), np.exp(log_scale.numpy()),
                             optimum.log_likelihood, sequences.num_scored,
                             time.perf_counter() - start_time, exclude_consumed)
