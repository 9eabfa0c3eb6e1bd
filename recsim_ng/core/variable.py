"""`Variable`: one node of the dynamic Bayesian network, and the `value()` definitions wiring it."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence, Union

from recsim_ng.core.value import FieldSpec, Value, ValueSpec


@dataclasses.dataclass(frozen=True)
class Dependency:
    """A dependency on another variable's value at this step (current) or at the previous one."""

    variable_name: str
    on_current_value: bool

    def __str__(self) -> str:
        return f"{'Current' if self.on_current_value else 'Previous'}[{self.variable_name}]"


@dataclasses.dataclass(frozen=True)
class ValueDef:
    """How to compute a value: `fn` takes one `Value` per dependency, in order."""

    fn: Callable[..., Value]
    dependencies: tuple[Dependency, ...] = ()


DependencyLike = Union[Dependency, "Variable"]


def value(fn: Callable[..., Value], dependencies: Sequence[DependencyLike] = ()) -> ValueDef:
    """Builds a `ValueDef`; a `Variable` among `dependencies` means its current value."""
    resolved = []
    for dependency in dependencies:
        if isinstance(dependency, Variable):
            dependency = Dependency(dependency.name, on_current_value=True)
        if not isinstance(dependency, Dependency):
            raise TypeError(f"a dependency must be a Variable or a Dependency, not {dependency!r}")
        resolved.append(dependency)
    return ValueDef(fn, tuple(resolved))


UNDEFINED = ValueDef(lambda: Value())


class Variable:
    """A named DBN node with a spec, an initial value and a per-step value.

    An unset `value` copies the previous value (a static variable); an unset `initial_value`
    uses `value`, which then must not depend on previous values.
    """

    def __init__(self, name: str, spec: ValueSpec):
        if not isinstance(name, str) or not name:
            raise ValueError(f"a variable name must be a non-empty string, not {name!r}")
        if not isinstance(spec, Value):
            raise ValueError(f"variable {name!r}: spec must be a ValueSpec (a Value of FieldSpecs)")
        for field_name, field_spec in spec.as_dict.items():
            if not isinstance(field_spec, FieldSpec):
                raise ValueError(
                    f"variable {name!r}: spec of field {field_name!r} is not a FieldSpec")
        self._name = name
        self._spec = spec
        self._initial_value: ValueDef | None = None
        self._value: ValueDef | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def spec(self) -> ValueSpec:
        return self._spec

    @property
    def previous(self) -> Dependency:
        """A dependency on this variable's value at the previous step."""
        return Dependency(self._name, on_current_value=False)

    @property
    def has_explicit_initial_value(self) -> bool:
        return self._initial_value is not None

    @property
    def has_explicit_value(self) -> bool:
        return self._value is not None

    @property
    def initial_value(self) -> ValueDef:
        if self._initial_value is not None:
            return self._initial_value
        if self._value is None:
            raise ValueError(f"variable {self._name!r} has neither an initial_value nor a value")
        return _checked_definition(self._name, "initial_value", self._value)

    @initial_value.setter
    def initial_value(self, definition: ValueDef) -> None:
        self._initial_value = _checked_definition(self._name, "initial_value", definition)

    @property
    def value(self) -> ValueDef:
        if self._value is not None:
            return self._value
        return ValueDef(lambda previous: previous, (self.previous,))

    @value.setter
    def value(self, definition: ValueDef) -> None:
        self._value = _checked_definition(self._name, "value", definition)

    def typecheck(self, val: Any, sanitize: bool = True) -> Value:
        """Checks `val` against the spec and returns it, sanitized field by field if asked."""
        if not isinstance(val, Value):
            raise TypeError(f"variable {self._name!r}: expected a Value, got {type(val).__name__}")
        fields, specs = val.as_dict, self._spec.as_dict
        missing = [name for name in specs if name not in fields]
        extra = [name for name in fields if name not in specs]
        if missing or extra:
            raise ValueError(f"variable {self._name!r}: value does not match its spec"
                             f" (missing fields {missing}, unexpected fields {extra})")
        for field_name, field_spec in specs.items():
            ok, why = field_spec.check_value(fields[field_name])
            if not ok:
                raise ValueError(f"variable {self._name!r}, field {field_name!r}: {why}")
        if not sanitize:
            return val
        return Value(**{name: specs[name].sanitize(leaf, name) for name, leaf in fields.items()})

    def specialize_field_specs(self, field_spec_type: type[FieldSpec]) -> None:
        """Replaces every plain `FieldSpec()` of the spec (not its subclasses) by
        `field_spec_type()`: how a runtime gives such fields its framework's checks."""
        self._spec = self._spec.map(
            lambda spec: field_spec_type() if type(spec) is FieldSpec else spec)

    def invariants(self) -> Value:
        """Each field spec's `invariant()`."""
        return self._spec.map(lambda field_spec: field_spec.invariant())

    def __repr__(self) -> str:
        return f"Variable({self._name!r})"


def _checked_definition(name: str, which: str, definition: Any) -> ValueDef:
    if not isinstance(definition, ValueDef):
        raise TypeError(f"variable {name!r}: {which} must be built with value(fn, dependencies)")
    if which == "initial_value":
        previous = [str(d) for d in definition.dependencies if not d.on_current_value]
        if previous:
            raise ValueError(f"variable {name!r}: initial_value may not depend on previous"
                             f" values, but depends on {', '.join(previous)}")
    return definition
