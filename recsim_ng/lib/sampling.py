"""Turning a variable's raw value (tensors, TFP distributions, callables) into a concrete value.

A variable's function may return, per field:
- a tensor (or anything convertible): a deterministic field;
- a `tfd.Distribution`: a random field, sampled with a stateless seed;
- a callable whose parameters name earlier fields of the same value (dots written as `_`): it
  receives their resolved values and returns a distribution or a tensor, in the style of
  `tfd.JointDistributionNamed`; parameters with defaults that name no field keep their default.
Fields resolve in order, so a callable sees the draws of the fields before it.

Draws come from raw Philox words (`recsim_ng.lib.draws`), so a seed gives the same uniforms in
eager, graph and XLA mode; what is computed from them agrees to float rounding across modes.
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, Variable
from recsim_ng.lib import draws, seeds

tfd = tfp.distributions

LogProbs = dict[str, dict[str, tf.Tensor]]  # variable -> dotted field -> log-prob tensor


def sample(distribution: tfd.Distribution, seed: tf.Tensor, variable_name: str) -> tf.Tensor:
    """One draw of a field of `variable_name`, from the same uniforms in eager, graph and XLA mode
    (and, under `draws.sharded_draws`, its users' block of the whole draw)."""
    with draws.exact_sampling(), draws.drawing_variable(variable_name):
        return distribution.sample(seed=seed)


def sample_and_log_prob(distribution: tfd.Distribution, seed: tf.Tensor,
                        variable_name: str) -> tuple[tf.Tensor, tf.Tensor]:
    """`sample`'s draw and its log-prob, shared work where the distribution allows."""
    with draws.exact_sampling(), draws.drawing_variable(variable_name):
        return distribution.experimental_sample_and_log_prob(seed=seed)


def is_random(leaf: Any) -> bool:
    return isinstance(leaf, tfd.Distribution)


def _is_lazy(leaf: Any) -> bool:
    return callable(leaf) and not isinstance(
        leaf, (tfd.Distribution, tf.Tensor, tf.Variable, np.ndarray, tf.Module))


def _call_lazy(variable: Variable, field_name: str, fn: Any, resolved: Mapping[str, Any]) -> Any:
    by_argument_name = {name.replace(".", "_"): leaf for name, leaf in resolved.items()}
    arguments = {}
    for parameter, declared in inspect.signature(fn).parameters.items():
        if parameter not in by_argument_name:
            if declared.default is not inspect.Parameter.empty:
                continue  # E.g. a closure's `docs=docs`: not an earlier field.
            raise ValueError(
                f"variable {variable.name!r}, field {field_name!r}: callable argument"
                f" {parameter!r} names no earlier field (earlier: {sorted(by_argument_name)})")
        arguments[parameter] = by_argument_name[parameter]
    return fn(**arguments)


def _kind(dtype: tf.DType) -> str:
    return "bool" if dtype == tf.bool else "integer" if dtype.is_integer else "float"


def _as_dtype_of(distribution: tfd.Distribution, logged: Any, variable: Variable,
                 field_name: str) -> tf.Tensor:
    """A logged value in the distribution's dtype (e.g. from float64 or int64 logs), refusing
    casts between kinds, which would truncate (a float logged for an integer draw)."""
    logged = tf.convert_to_tensor(logged)
    if distribution.dtype is None or logged.dtype == distribution.dtype:
        return logged
    if _kind(logged.dtype) != _kind(distribution.dtype):
        raise ValueError(f"variable {variable.name!r}, field {field_name!r}: logged"
                         f" {logged.dtype.name} values for a {distribution.dtype.name} draw")
    return tf.cast(logged, distribution.dtype)


def mismatch(computed: tf.Tensor, logged: tf.Tensor) -> tf.Tensor:
    """How far `computed` is from `logged`: for floats max |c - l| / (1e-4 + 1e-3 max |l|), so
    above 1 means beyond float rounding, measured on the field's scale (rounding follows the
    size of the operands, not of the result) and allowing for what accumulates over a run and
    differs between graph mode, XLA and TensorFlow releases; for integers and booleans 2 if any
    element differs, else 0."""
    computed, logged = tf.convert_to_tensor(computed), tf.convert_to_tensor(logged)
    if not computed.dtype.is_floating:
        return 2.0 * tf.cast(tf.reduce_any(computed != tf.cast(logged, computed.dtype)),
                             tf.float32)
    computed, logged = tf.cast(computed, tf.float32), tf.cast(logged, tf.float32)
    scale = tf.maximum(tf.reduce_max(tf.abs(logged)), 0.0)  # 0, not -inf, for no elements
    return tf.reduce_max(tf.abs(computed - logged)) / (1e-4 + 1e-3 * scale)


class FieldResolver:
    """Resolves raw values for one phase of one step: samples or scores every random field.

    Random fields present in `observed` take their observed value (the variable is conditioned
    on it) and are scored; deterministic fields are always computed, so they stay consistent
    with what they derive from; other random fields are sampled with their seed from
    `field_seeds` (none is needed when everything random is observed). With `record_log_probs`,
    `log_probs` collects the log-prob of every random field's value.
    """

    def __init__(self, field_seeds: seeds.FieldSeeds | None,
                 observed: Mapping[str, Value] | None = None, record_log_probs: bool = False):
        self._field_seeds = field_seeds
        self._observed = observed or {}
        self._record = record_log_probs
        self.log_probs: LogProbs = {}

    def __call__(self, variable: Variable, raw: Value) -> Value:
        observed = self._observed[variable.name].as_dict if variable.name in self._observed else {}
        resolved: dict[str, Any] = {}
        log_probs: dict[str, tf.Tensor] = {}
        for field_name, leaf in raw.as_dict.items():
            if _is_lazy(leaf):
                leaf = _call_lazy(variable, field_name, leaf, resolved)
            if not is_random(leaf):
                resolved[field_name] = leaf
            elif field_name in observed:
                resolved[field_name] = _as_dtype_of(leaf, observed[field_name], variable,
                                                    field_name)
            elif self._field_seeds is None:
                raise ValueError(f"variable {variable.name!r}, field {field_name!r} is random but"
                                 " not observed, and no seeds were given to draw it")
            else:
                seed = self._field_seeds[variable.name, field_name]
                if self._record:
                    resolved[field_name], log_probs[field_name] = sample_and_log_prob(
                        leaf, seed, variable.name)
                else:
                    resolved[field_name] = sample(leaf, seed, variable.name)
            if is_random(leaf) and self._record and field_name not in log_probs:
                log_probs[field_name] = leaf.log_prob(resolved[field_name])
        if log_probs:
            self.log_probs[variable.name] = log_probs
        return Value(**resolved)
