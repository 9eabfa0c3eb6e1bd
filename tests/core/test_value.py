"""Tests for `recsim_ng.core.value.Value`: a nested, immutable, ordered record of fields."""

import numpy as np
import pytest

from recsim_ng.core import Value
from recsim_ng.core.value import flatten_network_value, unflatten_network_value


# Construction.


def test_dotted_names_and_nested_values_build_the_same_record():
    dotted = Value(**{"a": 1, "b.c": 2, "b.d": 3})
    nested = Value(a=1, b=Value(c=2, d=3))
    assert dotted == nested
    assert dotted.as_dict == {"a": 1, "b.c": 2, "b.d": 3}
    assert nested.as_dict == {"a": 1, "b.c": 2, "b.d": 3}


def test_dotted_names_and_a_nested_value_under_one_prefix_merge():
    merged = Value(**{"b.c": 2}, b=Value(d=3))
    assert merged.as_dict == {"b.c": 2, "b.d": 3}
    assert merged.get("b") == Value(c=2, d=3)


def test_deep_nesting_round_trips_through_as_dict():
    original = Value(x=Value(y=Value(z=np.arange(3))), w="leaf")
    assert list(original.as_dict) == ["x.y.z", "w"]
    rebuilt = Value(**original.as_dict)
    assert rebuilt == original
    assert isinstance(rebuilt.get("x"), Value)
    assert isinstance(rebuilt.get("x.y"), Value)


def test_empty_value_has_no_fields():
    empty = Value()
    assert empty.as_dict == {}
    assert list(empty) == []
    assert "a" not in empty


@pytest.mark.parametrize("name", ["", ".a", "a.", "a..b"])
def test_invalid_field_names_raise_and_are_named(name):
    with pytest.raises(ValueError, match="invalid field name"):
        Value(**{name: 1})


def test_leaf_and_prefix_clash_raises_naming_the_field():
    with pytest.raises(ValueError, match="'a'"):
        Value(**{"a": 1, "a.b": 2})
    with pytest.raises(ValueError, match="'a'"):
        Value(**{"a.b": 2, "a": 1})
    with pytest.raises(ValueError, match="'a'"):
        Value(a=1, **{"a.b": 2})


def test_leaf_and_prefix_clash_below_the_top_level_raises_naming_the_field():
    with pytest.raises(ValueError, match="'b'"):
        Value(**{"a.b": 1, "a.b.c": 2})
    with pytest.raises(ValueError, match="'b'"):
        Value(**{"a.b.c": 2}, a=Value(b=1))


# Field order: callables of earlier fields rely on it.


def test_field_order_is_construction_order():
    names = ["zeta", "alpha", "mu", "beta"]
    val = Value(**{name: i for i, name in enumerate(names)})
    assert list(val) == names
    assert list(val.as_dict) == names


def test_field_order_is_preserved_through_nesting_and_operations():
    val = Value(**{"z": 0, "m.y": 1, "a": 2, "m.b": 3})
    # A prefix takes the position of its first sub-field; its sub-fields keep their order.
    assert list(val) == ["z", "m", "a"]
    assert list(val.as_dict) == ["z", "m.y", "m.b", "a"]
    assert list(val.map(lambda x: x * 10).as_dict) == ["z", "m.y", "m.b", "a"]
    assert list(val.at("a", "m.b", "z").as_dict) == ["a", "m.b", "z"]
    assert list(val.prefixed_with("p").as_dict) == ["p.z", "p.m.y", "p.m.b", "p.a"]
    assert list(val.union(Value(c=4, b=5)).as_dict) == ["z", "m.y", "m.b", "a", "c", "b"]


# Accessors.


def test_get_returns_leaves_and_nested_values():
    val = Value(a=1, b=Value(c=2, d=Value(e=3)))
    assert val.get("a") == 1
    assert val.get("b.c") == 2
    assert val.get("b.d.e") == 3
    assert val.get("b.d") == Value(e=3)
    assert val.get("b") == Value(**{"c": 2, "d.e": 3})


@pytest.mark.parametrize("missing", ["x", "a.x", "b.x", "b.c.d"])
def test_get_of_a_missing_field_raises_naming_it(missing):
    val = Value(a=Value(b=1), b=Value(c=2))
    with pytest.raises(ValueError, match=f"no field '{missing}'"):
        val.get(missing)


def test_contains_understands_dotted_names():
    val = Value(a=1, b=Value(c=2))
    assert "a" in val
    assert "b" in val
    assert "b.c" in val
    assert "c" not in val
    assert "a.c" not in val
    assert "b.c.d" not in val


def test_at_selects_leaves_and_prefixes():
    val = Value(a=1, b=Value(c=2, d=3), e=4)
    assert val.at("a") == Value(a=1)
    assert val.at("b.c", "e") == Value(**{"b.c": 2, "e": 4})
    assert val.at("b") == Value(b=Value(c=2, d=3))
    with pytest.raises(ValueError, match="no field 'nope'"):
        val.at("a", "nope")


def test_prefixed_with_nests_the_whole_value():
    val = Value(a=1, b=Value(c=2))
    prefixed = val.prefixed_with("state")
    assert prefixed.as_dict == {"state.a": 1, "state.b.c": 2}
    assert prefixed.get("state") == val
    assert val.prefixed_with("x.y").as_dict == {"x.y.a": 1, "x.y.b.c": 2}


def test_map_applies_to_every_leaf_keeping_the_nesting():
    val = Value(a=1, b=Value(c=2, d=Value(e=3)))
    mapped = val.map(lambda x: x + 100)
    assert mapped == Value(a=101, b=Value(c=102, d=Value(e=103)))
    assert isinstance(mapped.get("b.d"), Value)
    assert val == Value(a=1, b=Value(c=2, d=Value(e=3)))  # The original is untouched.


def test_union_of_disjoint_values_merges_shared_prefixes():
    left = Value(a=1, s=Value(x=2))
    right = Value(b=3, s=Value(y=4))
    merged = left.union(right)
    assert merged.as_dict == {"a": 1, "s.x": 2, "b": 3, "s.y": 4}
    assert merged.get("s") == Value(x=2, y=4)


@pytest.mark.parametrize("right", [Value(a=9), Value(s=Value(x=9)), Value(**{"s.x": 9, "c": 0})])
def test_union_clash_raises_naming_the_field(right):
    left = Value(a=1, s=Value(x=2))
    with pytest.raises(ValueError, match=r"'a'|'s\.x'"):
        left.union(right)


def test_union_of_a_leaf_with_a_prefix_of_the_same_name_raises():
    with pytest.raises(ValueError, match="'s'"):
        Value(s=1).union(Value(s=Value(x=2)))


# Equality.


def test_equality_compares_fields_and_leaves():
    assert Value(a=1, b=Value(c=2)) == Value(a=1, b=Value(c=2))
    assert Value(a=1) != Value(a=2)
    assert Value(a=1) != Value(b=1)
    assert Value(a=1) != Value(a=1, b=2)
    assert Value(a=Value(b=1)) != Value(a=1)
    assert Value(a=Value(b=1)) != Value(**{"a.c": 1})


def test_equality_with_numpy_arrays_compares_elementwise_and_shapes():
    assert Value(a=np.array([1.0, 2.0])) == Value(a=np.array([1.0, 2.0]))
    assert Value(a=np.array([1.0, 2.0])) != Value(a=np.array([1.0, 3.0]))
    assert Value(a=np.zeros([2, 3])) != Value(a=np.zeros([3, 2]))
    assert Value(a=np.zeros([2])) != Value(a=np.zeros([2, 1]))
    assert Value(a=np.arange(3)) == Value(a=[0, 1, 2])
    # `==` on Values gives one bool (not an array), so it works in `assert` and `if`.
    assert isinstance(Value(a=np.arange(3)) == Value(a=np.arange(3)), bool)


def test_equality_with_other_types_is_false():
    assert Value(a=1) != {"a": 1}
    assert Value() != 0
    assert (Value(a=1) == {"a": 1}) is False


def test_value_is_unhashable():
    with pytest.raises(TypeError):
        hash(Value(a=1))


# Immutability.


def test_value_rejects_attribute_assignment():
    val = Value(a=1)
    with pytest.raises(AttributeError):
        val.a = 2
    with pytest.raises(AttributeError):
        val._fields = {}
    assert val == Value(a=1)


def test_mutating_as_dict_or_the_constructor_inputs_does_not_change_the_value():
    inner = Value(c=2)
    fields = {"a": 1, "b": inner}
    val = Value(**fields)
    fields["a"] = 100
    val.as_dict["a"] = 100
    val.as_dict["b.c"] = 100
    assert val.get("a") == 1
    assert val.get("b.c") == 2
    assert inner == Value(c=2)


def test_operations_return_new_values_and_leave_the_original_alone():
    val = Value(a=1, b=Value(c=2))
    val.union(Value(d=3))
    val.map(str)
    val.prefixed_with("p")
    val.at("a")
    assert val.as_dict == {"a": 1, "b.c": 2}


# Network-value helpers.


def test_flatten_and_unflatten_network_value_are_inverse():
    network_value = {"user": Value(state=Value(x=1, y=2)), "doc": Value(id=np.arange(3))}
    flat = flatten_network_value(network_value)
    assert list(flat) == ["user", "doc"]
    assert flat["user"] == {"state.x": 1, "state.y": 2}
    assert unflatten_network_value(flat) == network_value


def test_a_field_given_twice_through_a_prefix_and_a_dotted_name_is_refused():
    with pytest.raises(ValueError, match=r"\['a.b'\] are given twice"):
        Value(**{"a.b": 1}, a=Value(b=2))
