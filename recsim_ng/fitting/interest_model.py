"""Sequential item choice on a catalogue: a user interest that evolves, and three baselines.

Every model picks each next item by a multinomial logit over the catalogue, items already
consumed excluded: logit_i = interest · topics_i + popularity_weight · popularity_i
+ quality_weight · quality_i (see `ItemCovariates`). They differ in the interest:

- `dynamic_interest` (RecSim-style interest evolution): a user's interest (on the logit scale)
  starts at a long-run interest b; consuming item c moves it by step_size · topics_c, and
  after each event it drifts back toward b: s ← b + (1 - drift) · (s - b) + step_size · topics_c.
  b is the population's (here) or each user's, latent N(b, spread²) (`latent_interest`). The
  choice noise is the logit's Gumbel noise, of scale 1 (the usual normalisation).
- `static_preference`: a fixed interest per user (a Gaussian prior of precision
  `prior_precision` per coordinate: the MAP, no standard errors for the per-user part);
- `markov_genre`: affinity · topics of the previous item (the last genre);
- `popularity`: the popularity term alone.

All are fitted by maximum likelihood on exact log-probabilities (`recsim_ng.fitting.estimation`);
`dynamic_interest` is also a simulation network (`recsim_ng.fitting.interest_network`) whose
`log_probability` equals the likelihood computed here.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np
import tensorflow as tf

from recsim_ng.fitting import estimation
from recsim_ng.fitting.catalogue_choice import TopicProfiles, choice_log_likelihoods
from recsim_ng.fitting.sequences import EventSequences, ItemCovariates

MODELS = ("dynamic_interest", "static_preference", "markov_genre", "popularity")


@dataclasses.dataclass(frozen=True)
class ChoiceModelFit:
    """A fitted model: natural-parameter estimates (with covariance) and how the fit went."""

    model: str
    estimates: estimation.Estimates
    theta: np.ndarray
    log_likelihood: float
    num_events: int
    converged: bool
    seconds: float
    exclude_consumed: bool = True
    user_interest: np.ndarray | None = None

    def event_log_likelihoods(self, sequences: EventSequences,
                              covariates: ItemCovariates) -> np.ndarray:
        """The log-probability of each scored event of `sequences` under the fitted model."""
        per_event = log_likelihood_terms(self.model, sequences, covariates,
                                         self.exclude_consumed)(tf.constant(self.theta))
        return per_event.numpy()[sequences.scored]


def fit_choice_model(model: str, sequences: EventSequences, covariates: ItemCovariates,
                     exclude_consumed: bool = True, prior_precision: float = 1.0,
                     max_iterations: int = 500) -> ChoiceModelFit:
    """Maximum likelihood of `model` on the scored events of `sequences`."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if sequences.num_scored == 0:
        raise ValueError("no scored events to fit")
    terms = log_likelihood_terms(model, sequences, covariates, exclude_consumed)
    scored = tf.constant(sequences.scored, tf.float64)
    num_users, num_topics = sequences.num_users, covariates.num_topics

    def log_likelihood(theta: tf.Tensor) -> tf.Tensor:
        total = tf.reduce_sum(terms(theta) * scored)
        if model == "static_preference":
            total -= 0.5 * prior_precision * tf.reduce_sum(theta[:num_users * num_topics] ** 2)
        return total

    start = time.perf_counter()
    initial = np.zeros(_num_parameters(model, num_users, covariates))
    if model == "static_preference":
        optimum = estimation.maximize(log_likelihood, initial, max_iterations, hessian=False,
                                      scale=sequences.num_scored)
    else:
        optimum = estimation.maximize(log_likelihood, initial, max_iterations,
                                      scale=sequences.num_scored)
    names, transform = natural_parameters(model, covariates, num_users)
    estimates = estimation.delta_method(transform, optimum, names)
    user_interest = (optimum.theta[:num_users * num_topics].reshape(num_users, num_topics)
                     if model == "static_preference" else None)
    return ChoiceModelFit(model, estimates, optimum.theta, optimum.log_likelihood,
                          sequences.num_scored, optimum.converged,
                          time.perf_counter() - start, exclude_consumed, user_interest)


def _num_parameters(model: str, num_users: int, covariates: ItemCovariates) -> int:
    num_topics = covariates.num_topics
    return {"dynamic_interest": num_topics - covariates.topics_sum_to_one + 4,
            "static_preference": num_users * num_topics + 2,
            "markov_genre": 3, "popularity": 1}[model]


def dynamics(theta: tf.Tensor, covariates: ItemCovariates) -> dict[str, tf.Tensor]:
    """The dynamic model's natural parameters from its unconstrained vector.

    Layout: long-run interest b, logit(drift), step size, popularity weight, quality weight.
    When every item's topic weights sum to 1, adding a constant to b changes no choice, so b
    is centred (sums to 0) and only its first G - 1 entries are free.
    """
    free = covariates.num_topics - covariates.topics_sum_to_one
    interest = theta[:free]
    if covariates.topics_sum_to_one:
        interest = tf.concat([interest, -tf.reduce_sum(interest, keepdims=True)], 0)
    return {"interest": interest, "drift": tf.sigmoid(theta[free]),
            "step_size": theta[free + 1], "popularity_weight": theta[free + 2],
            "quality_weight": theta[free + 3]}


def natural_parameters(model: str, covariates: ItemCovariates,
                       num_users: int) -> tuple[list[str], Callable[[tf.Tensor], tf.Tensor]]:
    """Names and the map from the unconstrained vector to the reported parameters."""
    num_topics, topic_names = covariates.num_topics, covariates.topic_names
    if model == "dynamic_interest":
        names = [f"interest[{t}]" for t in topic_names] + [
            "step_size", "drift", "popularity_weight", "quality_weight"]

        def transform(theta: tf.Tensor) -> tf.Tensor:
            p = dynamics(theta, covariates)
            return tf.concat([p["interest"], tf.stack([p[n] for n in names[num_topics:]])], 0)

        return names, transform
    if model == "static_preference":
        return ["popularity_weight", "quality_weight"], lambda theta: theta[num_users * num_topics:]
    if model == "markov_genre":
        return ["affinity", "popularity_weight", "quality_weight"], tf.identity
    return ["popularity_weight"], tf.identity


def log_likelihood_terms(model: str, sequences: EventSequences, covariates: ItemCovariates,
                         exclude_consumed: bool = True) -> Callable[[tf.Tensor], tf.Tensor]:
    """theta -> `[N]` per-event log-probabilities (every event; weight them by `scored`)."""
    profiles = TopicProfiles.of(covariates.topics)
    topics = tf.constant(covariates.topics)
    popularity = tf.constant(covariates.popularity)
    quality = tf.constant(covariates.quality)
    num_topics, num_users = covariates.num_topics, sequences.num_users
    event_topics = tf.gather(topics, sequences.item)

    def terms(interest: tf.Tensor, popularity_weight, quality_weight=0.0) -> tf.Tensor:
        bias = popularity_weight * popularity + quality_weight * quality
        return choice_log_likelihoods(interest, bias, sequences, profiles, exclude_consumed)

    if model == "dynamic_interest":
        per_user = dynamic_terms(sequences, covariates, exclude_consumed)
        return lambda theta: per_user(dynamics(theta, covariates))
    if model == "static_preference":
        return lambda theta: terms(
            tf.gather(tf.reshape(theta[:num_users * num_topics], [num_users, num_topics]),
                      sequences.user), theta[-2], theta[-1])
    if model == "markov_genre":
        first = tf.constant(sequences.step == 0)[:, None]
        previous = tf.where(first, tf.zeros_like(event_topics), tf.roll(event_topics, 1, 0))
        return lambda theta: terms(theta[0] * previous, theta[1], theta[2])
    zeros = tf.zeros([len(sequences.item), num_topics], tf.float64)
    return lambda theta: terms(zeros, theta[0])


def dynamic_terms(sequences: EventSequences, covariates: ItemCovariates,
                  exclude_consumed: bool = True
                  ) -> Callable[[dict[str, tf.Tensor], tf.Tensor | None], tf.Tensor]:
    """(natural parameters, optional `[U, G]` per-user long-run interests) -> `[N]` log-probs.

    Without per-user interests every user's long-run interest is `parameters["interest"]`.
    """
    profiles = TopicProfiles.of(covariates.topics)
    popularity = tf.constant(covariates.popularity)
    quality = tf.constant(covariates.quality)
    trajectory = _time_major(sequences, covariates.topics)
    events = np.stack([sequences.step, sequences.user], 1)

    def terms(p: dict[str, tf.Tensor], user_interest: tf.Tensor | None = None) -> tf.Tensor:
        history = tf.gather_nd(consumption_history(p["drift"], trajectory), events)
        long_run = (p["interest"] if user_interest is None
                    else tf.gather(user_interest, sequences.user))
        bias = p["popularity_weight"] * popularity + p["quality_weight"] * quality
        return choice_log_likelihoods(long_run + p["step_size"] * history, bias, sequences,
                                      profiles, exclude_consumed)

    return terms


def _time_major(sequences: EventSequences, topics: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
    """`([T, U, G] consumed topics, [T, U] valid)`: the trajectory layout of the events."""
    shape = (sequences.length, sequences.num_users)
    consumed = np.zeros(shape + (topics.shape[1],))
    valid = np.zeros(shape)
    consumed[sequences.step, sequences.user] = topics[sequences.item]
    valid[sequences.step, sequences.user] = 1.0
    return tf.constant(consumed), tf.constant(valid)


def consumption_history(drift: tf.Tensor, trajectory: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
    """`[T, U, G]`: before each event, the sum of earlier events' topics, each decayed by
    (1 - drift) per event since (interest = b + step_size * this)."""
    consumed, valid = trajectory

    def update(history: tf.Tensor, step: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        topics, happened = step
        return tf.where(happened[:, None] > 0, (1.0 - drift) * history + topics, history)

    start = tf.zeros_like(consumed[0])
    after = tf.scan(update, (consumed, valid), initializer=start)
    return tf.concat([start[None], after[:-1]], 0)
