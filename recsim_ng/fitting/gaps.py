"""Time between a user's events: a share of instant repeats (same second) and a log-normal mixture.

Logs batch events (MovieLens stores half its ratings in the same second as the previous one),
and positive gaps mix a within-session scale (seconds to minutes) with a between-session one
(days), hence two log-normal components, fitted by maximum likelihood.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.data.event_log import EventLog
from recsim_ng.fitting import estimation, validity

tfd = tfp.distributions


@dataclasses.dataclass(frozen=True)
class GapModel:
    """`instant_share` of gaps are 0; the rest are log-normal with these mixture parameters."""

    instant_share: float
    weights: tuple[float, float]
    log_means: tuple[float, float]
    log_scales: tuple[float, float]

    def positive(self, shape) -> tfd.Distribution:
        """The positive gaps' distribution (seconds), batched to `shape`."""
        def batched(values):
            return tf.broadcast_to(tf.constant(values, tf.float32),
                                   tf.concat([shape, [len(values)]], 0))

        return tfd.MixtureSameFamily(tfd.Categorical(probs=batched(self.weights)),
                                     tfd.LogNormal(batched(self.log_means),
                                                   batched(self.log_scales)))

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "GapModel":
        return cls(float(data["instant_share"]), *(tuple(map(float, data[k]))
                                                    for k in ("weights", "log_means",
                                                              "log_scales")))


def fit_gap_model(log: EventLog, rows: np.ndarray | None = None) -> GapModel:
    """The instant share, then the two log-normal components of the positive gaps by ML."""
    gaps = validity.gaps(log if rows is None else log.select(rows))
    if len(gaps) == 0:
        raise ValueError("no user has two events: the gaps cannot be fitted")
    positive = np.log(gaps[gaps > 0])
    if len(positive) < 10:
        raise ValueError(f"only {len(positive)} positive gaps: too few to fit their distribution")
    data = tf.constant(positive)

    def log_likelihood(theta: tf.Tensor) -> tf.Tensor:
        mixture = tfd.MixtureSameFamily(
            tfd.Categorical(logits=tf.stack([tf.constant(0.0, tf.float64), theta[0]])),
            tfd.Normal(theta[1:3], tf.exp(theta[3:5])))
        return tf.reduce_sum(mixture.log_prob(data))

    low, high = np.quantile(positive, [0.25, 0.75])
    spread = np.log(max(positive.std() / 2, 1e-3))
    optimum = estimation.maximize(log_likelihood, [0.0, low, high, spread, spread],
                                  hessian=False, scale=len(positive))
    theta = optimum.theta
    second = 1 / (1 + np.exp(-theta[0]))
    return GapModel(float(np.mean(gaps == 0)), (1 - second, second),
                    (float(theta[1]), float(theta[2])),
                    (float(np.exp(theta[3])), float(np.exp(theta[4]))))
