"""State models that pick, per batch element, between two transitions by a boolean condition.

Both transitions are always computed and kept as fields under the prefixes `tbranch.` and
`fbranch.`, so every random draw is a field the runtime records and `log_probability` scores;
the model's own fields are deterministic per-element selections from the two branches.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.state_models.state import StateModel

_PREFIXES = ("tbranch", "fbranch")


class SwitchingDynamicsStateModel(StateModel):
    """Advances each element with `dynamics_tbranch` where `inputs.condition`, else the other.

    `condition` is a boolean `[*batch_shape]` field of `next_state`'s inputs; both branches get
    the same inputs and must produce the same fields. The initial state is the t-branch's, and
    at that step both prefixed copies hold it. Per-call parameters go under the prefixes
    `tbranch` and `fbranch`.
    """

    def __init__(self, dynamics_tbranch: StateModel, dynamics_fbranch: StateModel,
                 name: str = "SwitchingDynamicsStateModel"):
        if dynamics_tbranch.batch_shape != dynamics_fbranch.batch_shape:
            raise ValueError(f"{name}: the branches' batch shapes {dynamics_tbranch.batch_shape}"
                             f" and {dynamics_fbranch.batch_shape} differ")
        super().__init__(dynamics_tbranch.batch_shape, name, dict.fromkeys(_PREFIXES))
        self._tbranch, self._fbranch = dynamics_tbranch, dynamics_fbranch
        self._fields = tuple(dynamics_tbranch.specs().as_dict)
        other_fields = tuple(dynamics_fbranch.specs().as_dict)
        if self._fields != other_fields:
            raise ValueError(f"{name}: the branches' fields {self._fields} and {other_fields}"
                             " differ")
        nested = [field for field in self._fields if field.split(".")[0] in _PREFIXES]
        if nested:
            raise ValueError(f"{name}: branch fields {nested} would clash with this model's"
                             " prefixes; a branch cannot itself be a switching model")

    def initial_state(self, parameters: Value | None = None) -> Value:
        initial = self._tbranch.initial_state(self._branch_parameters(parameters, "tbranch"))
        copies = {name: _field_function(lambda x: x, [_argument("tbranch", name)])
                  for name in self._fields}
        return Value(**_prefixed(initial, "tbranch"),
                     **{f"fbranch.{name}": copy for name, copy in copies.items()}, **copies)

    def next_state(self, previous_state: Value, inputs: Value | None = None,
                   parameters: Value | None = None) -> Value:
        condition = self._input(inputs, "condition")
        if condition.dtype != tf.bool or condition.shape != self.batch_shape:
            raise ValueError(f"{self.name}: condition must be a bool tensor of shape"
                             f" {self.batch_shape}, got {condition.dtype.name} {condition.shape}")
        previous = previous_state.at(*self._fields)
        tbranch = self._tbranch_next_state(previous, inputs,
                                           self._branch_parameters(parameters, "tbranch"))
        fbranch = self._fbranch.next_state(previous, inputs,
                                           self._branch_parameters(parameters, "fbranch"))

        def select(true_value: Any, false_value: Any) -> tf.Tensor:
            true_value, false_value = map(tf.convert_to_tensor, (true_value, false_value))
            extra_axes = true_value.shape.rank - condition.shape.rank
            return tf.where(tf.reshape(condition, condition.shape + (1,) * extra_axes),
                            true_value, false_value)

        merged = {name: _field_function(select, [_argument("tbranch", name),
                                                 _argument("fbranch", name)])
                  for name in self._fields}
        return Value(**_prefixed(tbranch, "tbranch"), **_prefixed(fbranch, "fbranch"), **merged)

    def _tbranch_next_state(self, previous_state: Value, inputs: Value | None,
                            parameters: Value | None) -> Value:
        """The t-branch's transition."""
        return self._tbranch.next_state(previous_state, inputs, parameters)

    def _branch_parameters(self, parameters: Value | None, branch: str) -> Value | None:
        """The per-call parameters of one branch."""
        self._check_parameters(parameters)
        return parameters.get(branch) if parameters is not None and branch in parameters else None

    def specs(self) -> ValueSpec:
        return Value(**{f"tbranch.{k}": v for k, v in self._tbranch.specs().as_dict.items()},
                     **{f"fbranch.{k}": v for k, v in self._fbranch.specs().as_dict.items()},
                     **self._tbranch.specs().as_dict)


class ResetOrContinueStateModel(SwitchingDynamicsStateModel):
    """Re-draws an element's state from the initial distribution where `inputs.condition`.

    E.g. a user who leaves is replaced by a new one. Per-call parameters are the wrapped
    model's, unprefixed.
    """

    def __init__(self, state_model: StateModel, name: str = "ResetOrContinueStateModel"):
        super().__init__(state_model, state_model, name)

    def _tbranch_next_state(self, previous_state: Value, inputs: Value | None,
                            parameters: Value | None) -> Value:
        del previous_state, inputs
        return self._tbranch.initial_state(parameters)

    def _branch_parameters(self, parameters: Value | None, branch: str) -> Value | None:
        del branch
        return parameters


class NoOPOrContinueStateModel(SwitchingDynamicsStateModel):
    """Keeps an element's state unchanged where `inputs.condition`, else advances it.

    E.g. a user who is not active at this step. Per-call parameters are the wrapped model's,
    unprefixed.
    """

    def __init__(self, state_model: StateModel, name: str = "NoOPOrContinueStateModel"):
        super().__init__(state_model, state_model, name)

    def _tbranch_next_state(self, previous_state: Value, inputs: Value | None,
                            parameters: Value | None) -> Value:
        del inputs, parameters
        return previous_state

    def _branch_parameters(self, parameters: Value | None, branch: str) -> Value | None:
        del branch
        return parameters


def _argument(prefix: str, field_name: str) -> str:
    """The argument name by which a field callable receives the field `prefix.field_name`."""
    return f"{prefix}.{field_name}".replace(".", "_")


def _field_function(fn: Callable[..., Any], argument_names: Sequence[str]) -> Callable[..., Any]:
    """`fn` called positionally on the earlier fields named by `argument_names`.

    The runtime passes a field callable the earlier fields its parameters name, so the result's
    signature lists exactly `argument_names`.
    """
    def call(**arguments: Any) -> Any:
        return fn(*(arguments[name] for name in argument_names))

    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in argument_names])
    return call


def _prefixed(value: Value, prefix: str) -> dict[str, Any]:
    """`value`'s fields under `prefix.`, with field callables renamed to read prefixed fields."""
    fields = {}
    for name, leaf in value.as_dict.items():
        if callable(leaf) and not isinstance(leaf, (tf.Tensor, tf.Variable, tf.Module)):
            arguments = list(inspect.signature(leaf).parameters)
            leaf = _field_function(
                lambda *values, fn=leaf, names=arguments: fn(**dict(zip(names, values))),
                [f"{prefix}_{argument}" for argument in arguments])
        fields[f"{prefix}.{name}"] = leaf
    return fields
