"""`BanditContext`: what every bandit observes before it chooses an arm."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.lib.checks import check_size
from recsim_ng.lib.entity import Entity
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class BanditContext(Entity):
    """The step count `time` (0 at the initial step), shared by all `num_bandits` bandits.

    Subclasses add per-bandit observations (e.g. `GaussianContext`'s feature vectors); problems
    and algorithms read the fields they need.
    """

    def __init__(self, num_bandits: int, name: str = "BanditContext"):
        super().__init__(name=name)
        self.num_bandits = check_size(f"{type(self).__name__} num_bandits", num_bandits)

    def specs(self) -> ValueSpec:
        return Value(time=FieldSpec([], tf.int32))

    def initial_context(self) -> Value:
        return Value(time=tf.constant(0, tf.int32))

    def next_context(self, previous_context: Value) -> Value:
        return Value(time=previous_context.get("time") + 1)


class GaussianContext(BanditContext):
    """Adds `features` [num_bandits, dimension], drawn afresh each step from N(0, I / dimension).

    The scale makes the features' expected squared norm 1 whatever the dimension.
    """

    def __init__(self, num_bandits: int, dimension: int, name: str = "GaussianContext"):
        super().__init__(num_bandits, name)
        self.dimension = check_size("GaussianContext dimension", dimension)

    def specs(self) -> ValueSpec:
        return super().specs().union(
            Value(features=FieldSpec([self.num_bandits, self.dimension], tf.float32)))

    def initial_context(self) -> Value:
        return super().initial_context().union(Value(features=self._features()))

    def next_context(self, previous_context: Value) -> Value:
        return super().next_context(previous_context).union(Value(features=self._features()))

    def _features(self) -> tfd.Distribution:
        return tfd.Normal(tf.zeros([self.num_bandits, self.dimension]), self.dimension ** -0.5)
