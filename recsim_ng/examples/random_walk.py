"""A Gaussian random walk: the smallest stochastic network."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.checks import check_finite, check_size, is_concrete
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.runtime import TFRuntime

tfd = tfp.distributions


def random_walk_network(num_walkers: int, scale: float | tf.Variable = 1.0) -> Network:
    """`position` starts at N(0, scale) and moves by N(0, scale) each step, per walker."""
    check_size("num_walkers", num_walkers)
    if is_concrete(scale):
        check_finite("scale", scale, low=0.0, low_open=True)
    walk = Variable("walk", Value(position=FieldSpec([num_walkers], tf.float32)))
    walk.initial_value = value(lambda: Value(position=tfd.Normal(tf.zeros([num_walkers]), scale)))
    walk.value = value(lambda previous: Value(position=tfd.Normal(previous.get("position"), scale)),
                       [walk.previous])
    return Network([walk])


if __name__ == "__main__":
    positions = TFRuntime(random_walk_network(5)).trajectory(10, seed=0)["walk"].get("position")
    print(positions.numpy().round(2))
