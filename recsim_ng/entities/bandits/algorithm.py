"""`BanditAlgorithm`: the interface of a policy that learns which arm to pull, per bandit."""

from __future__ import annotations

import abc

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.arms import ArmedEntity
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import discrete


class BanditAlgorithm(ArmedEntity, abc.ABC):
    """Keeps sufficient `statistics` of past pulls and makes each step's `choice`.

    The statistics at step t summarise the choices and rewards of steps 0 .. t-1, and the
    choice at step t is made from them and the step's context. `specs()` holds two prefixes:
    `statistics` and `choice`; the choice value has a `choice` field (the arm index, int32
    [bandits]) and may have others, e.g. the posterior draw it maximises. Randomised choices are
    distributions (or callables of earlier random fields), never stateful random ops.
    """

    def choice_field_spec(self) -> FieldSpec:
        """The spec of the `choice` field: an arm index per bandit."""
        return FieldSpec([self.num_bandits], tf.int32, space=discrete(self.num_arms))

    @abc.abstractmethod
    def specs(self) -> ValueSpec:
        """`statistics` and `choice` specs under those prefixes."""

    @abc.abstractmethod
    def initial_statistics(self) -> Value:
        """The statistics before any pull."""

    @abc.abstractmethod
    def next_statistics(self, previous_statistics: Value, choice: Value, rewards: Value,
                        context: Value) -> Value:
        """The statistics updated with one step's choice, its reward and the step's context."""

    @abc.abstractmethod
    def arm_choice(self, statistics: Value, context: Value) -> Value:
        """This step's choice given this step's statistics and context."""
