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
from recsim_ng.lib.runtime import Trajectory, TFRuntime
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


OnStep = Callable[[int, np.ndarray], None]  # (Newton step or EM iteration, current estimates)
METHODS = ("logged_intent", "latent_intent")


@dataclasses.dataclass(frozen=True)
class SensitivityEstimate:
    """Per-user estimates and their standard errors; Monte-Carlo EM also keeps its last HMC
    sample of the intents `[num_samples, time, users, topics]`."""

    value: np.ndarray
    standard_error: np.ndarray
    intent_samples: np.ndarray | None = None


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
                           trajectory: NetworkValue, newton_steps: int = 4,
                           on_step: OnStep | None = None) -> SensitivityEstimate:
    """Maximum likelihood given fully logged trajectories (the objective is quadratic); each
    Newton step's derivatives are one XLA-compiled program. `on_step` sees each step's
    estimates."""
    @tf.function(jit_compile=True, autograph=False)
    def score_and_curvature() -> tuple[tf.Tensor, tf.Tensor]:
        return _score_and_curvature(lambda: log_probability(network, trajectory), sensitivity)

    for step in range(1, newton_steps + 1):
        score, curvature = score_and_curvature()
        sensitivity.assign_sub(score / curvature)
        if on_step is not None:
            on_step(step, sensitivity.numpy())
    _, curvature = score_and_curvature()
    return SensitivityEstimate(sensitivity.numpy(), (-curvature.numpy()) ** -0.5)


def fit_by_monte_carlo_em(network: Network, sensitivity: tf.Variable, observed: NetworkValue,
                          seed: seeds.Seed, iterations: int = 6, num_samples: int = 20,
                          burnin: int = 100, thinning: int = 5,
                          num_candidates: int = 64,
                          on_step: OnStep | None = None) -> SensitivityEstimate:
    """Monte-Carlo EM over the latent intents, which `observed` must leave out; `on_step` sees
    each iteration's estimates.

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
        if on_step is not None:
            on_step(iteration, sensitivity.numpy())
    scores, curvatures = (x.numpy() for x in per_sample_score_and_curvature(samples))
    information = -curvatures.mean(axis=0) - scores.var(axis=0)
    return SensitivityEstimate(sensitivity.numpy(), np.maximum(information, 1e-12) ** -0.5,
                               samples.numpy())


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


def simulated_log(num_users: int = 20, horizon: int = 10,
                  seed: int = 0) -> tuple[np.ndarray, Trajectory]:
    """The true sensitivities, spread over [0.5, 0.9], and a log of `horizon` steps of users
    simulated with them."""
    truth = np.linspace(0.5, 0.9, num_users).astype(np.float32)
    simulator, _ = latent_variable_network(num_users, satisfaction_sensitivity=truth)
    return truth, TFRuntime(simulator).trajectory(horizon, seed)


def fit_sensitivities(method: str, logged: Trajectory, seed: int = 0,
                      initial_sensitivity: float = 0.3, on_step: OnStep | None = None,
                      **options: int) -> SensitivityEstimate:
    """The sensitivities fitted to `logged` from `initial_sensitivity`: with the intent logged
    (`method` "logged_intent", by Newton; `options` of `fit_with_logged_intent`) or latent
    ("latent_intent", by Monte-Carlo EM; `options` of `fit_by_monte_carlo_em`)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    num_users = logged["user_state"].get("satisfaction").shape[1]
    model, sensitivity = latent_variable_network(num_users,
                                                 satisfaction_sensitivity=initial_sensitivity)
    if method == "logged_intent":
        return fit_with_logged_intent(model, sensitivity, logged, on_step=on_step, **options)
    # The best slate utility follows from the latent intent, so it is recomputed, not observed.
    observed = {**logged, "user_state": logged["user_state"].at("satisfaction")}
    return fit_by_monte_carlo_em(model, sensitivity, observed, seed, on_step=on_step, **options)


def estimate_errors(estimate: SensitivityEstimate, truth: np.ndarray) -> dict[str, float]:
    """Mean absolute error, mean standard error and largest |z| of `estimate` against `truth`."""
    z = (estimate.value - truth) / estimate.standard_error
    return {"mean_abs_error": float(np.abs(estimate.value - truth).mean()),
            "mean_standard_error": float(estimate.standard_error.mean()),
            "max_abs_z": float(np.abs(z).max())}


def demo(num_users: int = 20, horizon: int = 10, seed: int = 0) -> dict[str, float]:
    """Simulates users with sensitivities spread over [0.5, 0.9], then fits both ways."""
    truth, logged = simulated_log(num_users, horizon, seed)
    return {f"{method}_{name}": value for method in METHODS
            for name, value in estimate_errors(fit_sensitivities(method, logged, seed),
                                               truth).items()}


if __name__ == "__main__":
    import json
    print(json.dumps(demo(), indent=1))
