"""`Network`: a validated, deterministically ordered dynamic Bayesian network of variables."""

from __future__ import annotations

import heapq
from typing import Callable, Mapping, Sequence

from recsim_ng.core.value import Value
from recsim_ng.core.variable import ValueDef, Variable

NetworkValue = Mapping[str, Value]
# Resolves what a variable's `fn` returned (e.g. samples its distributions) into its value.
Evaluator = Callable[[Variable, Value], Value]


def _identity_evaluator(variable: Variable, raw: Value) -> Value:
    del variable
    return raw


class Network:
    """Variables in an order that respects same-step dependencies.

    Independent variables keep their declaration order, so a network steps identically in every
    process. Construction rejects duplicate names, unknown dependencies, previous-value
    dependencies in initial values and same-step cycles, naming the variables involved.
    """

    def __init__(self, variables: Sequence[Variable]):
        variables = list(variables)
        for variable in variables:
            if not isinstance(variable, Variable):
                raise TypeError(f"a Network takes Variables, not {variable!r}")
        names = [variable.name for variable in variables]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate variable names in network: {duplicates}")
        self._by_name = {variable.name: variable for variable in variables}
        for variable in variables:
            definitions = [("value", variable.value)]
            if variable.has_explicit_initial_value:
                definitions.append(("initial_value", variable.initial_value))
            for which, definition in definitions:
                for dependency in definition.dependencies:
                    if dependency.variable_name not in self._by_name:
                        raise ValueError(
                            f"variable {variable.name!r}: {which} depends on unknown variable"
                            f" {dependency.variable_name!r}")
        self._initial_order = _topological_order(variables, lambda v: v.initial_value, "initial")
        self._step_order = _topological_order(variables, lambda v: v.value, "step")
        self._variables = variables

    @property
    def variables(self) -> list[Variable]:
        """The variables in step order."""
        return list(self._step_order)

    @property
    def declared_variables(self) -> list[Variable]:
        """The variables in the order they were given."""
        return list(self._variables)

    def variable(self, name: str) -> Variable:
        """The variable called `name`."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no variable {name!r} in network; it has {sorted(self._by_name)}")

    def initial_step(self, evaluate: Evaluator = _identity_evaluator,
                     given: NetworkValue | None = None) -> dict[str, Value]:
        """Every variable's initial value; variables in `given` take that value instead."""
        return self._run(self._initial_order, lambda v: v.initial_value, {}, evaluate, given)

    def step(self, previous_value: NetworkValue, evaluate: Evaluator = _identity_evaluator,
             given: NetworkValue | None = None) -> dict[str, Value]:
        """Every variable's value one step after `previous_value`."""
        missing = [name for name in self._by_name if name not in previous_value]
        if missing:
            raise ValueError(f"previous value lacks variables {missing}")
        return self._run(self._step_order, lambda v: v.value, previous_value, evaluate, given)

    def invariants(self) -> dict[str, Value]:
        """Each variable's field invariants."""
        return {variable.name: variable.invariants() for variable in self._variables}

    def _run(self, order: list[Variable], definition_of: Callable[[Variable], ValueDef],
             previous_value: NetworkValue, evaluate: Evaluator,
             given: NetworkValue | None) -> dict[str, Value]:
        given = given or {}
        unknown = [name for name in given if name not in self._by_name]
        if unknown:
            raise ValueError(f"values given for unknown variables {unknown}")
        current: dict[str, Value] = {}
        for variable in order:
            if variable.name in given:
                result = given[variable.name]
            else:
                definition = definition_of(variable)
                inputs = [current[d.variable_name] if d.on_current_value
                          else previous_value[d.variable_name] for d in definition.dependencies]
                raw = definition.fn(*inputs)
                if not isinstance(raw, Value):
                    raise TypeError(f"variable {variable.name!r}: its function returned"
                                    f" {type(raw).__name__}, not a Value")
                result = evaluate(variable, raw)
            current[variable.name] = variable.typecheck(result)
        return {variable.name: current[variable.name] for variable in self._variables}


def _topological_order(variables: list[Variable], definition_of: Callable[[Variable], ValueDef],
                       phase: str) -> list[Variable]:
    """Kahn's algorithm, always taking the earliest-declared ready variable."""
    position = {variable.name: i for i, variable in enumerate(variables)}
    parents = {variable.name: {d.variable_name for d in definition_of(variable).dependencies
                               if d.on_current_value}
               for variable in variables}
    children: dict[str, list[str]] = {name: [] for name in parents}
    for name, its_parents in parents.items():
        for parent in its_parents:
            children[parent].append(name)
    waiting = {name: len(its_parents) for name, its_parents in parents.items()}
    ready = [position[name] for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        variable = variables[heapq.heappop(ready)]
        order.append(variable)
        for child in children[variable.name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, position[child])
    if len(order) < len(variables):
        cycle = _find_cycle({name: parents[name] for name, count in waiting.items() if count})
        raise ValueError(f"same-step dependency cycle in {phase} values: {' -> '.join(cycle)}")
    return order


def _find_cycle(parents: Mapping[str, set[str]]) -> list[str]:
    """One cycle among variables that all still wait on a parent inside `parents`."""
    path = [min(parents)]
    while path.count(path[-1]) < 2:
        path.append(min(p for p in parents[path[-1]] if p in parents))
    start = path.index(path[-1])
    return list(reversed(path[start:]))


def find_field(network_value: NetworkValue, field_name: str) -> dict[str, object]:
    """`{variable name: field value}` for every variable whose value has `field_name`."""
    return {name: val.get(field_name) for name, val in network_value.items() if field_name in val}


def find_unique_field(network_value: NetworkValue, field_name: str) -> tuple[str, object]:
    """The one `(variable name, field value)` having `field_name`; raises unless exactly one."""
    found = find_field(network_value, field_name)
    if len(found) != 1:
        raise ValueError(f"expected exactly one variable with field {field_name!r},"
                         f" found {sorted(found)}")
    (name, field_value), = found.items()
    return name, field_value
