"""`StateModel`: an entity whose state is drawn at the first step and evolves afterwards.

State models return `Value`s whose fields are TFP distributions, callables of earlier fields or
tensors (see `recsim_ng.lib.sampling`); the runtime draws them, so a model never samples itself
and every random draw it makes can be scored by `log_probability`.
"""

from __future__ import annotations

import abc
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.lib.checks import check_finite, checked_in_graph, is_concrete
from recsim_ng.lib.entity import Entity

LinearOpCtor = Callable[[Any], tf.linalg.LinearOperator]  # Builds an operator from a parameter.


class StateModel(Entity, abc.ABC):
    """The state of a batch of actors: an initial distribution and a transition.

    Every field has the leading axes `batch_shape` (one element per user, say). Tensor
    parameters may be given at construction or per call as a `Value`: a per-call field overrides
    the constructor's, so a story can feed parameters from another variable (e.g. a prior).

    Floating parameters must be finite, except those named in `_LOGITS` (no NaN or +inf, and not
    all -inf along the last axis: -inf is an impossible outcome) and `_SCALES` (finite and > 0).
    Concrete ones (numbers, arrays, eager tensors) are checked when given, variables and traced
    tensors in-graph whenever used (see `recsim_ng.lib.checks.checked_in_graph`).
    """

    _LOGITS: frozenset[str] = frozenset()
    _SCALES: frozenset[str] = frozenset()

    def __init__(self, batch_shape: Sequence[int] = (), name: str = "StateModel",
                 parameters: Mapping[str, Any] | None = None):
        super().__init__(name=name)
        shape = tf.TensorShape(batch_shape)
        if not shape.is_fully_defined():
            raise ValueError(f"{name}: batch_shape must be fully defined, got {batch_shape}")
        self._batch_shape = tuple(shape.as_list())
        self._parameters = {}
        self._add_parameters(parameters or {})

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The leading axes shared by every field of the state."""
        return self._batch_shape

    @abc.abstractmethod
    def initial_state(self, parameters: Value | None = None) -> Value:
        """The state at the first step."""

    @abc.abstractmethod
    def next_state(self, previous_state: Value, inputs: Value | None = None,
                   parameters: Value | None = None) -> Value:
        """The state one step after `previous_state`, given this step's `inputs`."""

    @abc.abstractmethod
    def specs(self) -> ValueSpec:
        """The spec of the values returned by `initial_state` and `next_state`."""

    def _check_parameters(self, parameters: Value | None) -> None:
        """Rejects per-call parameters this model does not take."""
        if parameters is None:
            return
        unknown = [field for field in parameters if field not in self._parameters]
        if unknown:
            raise ValueError(f"{self.name}: unknown parameters {unknown}; this model takes"
                             f" {sorted(self._parameters) or 'none'}")

    def _parameter(self, name: str, parameters: Value | None) -> Any:
        """The parameter `name`: the per-call one if given, else the constructor's."""
        self._check_parameters(parameters)
        if parameters is not None and name in parameters:
            return self._checked(name, parameters.get(name))
        if self._parameters.get(name) is None:
            raise ValueError(f"{self.name}: parameter {name!r} was given neither at construction"
                             " nor per call")
        value = self._parameters[name]
        return value if is_concrete(value) else self._checked(name, value)

    def _add_parameters(self, parameters: Mapping[str, Any]) -> None:
        """Takes the constructor's `parameters`, checking the concrete ones now."""
        for name, value in parameters.items():
            if value is not None and is_concrete(value):
                self._check_concrete(name, value)
        self._parameters.update(parameters)

    def _check_concrete(self, name: str, value: Any) -> None:
        """A `ValueError` naming the parameter unless it is valid (see the class docstring)."""
        array = np.asarray(value)
        if not np.issubdtype(array.dtype, np.floating):
            return
        what = f"{self.name}: parameter {name!r}"
        if name in self._LOGITS:
            check_finite(what, array[array != -np.inf])
            if array.ndim and np.any(np.all(array == -np.inf, axis=-1)):
                raise ValueError(f"{what} must not be -inf along a whole last axis")
        else:
            check_finite(what, array, low=0.0 if name in self._SCALES else None, low_open=True)

    def _checked(self, name: str, value: Any) -> Any:
        """`value`, checked as the class docstring says: at once if it is concrete (a
        `ValueError`), else in-graph (the checked tensor is returned). Non-floating values pass."""
        if is_concrete(value):
            self._check_concrete(name, value)
            return value
        tensor = tf.convert_to_tensor(value)
        if not tensor.dtype.is_floating:
            return value
        if name in self._LOGITS:
            valid = ~tf.math.is_nan(tensor) & (tensor < np.inf)
            valid &= tf.reduce_any(tensor > -np.inf, -1, keepdims=True)
            requirement = "free of NaN and +inf, and not -inf along a whole last axis"
        elif name in self._SCALES:
            valid, requirement = tf.math.is_finite(tensor) & (tensor > 0), "finite and > 0"
        else:
            valid, requirement = tf.math.is_finite(tensor), "finite"
        return checked_in_graph(f"{self.name}: parameter {name!r}", tensor, valid, requirement)

    def _static_parameter(self, name: str) -> Any:
        """The constructor's parameter `name`, or None (e.g. to work out specs)."""
        return self._parameters.get(name)

    def _input(self, inputs: Value | None, field: str) -> tf.Tensor:
        """The field `field` of `next_state`'s inputs."""
        if inputs is None or field not in inputs:
            raise ValueError(f"{self.name}: next_state needs inputs with a field {field!r}")
        return tf.convert_to_tensor(inputs.get(field))

    def _broadcast(self, parameter: Any, event_ndims: int, what: str) -> tf.Tensor:
        """`parameter` with its batch axes (all but the last `event_ndims`) on `batch_shape`."""
        tensor = tf.convert_to_tensor(parameter)
        split = tensor.shape.rank - event_ndims
        if split < 0:
            raise ValueError(f"{self.name}: {what} of shape {tensor.shape} has fewer than"
                             f" {event_ndims} axes")
        check_batch_shape(self, tensor.shape[:split], what)
        return tf.broadcast_to(tensor, self._batch_shape + tuple(tensor.shape[split:]))


def check_batch_shape(model: StateModel, shape: tf.TensorShape | Sequence[int],
                      what: str) -> None:
    """Raises a `ValueError` naming `what` unless `shape` broadcasts to the model's batch shape."""
    try:
        broadcast = tf.broadcast_static_shape(tf.TensorShape(shape),
                                              tf.TensorShape(model.batch_shape))
    except ValueError:
        broadcast = None
    if broadcast is None or broadcast.as_list() != list(model.batch_shape):
        raise ValueError(f"{model.name}: {what} has batch shape {tf.TensorShape(shape)}, which"
                         f" does not broadcast to batch_shape {model.batch_shape}")


def gather_per_element(params: tf.Tensor, indices: tf.Tensor, event_ndims: int) -> tf.Tensor:
    """`params[b..., indices[b...]]` for every batch element b.

    `params` is `[*P, N, *E]` with `len(E) == event_ndims`; `indices` is `[*Q]`; `P` and `Q`
    broadcast. The result is `[*broadcast(P, Q), *E]`.
    """
    params, indices = tf.convert_to_tensor(params), tf.convert_to_tensor(indices)
    split = params.shape.rank - event_ndims - 1
    batch = tf.broadcast_static_shape(params.shape[:split], indices.shape)
    params = tf.broadcast_to(params, batch.concatenate(params.shape[split:]))
    indices = tf.broadcast_to(indices, batch)
    return tf.gather(params, indices, axis=batch.rank, batch_dims=batch.rank)
