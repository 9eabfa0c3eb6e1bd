"""`Value`, a nested record of named fields (the unit of data exchanged between variables), and
`FieldSpec`/`ValueSpec`, what a variable's fields must look like."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

import numpy as np

FieldValue = Any
Config = Mapping[str, Any]  # An entity's settings by name.


class Value:
    """An immutable nested record of fields.

    `Value(a=1, b=Value(c=2))` and `Value(**{"a": 1, "b.c": 2})` are the same value: a dotted name
    or a `Value` argument creates a nested sub-record. Leaves can be anything: tensors, arrays,
    TFP distributions or callables of earlier fields (see `recsim_ng.lib.sampling`).
    """

    __slots__ = ("_fields",)

    def __init__(self, **field_values: FieldValue):
        heads: dict[str, Any] = {}  # head name -> leaf, or dict of sub-fields for a prefix
        for name, field_value in field_values.items():
            head, dot, rest = name.partition(".")
            if not head or (dot and not rest):
                raise ValueError(f"invalid field name {name!r}")
            sub_fields = ({rest: field_value} if dot
                          else field_value.as_dict if isinstance(field_value, Value) else None)
            if sub_fields is None:
                if head in heads:
                    raise ValueError(f"field {head!r} is given twice or as both leaf and prefix")
                heads[head] = field_value
            elif not isinstance(heads.setdefault(head, _Prefix()), _Prefix):
                raise ValueError(f"field {head!r} is used both as a leaf and as a prefix")
            else:
                given_twice = [f"{head}.{key}" for key in sub_fields if key in heads[head]]
                if given_twice:
                    raise ValueError(f"fields {given_twice} are given twice")
                heads[head].update(sub_fields)
        fields = {head: Value(**node) if isinstance(node, _Prefix) else node
                  for head, node in heads.items()}
        object.__setattr__(self, "_fields", fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Value is immutable")

    @property
    def as_dict(self) -> dict[str, FieldValue]:
        """A flat dict from dotted field names to leaves, in field order."""
        flat: dict[str, FieldValue] = {}
        for name, field_value in self._fields.items():
            if isinstance(field_value, Value):
                for sub_name, leaf in field_value.as_dict.items():
                    flat[f"{name}.{sub_name}"] = leaf
            else:
                flat[name] = field_value
        return flat

    def get(self, field_name: str) -> FieldValue:
        """The leaf or nested `Value` at a (dotted) field name."""
        node: Any = self
        for part in field_name.split("."):
            if not isinstance(node, Value) or part not in node._fields:
                raise ValueError(f"no field {field_name!r} in {self}")
            node = node._fields[part]
        return node

    def at(self, *field_names: str) -> Value:
        """A new `Value` with only the named fields (leaves or prefixes)."""
        return Value(**{name: self.get(name) for name in field_names})

    def prefixed_with(self, field_name_prefix: str) -> Value:
        """This whole value nested under `field_name_prefix`."""
        return Value(**{field_name_prefix: self})

    def map(self, fn: Callable[[FieldValue], FieldValue]) -> Value:
        """Applies `fn` to every leaf, keeping the nesting."""
        return Value(**{name: fn(leaf) for name, leaf in self.as_dict.items()})

    def union(self, value: Value) -> Value:
        """The disjoint union of two values; a field present in both raises `ValueError`."""
        mine = self.as_dict
        clashes = [name for name in value.as_dict if name in mine]
        if clashes:
            raise ValueError(f"fields {clashes} are in both values of a union")
        return Value(**mine, **value.as_dict)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __contains__(self, field_name: str) -> bool:
        try:
            self.get(field_name)
        except ValueError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Value):
            return NotImplemented
        mine, theirs = self.as_dict, other.as_dict
        return mine.keys() == theirs.keys() and all(
                _leaves_equal(mine[name], theirs[name]) for name in mine)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Value[{self._fields!r}]"


class _Prefix(dict):
    """The sub-fields gathered under one prefix while a `Value` is built."""


def _leaves_equal(a: FieldValue, b: FieldValue) -> bool:
    if a is b:
        return True
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except (TypeError, ValueError):
        return False


def flatten_network_value(network_value: Mapping[str, Value]) -> dict[str, dict[str, FieldValue]]:
    """`{variable: Value}` as plain nested dicts `{variable: {dotted field: leaf}}`."""
    return {name: value.as_dict for name, value in network_value.items()}


def unflatten_network_value(flat: Mapping[str, Mapping[str, FieldValue]]) -> dict[str, Value]:
    """The inverse of `flatten_network_value`."""
    return {name: Value(**fields) for name, fields in flat.items()}


ValueSpec = Value  # A `Value` whose leaves are `FieldSpec`s.


class FieldSpec:
    """Accepts any value; framework-specific subclasses check types and shapes.

    A runtime replaces a plain `FieldSpec()` by its framework's (see
    `Variable.specialize_field_specs`): under the TensorFlow runtimes it is
    `recsim_ng.lib.field_spec.FieldSpec()`, which converts values to tensors and learns their
    dtype and shape.

    `check_value` may learn from the values it sees (the TensorFlow spec learns static shapes);
    `invariant` reports what it learned so a runtime can declare loop shapes.
    """

    def check_value(self, field_value: Any) -> tuple[bool, str]:
        """Whether `field_value` fits this spec, and if not, why."""
        del field_value
        return True, ""

    def sanitize(self, field_value: Any, field_name: str) -> Any:
        """The value as the runtime should carry it (e.g. a named tensor of static shape)."""
        del field_name
        return field_value

    def invariant(self) -> Any:
        """A framework-specific hint about the field's shape, or `None`."""
        return None
