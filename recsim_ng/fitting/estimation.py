"""Maximum likelihood with standard errors: L-BFGS to the optimum, then the observed information.

Models hand over a log-likelihood of one unconstrained float64 parameter vector; natural
parameters (rates in (0, 1), positive scales) come out by the delta method.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import tensorflow as tf
import tensorflow_probability as tfp

LogLikelihood = Callable[[tf.Tensor], tf.Tensor]


@dataclasses.dataclass(frozen=True)
class Estimates:
    """Named estimates with their covariance (the inverse observed information)."""

    names: tuple[str, ...]
    values: np.ndarray
    covariance: np.ndarray

    @property
    def standard_errors(self) -> np.ndarray:
        return np.sqrt(np.maximum(np.diag(self.covariance), 0.0))

    def __getitem__(self, name: str) -> float:
        return float(self.values[self.names.index(name)])

    def standard_error(self, name: str) -> float:
        return float(self.standard_errors[self.names.index(name)])

    def table(self) -> pd.DataFrame:
        """Estimate, standard error and 95% Wald interval per parameter."""
        se = self.standard_errors
        return pd.DataFrame({"estimate": self.values, "standard_error": se,
                             "low": self.values - 1.96 * se, "high": self.values + 1.96 * se},
                            index=pd.Index(self.names, name="parameter"))

    def to_json(self) -> dict:
        """Plain lists for strict JSON: +inf (the variance of a direction the data do not
        identify) is written as null, which `from_json` reads back as +inf; NaN or -inf raise."""
        return {"names": list(self.names), "values": _json_list(self.values),
                "covariance": _json_list(self.covariance)}

    @classmethod
    def from_json(cls, data: dict) -> "Estimates":
        """The inverse of `to_json` (null reads as +inf)."""
        return cls(tuple(data["names"]), _json_array(data["values"]),
                   _json_array(data["covariance"]))

    def delta_method(self, transform: Callable[[tf.Tensor], tf.Tensor],
                     names: Sequence[str]) -> "Estimates":
        """`transform(values)` with covariance J Σ Jᵀ, like `delta_method` for an `Optimum`."""
        return _delta_method(transform, self.values, self.covariance, names)


@dataclasses.dataclass(frozen=True)
class Optimum:
    """Where L-BFGS stopped: the unconstrained parameters, their covariance, the log-likelihood."""

    theta: np.ndarray
    covariance: np.ndarray
    log_likelihood: float
    converged: bool
    iterations: int


def maximize(log_likelihood: LogLikelihood, initial: np.ndarray, max_iterations: int = 500,
             tolerance: float = 1e-8, hessian: bool = True, scale: float = 1.0) -> Optimum:
    """Maximises `log_likelihood(theta)` from `initial`; covariance = inverse of minus the Hessian.

    `hessian=False` (many nuisance parameters) skips it: the covariance is then all infinite.
    The optimiser sees `log_likelihood / scale` (pass the number of events, so its first steps
    are of sensible size).

    A Hessian that is not negative definite at the optimum (a parameter the data do not
    identify) gives infinite variances on the pseudo-inverse's null space rather than a
    misleadingly small interval.
    """
    initial = tf.constant(np.asarray(initial, np.float64))

    @tf.function(autograph=False)
    def value_and_gradient(theta: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return tfp.math.value_and_gradient(lambda t: -log_likelihood(t) / scale, theta)

    result = tfp.optimizer.lbfgs_minimize(value_and_gradient, initial,
                                          max_iterations=max_iterations, tolerance=tolerance,
                                          f_relative_tolerance=1e-12)
    theta = result.position
    if hessian:
        covariance = inverse_information(-observed_hessian(log_likelihood, theta).numpy())
    else:
        covariance = np.full([theta.shape[0]] * 2, np.inf)
    return Optimum(theta.numpy(), covariance, float(-result.objective_value.numpy() * scale),
                   bool(result.converged.numpy()), int(result.num_iterations.numpy()))


def observed_hessian(log_likelihood: LogLikelihood, theta: tf.Tensor) -> tf.Tensor:
    """The Hessian of `log_likelihood` at `theta`, symmetrised."""

    @tf.function(autograph=False)
    def hessian(theta: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as outer:
            outer.watch(theta)
            with tf.GradientTape() as inner:
                inner.watch(theta)
                value = log_likelihood(theta)
            gradient = inner.gradient(value, theta)
        return outer.jacobian(gradient, theta, experimental_use_pfor=False)

    matrix = hessian(tf.convert_to_tensor(theta, tf.float64))
    return 0.5 * (matrix + tf.transpose(matrix))


def inverse_information(information: np.ndarray) -> np.ndarray:
    """The pseudo-inverse, with infinite variance for parameters in the null space.

    A parameter with a visible loading on a (numerically) flat direction of the likelihood is
    not identified: its variance and covariances are infinite; the rest invert normally.
    """
    values, vectors = np.linalg.eigh(information)
    scale = max(float(np.abs(values).max()), 1e-300)
    flat = values <= 1e-9 * scale
    covariance = (vectors[:, ~flat] / values[~flat]) @ vectors[:, ~flat].T
    unidentified = (np.abs(vectors[:, flat]) > 1e-3).any(axis=1)
    covariance[unidentified, :] = np.inf
    covariance[:, unidentified] = np.inf
    return covariance


def delta_method(transform: Callable[[tf.Tensor], tf.Tensor], optimum: Optimum,
                 names: Sequence[str]) -> Estimates:
    """Natural parameters `transform(theta)` with covariance J Σ Jᵀ (J its Jacobian)."""
    return _delta_method(transform, optimum.theta, optimum.covariance, names)


def _delta_method(transform: Callable[[tf.Tensor], tf.Tensor], theta: np.ndarray,
                  covariance: np.ndarray, names: Sequence[str]) -> Estimates:
    theta = tf.constant(theta)
    with tf.GradientTape() as tape:
        tape.watch(theta)
        values = transform(theta)
    jacobian = tape.jacobian(values, theta).numpy()
    covariance = _sandwich(jacobian, covariance)
    if len(names) != values.shape[0]:
        raise ValueError(f"{len(names)} names for {values.shape[0]} parameters")
    return Estimates(tuple(names), values.numpy(), covariance)


def _sandwich(jacobian: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    finite = np.isfinite(covariance).all(axis=1)
    result = jacobian[:, finite] @ covariance[np.ix_(finite, finite)] @ jacobian[:, finite].T
    touches_unidentified = (np.abs(jacobian[:, ~finite]) > 0).any(axis=1)
    result[touches_unidentified, :] = np.inf
    result[:, touches_unidentified] = np.inf
    return result


def clustered_mean(values: np.ndarray, clusters: np.ndarray) -> tuple[float, float]:
    """The mean of `values` and its standard error with observations correlated within clusters.

    (Events of one user are not independent; the cluster-robust variance treats each user's
    sum as one draw.)
    """
    values = np.asarray(values, float)
    if len(values) == 0:
        raise ValueError("no values to average")
    mean = float(values.mean())
    _, index = np.unique(clusters, return_inverse=True)
    residual = np.bincount(index.reshape(-1), values - mean)
    num_clusters = len(residual)
    correction = num_clusters / max(num_clusters - 1, 1)
    return mean, float(np.sqrt(correction * np.sum(residual ** 2)) / len(values))


def _json_list(array: np.ndarray) -> list:
    if np.isnan(array).any() or np.isneginf(array).any():
        raise ValueError("strict JSON can hold +inf (as null) but not NaN or -inf")
    return np.where(np.isposinf(array), None, array).tolist()


def _json_array(data: list) -> np.ndarray:
    array = np.asarray(data, dtype=object)
    missing = np.vectorize(lambda x: x is None, otypes=[bool])(array)
    return np.where(missing, np.inf, array).astype(np.float64)
