"""Fibonacci numbers as a deterministic one-variable network."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.runtime import TFRuntime


def fibonacci_network() -> Network:
    """A variable whose fields `(a, b)` go (0, 1), (1, 1), (1, 2), (2, 3), ..."""
    fib = Variable("fib", Value(a=FieldSpec((), tf.int64), b=FieldSpec((), tf.int64)))
    fib.initial_value = value(lambda: Value(a=tf.constant(0, tf.int64), b=tf.constant(1, tf.int64)))
    fib.value = value(lambda previous: Value(a=previous.get("b"),
                                             b=previous.get("a") + previous.get("b")),
                      [fib.previous])
    return Network([fib])


def fibonacci(n: int) -> list[int]:
    """The first `n` Fibonacci numbers, computed by simulating the network."""
    trajectory = TFRuntime(fibonacci_network()).trajectory(n, seed=0)
    return [int(x) for x in trajectory["fib"].get("a").numpy()]


if __name__ == "__main__":
    print(fibonacci(20))
