"""Data variables: network variables whose values replay logged data instead of simulating."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.core import Network, Value, ValueSpec, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.field_spec import FieldSpec

DATA_INDEX_FIELD = "__data_index"


class ReplayVariable(Variable):
    """A variable replaying `num_steps` logged steps (made by `replay_variable`)."""

    def __init__(self, name: str, spec: ValueSpec, num_steps: int):
        super().__init__(name, spec)
        self.num_steps = num_steps


def check_replay_lengths(network: Network, num_values: int) -> None:
    """A `ValueError` naming each replay variable of `network` that holds fewer than
    `num_values` steps (a run from the initial step through step `num_values - 1`)."""
    short = {v.name: v.num_steps for v in network.variables
             if isinstance(v, ReplayVariable) and v.num_steps < num_values}
    if short:
        raise ValueError(f"the run needs {num_values} steps of data, but replay variables hold"
                         f" fewer: {short}")


def replay_variable(name: str, spec: ValueSpec, data: Value) -> ReplayVariable:
    """A variable whose value at step t is `data` at index t on every field's leading axis.

    Its value carries the step index in an extra `__data_index` field. A runtime refuses to run
    from the initial step past the data's length before it starts (`check_replay_lengths`); from
    a `starting_value`, running past it raises in eager and graph mode, but XLA drops that check
    and clamps the index.
    """
    fields = {field: tf.convert_to_tensor(array) for field, array in data.as_dict.items()}
    _check_fields(name, spec, fields)
    lengths = {field: tensor.shape[0] if tensor.shape.rank else None
               for field, tensor in fields.items()}
    if None in lengths.values() or len(set(lengths.values())) != 1:
        raise ValueError(f"data variable {name!r}: every field needs the same leading (time)"
                         f" axis, got {lengths}")
    length = next(iter(lengths.values()))

    def at(index: tf.Tensor) -> Value:
        index = tf.convert_to_tensor(index)
        check = tf.debugging.assert_less(index, length, message=f"data variable {name!r} ran"
                                         f" past its {length} logged steps")
        with tf.control_dependencies([check] if check is not None else []):
            index = tf.identity(index)
        return Value(**{DATA_INDEX_FIELD: index}, **{f: tf.gather(x, index)
                                                     for f, x in fields.items()})

    variable = ReplayVariable(
        name, spec.union(Value(**{DATA_INDEX_FIELD: FieldSpec((), tf.int32)})), length)
    variable.initial_value = value(lambda: at(tf.constant(0)))
    variable.value = value(lambda previous: at(previous.get(DATA_INDEX_FIELD) + 1),
                           [variable.previous])
    return variable


def dataset_variable(name: str, spec: ValueSpec, dataset: tf.data.Dataset) -> Variable:
    """A variable whose value at each step is the next element (a dict of fields) of `dataset`.

    The iterator is made once, here: successive simulations continue through the stream.
    Dataset iteration cannot be compiled by XLA, so run such networks without `jit_compile`.
    """
    element_fields = dict(dataset.element_spec) if isinstance(dataset.element_spec, dict) else None
    if element_fields is None:
        raise ValueError(f"data variable {name!r}: dataset elements must be dicts of fields")
    _check_fields(name, spec, element_fields)
    iterator = iter(dataset)
    variable = Variable(name, spec)
    variable.value = value(lambda: Value(**iterator.get_next()))
    return variable


def _check_fields(name: str, spec: ValueSpec, fields: dict) -> None:
    expected = set(spec.as_dict)
    if set(fields) != expected:
        raise ValueError(f"data variable {name!r}: data fields {sorted(fields)} do not match"
                         f" spec fields {sorted(expected)}")
