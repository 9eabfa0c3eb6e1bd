"""Tests for `Variable`, `value()`, `Dependency` and `Network`: wiring, ordering and errors."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from recsim_ng.core import (UNDEFINED, Dependency, FieldSpec, Network, Value, ValueDef, Variable,
                            find_field, find_unique_field)
from recsim_ng.core.variable import value

THIS_FILE = pathlib.Path(__file__).resolve()


def _tf_field_spec(**kwargs):
    """The TensorFlow `FieldSpec`, imported here so the core tests and subprocesses skip TF."""
    from recsim_ng.lib.field_spec import FieldSpec as TFFieldSpec
    return TFFieldSpec(**kwargs)


def _variable(name, *fields, spec=None):
    return Variable(name, spec if spec is not None else Value(**{f: FieldSpec() for f in fields}))


def _counter(name="counter"):
    """x_0 = 0, x_t = x_{t-1} + 1."""
    counter = _variable(name, "x")
    counter.initial_value = value(lambda: Value(x=0))
    counter.value = value(lambda previous: Value(x=previous.get("x") + 1), [counter.previous])
    return counter


def _record_calls(calls, name, result):
    def fn(*inputs):
        calls.append(name)
        return result
    return fn


# Dependency, value() and Variable.


def test_dependency_strings_say_current_or_previous():
    assert str(Dependency("user", on_current_value=True)) == "Current[user]"
    assert str(Dependency("user", on_current_value=False)) == "Previous[user]"


def test_value_resolves_variables_to_current_dependencies_and_keeps_order():
    a, b = _variable("a", "x"), _variable("b", "x")
    definition = value(lambda *args: Value(), [b, a.previous, a])
    assert isinstance(definition, ValueDef)
    assert definition.dependencies == (Dependency("b", True), Dependency("a", False),
                                       Dependency("a", True))
    assert a.previous == Dependency("a", on_current_value=False)


@pytest.mark.parametrize("bad", ["a", 3, None])
def test_value_rejects_dependencies_that_are_not_variables_or_dependencies(bad):
    with pytest.raises(TypeError, match="dependency"):
        value(lambda x: Value(), [bad])


@pytest.mark.parametrize("name", ["", None, 3])
def test_variable_rejects_bad_names(name):
    with pytest.raises(ValueError, match="name"):
        Variable(name, Value())


def test_variable_rejects_a_spec_that_is_not_a_value_of_field_specs():
    with pytest.raises(ValueError, match="'v'"):
        Variable("v", None)
    with pytest.raises(ValueError, match="'v'.*'s.x'"):
        Variable("v", Value(s=Value(x=3)))


def test_variable_definitions_must_be_built_with_value():
    var = _variable("v", "x")
    with pytest.raises(TypeError, match="'v'.*value"):
        var.value = lambda: Value(x=1)
    with pytest.raises(TypeError, match="'v'.*initial_value"):
        var.initial_value = lambda: Value(x=1)


def test_unset_initial_value_uses_value():
    var = _variable("v", "x")
    definition = value(lambda: Value(x=1))
    var.value = definition
    assert not var.has_explicit_initial_value
    assert var.has_explicit_value
    assert var.initial_value is definition
    assert Network([var]).initial_step() == {"v": Value(x=1)}


def test_static_variable_copies_its_previous_value():
    static = _variable("static", "x")
    static.initial_value = value(lambda: Value(x=7))
    assert not static.has_explicit_value
    assert static.value.dependencies == (static.previous,)
    network = Network([static])
    state = network.initial_step()
    for _ in range(3):
        state = network.step(state)
        assert state == {"static": Value(x=7)}
    assert network.step({"static": Value(x=-1)}) == {"static": Value(x=-1)}


def test_undefined_gives_an_empty_value():
    assert UNDEFINED.fn() == Value()
    assert UNDEFINED.dependencies == ()


def test_typecheck_returns_the_value_when_it_matches():
    var = _variable("v", "a", "b.c")
    val = Value(a=1, b=Value(c=2))
    assert var.typecheck(val) == val
    assert var.typecheck(val, sanitize=False) is val


# Stepping semantics.


def test_current_and_previous_dependencies_see_this_and_last_step():
    counter = _counter()
    same_step = _variable("same_step", "x")
    same_step.value = value(lambda c: Value(x=c.get("x") * 10), [counter])
    lagged = _variable("lagged", "x")
    lagged.initial_value = value(lambda: Value(x=-1))
    lagged.value = value(lambda c: Value(x=c.get("x")), [counter.previous])
    network = Network([lagged, same_step, counter])
    state = network.initial_step()
    assert state == {"lagged": Value(x=-1), "same_step": Value(x=0), "counter": Value(x=0)}
    for t in range(1, 4):
        state = network.step(state)
        assert state == {"lagged": Value(x=t - 1), "same_step": Value(x=10 * t),
                         "counter": Value(x=t)}


def test_dependencies_are_passed_in_the_declared_order():
    a, b = _variable("a", "x"), _variable("b", "x")
    a.value = value(lambda: Value(x="a"))
    b.value = value(lambda: Value(x="b"))
    seen = []
    c = _variable("c", "x")
    c.value = value(lambda *args: seen.append([v.get("x") for v in args]) or Value(x=0), [b, a])
    Network([a, b, c]).initial_step()
    assert seen == [["b", "a"]]


def test_results_are_keyed_in_declaration_order():
    late = _variable("late", "x")
    early = _variable("early", "x")
    early.value = value(lambda: Value(x=1))
    late.value = value(lambda e: Value(x=e.get("x") + 1), [early])
    network = Network([late, early])
    assert [v.name for v in network.variables] == ["early", "late"]
    assert [v.name for v in network.declared_variables] == ["late", "early"]
    assert list(network.initial_step()) == ["late", "early"]


def test_step_with_given_values_uses_them_and_skips_the_functions():
    calls = []
    source = _variable("source", "x")
    source.initial_value = value(_record_calls(calls, "source.initial", Value(x=1)))
    source.value = value(_record_calls(calls, "source.value", Value(x=2)))
    sink = _variable("sink", "x")
    sink.value = value(lambda s: Value(x=s.get("x") * 10), [source])
    network = Network([source, sink])
    assert network.initial_step(given={"source": Value(x=5)}) == {"source": Value(x=5),
                                                                  "sink": Value(x=50)}
    state = network.step({"source": Value(x=0), "sink": Value(x=0)},
                         given={"source": Value(x=6)})
    assert state == {"source": Value(x=6), "sink": Value(x=60)}
    assert calls == []
    assert network.step(state)["sink"] == Value(x=20)
    assert calls == ["source.value"]


def test_given_values_are_typechecked_against_the_spec():
    source = _variable("source", "x")
    source.value = value(lambda: Value(x=1))
    network = Network([source])
    with pytest.raises(ValueError, match="'source'.*'y'"):
        network.step({"source": Value(x=0)}, given={"source": Value(y=1)})


def test_given_values_for_unknown_variables_raise_naming_them():
    network = Network([_counter()])
    with pytest.raises(ValueError, match="'ghost'"):
        network.step({"counter": Value(x=0)}, given={"ghost": Value(x=1)})
    with pytest.raises(ValueError, match="'ghost'"):
        network.initial_step(given={"ghost": Value(x=1)})


def test_step_requires_every_variable_in_the_previous_value():
    network = Network([_counter("a"), _counter("b")])
    with pytest.raises(ValueError, match="'b'"):
        network.step({"a": Value(x=0)})


def test_evaluator_resolves_raw_values():
    counter = _counter()
    network = Network([counter])
    seen = []

    def evaluate(variable, raw):
        seen.append(variable.name)
        return raw.map(lambda x: x * 2)

    assert network.initial_step(evaluate) == {"counter": Value(x=0)}
    assert network.step({"counter": Value(x=3)}, evaluate) == {"counter": Value(x=8)}
    assert seen == ["counter", "counter"]


def test_invariants_report_each_field_spec():
    nested = _variable("v", "a", "b.c")
    nested.value = value(lambda: Value(a=0, b=Value(c=0)))
    network = Network([_counter(), nested])
    assert network.invariants() == {"counter": Value(x=None),
                                    "v": Value(a=None, b=Value(c=None))}


# Ordering.


def _ordering_network():
    """Independent variables declared in non-alphabetical order, plus two dependency chains.

    Kept free of TensorFlow so a subprocess can build it quickly.
    """
    names = ["zulu", "mike", "alpha", "yankee", "bravo", "xray", "charlie", "whiskey", "delta"]
    variables = {name: _variable(name, "x") for name in names}
    for var in variables.values():
        var.value = value(lambda *args: Value(x=0))
    # Declared first but waits for "delta" (declared last) and "bravo".
    variables["zulu"].value = value(lambda *args: Value(x=0),
                                    [variables["delta"], variables["bravo"]])
    # A chain against declaration order: yankee <- xray <- whiskey.
    variables["yankee"].value = value(lambda *args: Value(x=0), [variables["xray"]])
    variables["xray"].value = value(lambda *args: Value(x=0), [variables["whiskey"]])
    # Previous-step dependencies do not constrain the order.
    variables["alpha"].initial_value = value(lambda: Value(x=0))
    variables["alpha"].value = value(lambda *args: Value(x=0), [variables["charlie"].previous])
    return Network(list(variables.values()))


ORDERING_SCRIPT = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("network_tests", {str(THIS_FILE)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
network = module._ordering_network()
print(",".join(v.name for v in network.variables))
assert "tensorflow" not in sys.modules
"""

EXPECTED_ORDER = ["mike", "alpha", "bravo", "charlie", "whiskey", "xray", "yankee", "delta",
                  "zulu"]


def test_independent_variables_keep_declaration_order_after_their_dependencies():
    assert [v.name for v in _ordering_network().variables] == EXPECTED_ORDER


def test_order_in_which_functions_are_called_is_the_step_order():
    network = _ordering_network()
    calls = []
    for var in network.declared_variables:
        var.value = value(_record_calls(calls, var.name, Value(x=0)), var.value.dependencies)
    network.step({name: Value(x=0) for name in EXPECTED_ORDER})
    assert calls == EXPECTED_ORDER


def test_initial_order_can_differ_from_step_order():
    a, b = _variable("a", "x"), _variable("b", "x")
    a.initial_value = value(lambda b_value: Value(x=b_value.get("x") + 1), [b])
    a.value = value(lambda: Value(x=0))
    b.value = value(lambda a_value: Value(x=a_value.get("x") + 1), [a])
    b.initial_value = value(lambda: Value(x=10))
    network = Network([a, b])
    assert network.initial_step() == {"a": Value(x=11), "b": Value(x=10)}
    assert network.step(network.initial_step()) == {"a": Value(x=0), "b": Value(x=1)}


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_order_is_the_same_in_a_separate_process(hash_seed):
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    result = subprocess.run([sys.executable, "-c", ORDERING_SCRIPT], capture_output=True,
                            text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(",") == EXPECTED_ORDER


# Construction errors: each names the variables involved.


def test_non_variables_are_rejected():
    with pytest.raises(TypeError, match="'oops'"):
        Network([_counter(), "oops"])


def test_duplicate_names_raise_naming_them():
    with pytest.raises(ValueError, match="duplicate.*'dup'"):
        Network([_counter("dup"), _counter("ok"), _counter("dup")])


def test_unknown_dependency_in_value_raises_naming_both_variables():
    ghost = _counter("ghost")
    user = _variable("user", "x")
    user.initial_value = value(lambda: Value(x=0))
    user.value = value(lambda g: g, [ghost])
    with pytest.raises(ValueError, match=r"'user': value .*'ghost'"):
        Network([user])


def test_unknown_dependency_in_a_value_that_also_serves_as_initial_value_is_rejected():
    ghost = _counter("ghost")
    user = _variable("user", "x")
    user.value = value(lambda g: g, [ghost])
    with pytest.raises(ValueError, match="'user'.*unknown variable 'ghost'"):
        Network([user])


def test_unknown_previous_dependency_raises_naming_both_variables():
    ghost = _counter("ghost")
    user = _variable("user", "x")
    user.initial_value = value(lambda: Value(x=0))
    user.value = value(lambda g: g, [ghost.previous])
    with pytest.raises(ValueError, match="'user'.*'ghost'"):
        Network([user])


def test_unknown_dependency_in_initial_value_raises_naming_both_variables():
    ghost = _counter("ghost")
    user = _variable("user", "x")
    user.initial_value = value(lambda g: g, [ghost])
    user.value = value(lambda: Value(x=0))
    with pytest.raises(ValueError, match="'user'.*initial_value.*'ghost'"):
        Network([user])


def test_same_step_cycle_raises_naming_the_cycle():
    a, b, c = _variable("a", "x"), _variable("b", "x"), _variable("c", "x")
    outside = _variable("outside", "x")
    a.value = value(lambda *args: Value(x=0), [c])
    b.value = value(lambda *args: Value(x=0), [a])
    c.value = value(lambda *args: Value(x=0), [b])
    outside.value = value(lambda *args: Value(x=0), [a])  # Downstream of the cycle, not in it.
    with pytest.raises(ValueError, match="cycle") as error:
        Network([outside, a, b, c])
    message = str(error.value)
    for name in ["a", "b", "c"]:
        assert name in message.split(": ", 1)[1].split(" -> ")
    assert "outside" not in message


def test_self_dependency_is_a_cycle():
    loop = _variable("loop", "x")
    loop.value = value(lambda x: x, [loop])
    with pytest.raises(ValueError, match="cycle.*loop -> loop"):
        Network([loop])


def test_cycle_in_initial_values_only_is_rejected():
    a, b = _variable("a", "x"), _variable("b", "x")
    a.initial_value = value(lambda *args: Value(x=0), [b])
    b.initial_value = value(lambda *args: Value(x=0), [a])
    a.value = value(lambda: Value(x=0))
    b.value = value(lambda: Value(x=0))
    with pytest.raises(ValueError, match="cycle in initial") as error:
        Network([a, b])
    assert "a" in str(error.value) and "b" in str(error.value)


def test_cycle_through_previous_values_is_allowed():
    a, b = _variable("a", "x"), _variable("b", "x")
    a.initial_value = value(lambda: Value(x=1))
    b.initial_value = value(lambda: Value(x=2))
    a.value = value(lambda prev_b: prev_b, [b.previous])
    b.value = value(lambda prev_a: prev_a, [a.previous])
    network = Network([a, b])
    assert network.step(network.initial_step()) == {"a": Value(x=2), "b": Value(x=1)}


def test_previous_dependency_in_explicit_initial_value_raises_naming_the_variable():
    other = _counter("other")
    user = _variable("user", "x")
    with pytest.raises(ValueError, match=r"'user'.*initial_value.*Previous\[other\]"):
        user.initial_value = value(lambda o: o, [other.previous])


def test_previous_dependency_in_implicit_initial_value_raises_naming_the_variable():
    walker = _variable("walker", "x")
    walker.value = value(lambda prev: prev, [walker.previous])  # No initial_value set.
    with pytest.raises(ValueError, match=r"'walker'.*Previous\[walker\]"):
        Network([walker])


def test_variable_with_neither_initial_value_nor_value_raises_naming_it():
    with pytest.raises(ValueError, match="'empty'.*neither"):
        Network([_counter(), _variable("empty", "x")])


# Spec mismatches at run time: each names the variable and the field.


def test_missing_field_raises_naming_variable_and_field():
    user = _variable("user", "x", "y")
    user.value = value(lambda: Value(x=1))
    with pytest.raises(ValueError, match=r"'user'.*missing fields \['y'\]"):
        Network([user]).initial_step()


def test_extra_field_raises_naming_variable_and_field():
    user = _variable("user", "x")
    user.value = value(lambda: Value(x=1, extra=2))
    with pytest.raises(ValueError, match=r"'user'.*unexpected fields \['extra'\]"):
        Network([user]).initial_step()


def test_missing_nested_field_raises_naming_its_dotted_name():
    user = _variable("user", "state.x", "state.y")
    user.value = value(lambda: Value(state=Value(x=1)))
    with pytest.raises(ValueError, match=r"'user'.*'state\.y'"):
        Network([user]).initial_step()


def test_mismatch_in_a_later_step_names_the_variable_and_field():
    user = _variable("user", "x")
    user.initial_value = value(lambda: Value(x=0))
    user.value = value(lambda prev: Value(x=prev.get("x"), y=1), [user.previous])
    network = Network([user])
    state = network.initial_step()
    with pytest.raises(ValueError, match=r"'user'.*\['y'\]"):
        network.step(state)


def test_wrong_dtype_with_tf_field_spec_names_variable_and_field():
    user = Variable("user", Value(count=_tf_field_spec(shape=[2], dtype="int32")))
    user.value = value(lambda: Value(count=[1.5, 2.5]))
    with pytest.raises(ValueError, match="'user', field 'count'.*dtype float32.*int32"):
        Network([user]).initial_step()


def test_wrong_shape_with_tf_field_spec_names_variable_and_field():
    user = Variable("user", Value(state=Value(score=_tf_field_spec(shape=[2], dtype="float32"))))
    user.value = value(lambda: Value(state=Value(score=np.zeros([3], np.float32))))
    with pytest.raises(ValueError, match=r"'user', field 'state\.score'.*shape \(3,\)"):
        Network([user]).initial_step()


def test_shape_change_between_steps_with_tf_field_spec_names_variable_and_field():
    grower = Variable("grower", Value(items=_tf_field_spec()))
    grower.initial_value = value(lambda: Value(items=np.zeros([2], np.float32)))
    grower.value = value(lambda prev: Value(items=np.zeros([3], np.float32)), [grower.previous])
    network = Network([grower])
    state = network.initial_step()
    with pytest.raises(ValueError, match="'grower', field 'items'.*shape"):
        network.step(state)


@pytest.mark.parametrize("returned", [None, {"x": 1}, 3])
def test_function_returning_a_non_value_raises_naming_the_variable(returned):
    user = _variable("user", "x")
    user.value = value(lambda: returned)
    with pytest.raises(TypeError, match=f"'user'.*{type(returned).__name__}"):
        Network([user]).initial_step()


def test_typecheck_of_a_non_value_names_the_variable():
    with pytest.raises(TypeError, match="'user'.*dict"):
        _variable("user", "x").typecheck({"x": 1})


# Lookups.


def test_variable_lookup_by_name():
    counter = _counter()
    network = Network([counter])
    assert network.variable("counter") is counter
    with pytest.raises(KeyError, match="'ghost'"):
        network.variable("ghost")


def test_find_field_and_find_unique_field():
    network_value = {"user": Value(state=1, score=Value(a=2)), "doc": Value(state=3),
                     "rec": Value(slate=4)}
    assert find_field(network_value, "state") == {"user": 1, "doc": 3}
    assert find_field(network_value, "score.a") == {"user": 2}
    assert find_field(network_value, "missing") == {}
    assert find_unique_field(network_value, "slate") == ("rec", 4)
    assert find_unique_field(network_value, "score") == ("user", Value(a=2))
    with pytest.raises(ValueError, match="'state'.*'doc', 'user'"):
        find_unique_field(network_value, "state")
    with pytest.raises(ValueError, match="'missing'"):
        find_unique_field(network_value, "missing")
