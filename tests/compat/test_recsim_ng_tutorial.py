"""RecSim NG's tutorial networks, as written there except for imports and explicit seeds.

They declare fields with the framework-agnostic `value.FieldSpec()` and hold Python scalars;
the TensorFlow runtime must treat such fields exactly as `recsim_ng.lib.field_spec.FieldSpec()`.
"""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.core import network as network_lib
from recsim_ng.core import value
from recsim_ng.core import variable
from recsim_ng.lib import field_spec
from recsim_ng.lib.tensorflow import runtime

Value = value.Value
ValueSpec = value.ValueSpec
FieldSpec = value.FieldSpec


def counter_network() -> network_lib.Network:
    counter = variable.Variable(name="counter", spec=ValueSpec(n=FieldSpec()))
    counter.initial_value = variable.value(lambda: Value(n=0))
    counter.value = variable.value(lambda prev: prev.map(lambda n: n + 1), (counter.previous,))
    return network_lib.Network(variables=[counter])


def coupled_fibonacci_network() -> network_lib.Network:
    fib0 = variable.Variable(name="fib0", spec=ValueSpec(fib=FieldSpec()))
    fib1 = variable.Variable(name="fib1", spec=ValueSpec(fib=FieldSpec()))
    fib0.initial_value = variable.value(lambda: Value(fib=0))
    fib1.initial_value = variable.value(lambda: Value(fib=1))
    fib0.value = variable.value(lambda f1: Value(fib=f1.get("fib")), (fib1.previous,))
    fib1.value = variable.value(lambda f0, f1: Value(fib=f0.get("fib") + f1.get("fib")),
                                (fib0.previous, fib1.previous))
    return network_lib.Network(variables=[fib0, fib1])


def grouped_fibonacci_network() -> network_lib.Network:
    fib = variable.Variable(name="fib", spec=ValueSpec(fib0=FieldSpec(), fib1=FieldSpec()))
    fib.initial_value = variable.value(lambda: Value(fib0=0, fib1=1))
    fib.value = variable.value(
        lambda prev: Value(fib0=prev.get("fib1"), fib1=prev.get("fib0") + prev.get("fib1")),
        (fib.previous,))
    return network_lib.Network(variables=[fib])


FIBONACCI = [0, 1, 1, 2, 3, 5, 8, 13, 21]


@pytest.mark.parametrize("runtime_class", [runtime.TFRuntime, runtime.PythonRuntime])
def test_counter_counts_in_execute_and_trajectory(runtime_class):
    tf_runtime = runtime_class(network=counter_network())
    final = tf_runtime.execute(num_steps=4, seed=0)["counter"].get("n")
    counts = tf_runtime.trajectory(length=5, seed=0)["counter"].get("n")
    # As in RecSim NG: Python ints become int32 tensors.
    assert final.dtype == tf.int32 and int(final) == 4
    assert counts.dtype == tf.int32 and counts.numpy().tolist() == [0, 1, 2, 3, 4]


def test_coupled_fibonacci_trajectory():
    trajectory = runtime.TFRuntime(network=coupled_fibonacci_network()).trajectory(
        length=8, seed=0)
    assert trajectory["fib0"].get("fib").numpy().tolist() == FIBONACCI[:8]
    assert trajectory["fib1"].get("fib").numpy().tolist() == FIBONACCI[1:9]


def test_grouped_fibonacci_execute_and_trajectory():
    tf_runtime = runtime.TFRuntime(network=grouped_fibonacci_network())
    final = tf_runtime.execute(num_steps=7, seed=0)["fib"]
    trajectory = tf_runtime.trajectory(length=8, seed=0)["fib"]
    assert (int(final.get("fib0")), int(final.get("fib1"))) == (13, 21)
    assert trajectory.get("fib0").numpy().tolist() == FIBONACCI[:8]
    assert trajectory.get("fib1").numpy().tolist() == FIBONACCI[1:9]


def test_a_generic_field_spec_learns_dtype_and_shape_like_the_tensorflow_one():
    network = counter_network()
    runtime.TFRuntime(network=network).trajectory(length=3, seed=0)
    spec = network.variable("counter").spec.get("n")
    assert isinstance(spec, field_spec.FieldSpec)
    assert spec.dtype == tf.int32 and spec.shape == tf.TensorShape([])
    ok, why = spec.check_value(np.zeros(3, np.int32))
    assert not ok and "shape" in why


@pytest.mark.parametrize("spec", [FieldSpec(), field_spec.FieldSpec()],
                         ids=["core", "tensorflow"])
def test_a_field_that_changes_shape_is_an_error_with_either_field_spec(spec):
    growing = variable.Variable(name="growing", spec=ValueSpec(x=spec))
    growing.initial_value = variable.value(lambda: Value(x=[0.0]))
    growing.value = variable.value(lambda prev: Value(x=tf.concat([prev.get("x"), [1.0]], 0)),
                                   (growing.previous,))
    with pytest.raises(ValueError, match="'growing', field 'x'.*shape"):
        runtime.TFRuntime(network=network_lib.Network(variables=[growing])).trajectory(
            length=3, seed=0)


def test_subclasses_of_the_generic_field_spec_are_kept():
    class Anything(FieldSpec):
        """A user's own spec: its checks are the user's choice."""

    spec = Anything()
    v = variable.Variable(name="v", spec=ValueSpec(x=spec))
    v.value = variable.value(lambda: Value(x=1.0))
    runtime.TFRuntime(network=network_lib.Network(variables=[v])).execute(num_steps=1, seed=0)
    assert v.spec.get("x") is spec
