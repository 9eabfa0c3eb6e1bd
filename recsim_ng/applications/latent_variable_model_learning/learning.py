"""Recovering per-user satisfaction sensitivities from logged trajectories.

With the intent logged, the log-likelihood is exact and `fit_with_logged_intent` maximises it by
Newton's method. With the intent latent, `fit_by_monte_carlo_em` alternates HMC over the intents
(E-step) with a Newton step on the expected complete-data log-likelihood (M-step), and reports
standard errors by Louis' identity: observed information = E[complete information] - Var[score].
Users are independent, so every Hessian in the sensitivities is diagonal and its row sums (one
reverse-over-reverse pass) are its diagonal.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.applications.latent_variable_model_learning.recommender import (
    SimpleNormalRecommender)
from recsim_ng.applications.latent_variable_model_learning.user import ModelLearningDemoUser
from recsim_ng.core import Network, NetworkValue
from recsim_ng.lib import seeds
from recsim_ng.lib.entity import story_with_trainable_variables
from recsim_ng.lib.log_probability import LatentTrajectory, log_probability
from recsim_ng.stories.recommendation import simplified_recs_story


def latent_variable_network(num_users: int, num_topics: int = 3, slate_size: int = 4,
                            satisfaction_sensitivity: float | Sequence[float] = 0.8
                            ) -> tuple[Network, tf.Variable]:
    """The simplified story with `ModelLearningDemoUser`s, and their sensitivity variable."""
    config = {"num_users": num_users, "num_topics": num_topics, "slate_size": slate_size,
              "num_docs": slate_size}
    variables, trainables = story_with_trainable_variables(lambda: simplified_recs_story(
        config, lambda c: ModelLearningDemoUser(c, satisfaction_sensitivity),
        SimpleNormalRecommender))
    (sensitivity,) = trainables["ModelLearningDemoUser"]
    return Network(variables), sensitivity


@dataclasses.dataclass(frozen=True)
class SensitivityEstimate:
    """Per-user estimates and their standard errors."""

    value: np.ndarray
    standard_error: np.ndarray


def _score_and_curvature(log_density: Callable[[], tf.Tensor],
                         sensitivity: tf.Variable) -> tuple[tf.Tensor, tf.Tensor]:
    """The gradient and the (diagonal) Hessian of `log_density` in the sensitivities."""
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            log_likelihood = log_density()
        score = inner.gradient(log_likelihood, sensitivity)
        total_score = tf.reduce_sum(score)
    return score, outer.gradient(total_score, sensitivity)


def fit_with_logged_intent(network: Network, sensitivity: tf.Variable,
                           trajectory: NetworkValue, newton_steps: int = 4) -> SensitivityEstimate:
    """Maximum likelihood given fully logged trajectories (the objective is quadratic); each
    Newton step's derivatives are one XLA-compiled program."""
    @tf.function(jit_compile=True, autograph=False)
    def score_and_curvature() -> tuple[tf.Tensor, tf.Tensor]:
        return _score_and_curvature(lambda: log_probability(network, trajectory), sensitivity)

    for _ in range(newton_steps):
        score, curvature = score_and_curvature()
        sensitivity.assign_sub(score / curvature)
    _, curvature = score_and_curvature()
    return SensitivityEstimate(sensitivity.numpy(), (-curvature.numpy()) ** -0.5)


def fit_by_monte_carlo_em(network: Network, sensitivity: tf.Variable, observed: NetworkValue,
                          seed: seeds.Seed, iterations: int = 6, num_samples: int = 20,
                          burnin: int = 100, thinning: int = 5,
                          num_candidates: int = 64) -> SensitivityEstimate:
    """Monte-Carlo EM over the latent intents, which `observed` must leave out.

    The intent prior is a mixture with well separated components, so HMC seldom moves a user's
    intent between them: chains start, per user, from the most likely of `num_candidates`
    intents re-simulated from the prior.
    """
    latent = LatentTrajectory(network, observed)
    if latent.latent_fields != [("user_state", "intent")]:
        raise ValueError(f"expected the intent to be the only latent field, got"
                         f" {latent.latent_fields}")
    run_seed = seeds.as_seed(seed)
    intents = _likely_intents(latent, seeds.fold_in(run_seed, 0), num_candidates)
    kernel = tfp.mcmc.DualAveragingStepSizeAdaptation(
        tfp.mcmc.HamiltonianMonteCarlo(latent.target_log_prob_fn, step_size=0.05,
                                       num_leapfrog_steps=4),
        num_adaptation_steps=int(0.8 * burnin))

    @tf.function(jit_compile=True, autograph=False)
    def e_step(start: tf.Tensor, chain_seed: tf.Tensor) -> tf.Tensor:
        return tfp.mcmc.sample_chain(num_samples, start, kernel=kernel, num_burnin_steps=burnin,
                                     num_steps_between_results=thinning - 1, trace_fn=None,
                                     seed=chain_seed)

    @tf.function(jit_compile=True, autograph=False)
    def per_sample_score_and_curvature(samples: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return tf.map_fn(lambda s: _score_and_curvature(lambda: latent.target_log_prob_fn(s),
                                                        sensitivity),
                         samples, fn_output_signature=(tf.float32, tf.float32))

    for iteration in range(1, iterations + 1):
        samples = e_step(intents, seeds.fold_in(run_seed, iteration))
        intents = samples[-1]
        scores, curvatures = per_sample_score_and_curvature(samples)
        sensitivity.assign_sub(tf.reduce_mean(scores, 0) / tf.reduce_mean(curvatures, 0))
    scores, curvatures = (x.numpy() for x in per_sample_score_and_curvature(samples))
    information = -curvatures.mean(axis=0) - scores.var(axis=0)
    return SensitivityEstimate(sensitivity.numpy(), np.maximum(information, 1e-12) ** -0.5)


def _likely_intents(latent: LatentTrajectory, seed: tf.Tensor, num_candidates: int) -> tf.Tensor:
    """Per user, the re-simulated intent under which the user's logged behaviour is likeliest."""
    candidates, log_weights = [], []
    for k in range(num_candidates):
        simulated = latent.simulate(seeds.fold_in(seed, k))
        candidates.append(simulated["user_state"].get("intent"))
        log_weights.append(
            tf.reduce_sum(simulated.log_probs["user_state"].get("satisfaction"), axis=0)
            + tf.reduce_sum(simulated.log_probs["user_response"].get("choice"), axis=0))
    best = tf.argmax(tf.stack(log_weights), axis=0)  # [users]
    by_user = tf.transpose(tf.stack(candidates), [2, 0, 1, 3])  # [users, candidates, time, topics]
    return tf.transpose(tf.gather(by_user, best, batch_dims=1), [1, 0, 2])


def demo(num_users: int = 20, horizon: int = 10, seed: int = 0) -> dict[str, float]:
    """Simulates users with sensitivities spread over [0.5, 0.9], then fits both ways."""
    truth = np.linspace(0.5, 0.9, num_users).astype(np.float32)
    simulator, _ = latent_variable_network(num_users, satisfaction_sensitivity=truth)
    from recsim_ng.lib.runtime import TFRuntime
    logged = TFRuntime(simulator).trajectory(horizon, seed)
    results = {}
    model, sensitivity = latent_variable_network(num_users, satisfaction_sensitivity=0.3)
    known = fit_with_logged_intent(model, sensitivity, logged)
    # The best slate utility follows from the latent intent, so it is recomputed, not observed.
    observed = {**logged, "user_state": logged["user_state"].at("satisfaction")}
    model, sensitivity = latent_variable_network(num_users, satisfaction_sensitivity=0.3)
    em = fit_by_monte_carlo_em(model, sensitivity, observed, seed)
    for name, estimate in (("logged_intent", known), ("latent_intent", em)):
        z = (estimate.value - truth) / estimate.standard_error
        results[f"{name}_mean_abs_error"] = float(np.abs(estimate.value - truth).mean())
        results[f"{name}_mean_standard_error"] = float(estimate.standard_error.mean())
        results[f"{name}_max_abs_z"] = float(np.abs(z).max())
    return results


if __name__ == "__main__":
    import json
    print(json.dumps(demo(), indent=1))
