"""Checks that logged values and actions are possible, enforced in every execution mode.

A value is possible when it is finite (floats) and lies in its field's `Space`, if it has one. A
`Problem` names what is wrong and holds a boolean tensor saying whether it occurred;
`assertions` make it an error: eagerly a `ValueError`, in a graph a `tf.debugging` assertion
that fails when the graph runs. XLA drops assertions, so a compiled caller must also turn a
problem into a result no possible input gives (-inf log-probabilities: `masked`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import tensorflow as tf

from recsim_ng.core import Network
from recsim_ng.lib import xla

Flat = dict[str, dict[str, tf.Tensor]]  # variable -> dotted field -> tensor


class Problem(NamedTuple):
    """What is wrong, naming the variable and field, and whether it occurred (a bool tensor)."""

    message: str
    occurred: tf.Tensor


def possible(spec: Any, values: tf.Tensor, batch_dims: int) -> tf.Tensor:
    """Whether each `values[i_1, ..., i_batch_dims]` is finite (floats) and in `spec`'s space."""
    values = tf.convert_to_tensor(values)
    inside = tf.ones(tf.shape(values)[:batch_dims], tf.bool)
    if values.dtype.is_floating:
        finite = tf.math.is_finite(values)
        inside &= tf.reduce_all(finite, axis=list(range(batch_dims, values.shape.rank)))
    space = getattr(spec, "space", None)
    if space is not None:
        inside &= space.tensor_contains(values, batch_dims)
    return inside


def logged_value_problems(network: Network, observed: Flat) -> list[Problem]:
    """For each observed field (`[T, ...]`), whether some step is not finite or outside the
    field's space."""
    problems = []
    for name, fields in observed.items():
        specs = network.variable(name).spec.as_dict
        for field, values in fields.items():
            space = getattr(specs[field], "space", None)
            outside = "" if space is None else f" or outside the field's space {space}"
            problems.append(Problem(
                f"observed variable {name!r}, field {field!r}: values not finite{outside}",
                ~tf.reduce_all(possible(specs[field], values, batch_dims=1))))
    return problems


def mismatch_problems(mismatches: Flat) -> list[Problem]:
    """For each observed deterministic field, whether the logged values differ from what the
    network computes (`sampling.mismatch` above 1)."""
    return [Problem(f"observed variable {name!r}, field {field!r}: the logged values differ from"
                    " what the network computes (the field is deterministic)", distance > 1.0)
            for name, fields in mismatches.items() for field, distance in fields.items()]


def assertions(problems: list[Problem]) -> list[tf.Operation]:
    """Eagerly, a `ValueError` for the first problem that occurred; in a graph, an assertion
    per problem, for what must not run after one (none under XLA, which drops them)."""
    if tf.executing_eagerly():
        for problem in problems:
            if problem.occurred:
                raise ValueError(problem.message)
        return []
    if xla.compiling_with_xla():
        return []
    return [tf.debugging.Assert(~problem.occurred, [problem.message]) for problem in problems]


def enforced(problems: list[Problem], tensors: Any) -> Any:
    """`tensors`, depending on the `assertions` of `problems`."""
    checks = assertions(problems)
    if not checks:
        return tensors
    with tf.control_dependencies(checks):
        return tf.nest.map_structure(tf.identity, tensors)


def masked(log_probs: Flat, problems: list[Problem]) -> Flat:
    """`log_probs`, all -inf if a problem occurred (in a graph, where XLA may have dropped the
    assertions; eagerly `enforced` has raised already)."""
    if tf.executing_eagerly() or not problems:
        return log_probs
    occurred = tf.reduce_any(tf.stack([problem.occurred for problem in problems]))
    return tf.nest.map_structure(
        lambda log_prob: tf.where(occurred, tf.constant(-float("inf"), log_prob.dtype), log_prob),
        log_probs)
