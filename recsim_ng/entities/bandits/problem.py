"""`BanditProblem`: the interface of a batch of independent multi-armed bandit problems."""

from __future__ import annotations

import abc
from typing import Sequence, Union

import numpy as np
import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.arms import ArmedEntity
from recsim_ng.entities.bandits.context import BanditContext
from recsim_ng.lib.checks import check_finite, is_concrete
from recsim_ng.lib.field_spec import FieldSpec

ArmValues = Union[Sequence[float], Sequence[Sequence[float]], np.ndarray, tf.Tensor]


class BanditProblem(ArmedEntity, abc.ABC):
    """`num_bandits` independent problems with `num_arms` arms each.

    The problem's `parameters` are set once, at the initial step (they may be drawn from a prior).
    At every step its `state` holds every arm's expected reward given the parameters and the
    context (`arm_means`, for pseudo-regret) and a reward drawn for every arm (`arm_rewards`,
    for regret against the realised best arm); `rewards` then reads the chosen arm's reward.
    `specs()` holds three prefixes: `parameters`, `state` and `rewards`.
    """

    @abc.abstractmethod
    def parameter_specs(self) -> ValueSpec:
        """The spec of `parameters()`."""

    @abc.abstractmethod
    def parameters(self) -> Value:
        """The problem's parameters: tensors, or distributions to draw them from."""

    @abc.abstractmethod
    def state(self, parameters: Value, context: Value) -> Value:
        """`arm_means` (a tensor) and `arm_rewards` (a distribution), both [bandits, arms]."""

    def default_context(self) -> BanditContext:
        """The context a story uses when given none: the step count only."""
        return BanditContext(self.num_bandits)

    def specs(self) -> ValueSpec:
        arms = FieldSpec([self.num_bandits, self.num_arms], tf.float32)
        return Value(parameters=self.parameter_specs(),
                     state=Value(arm_means=arms, arm_rewards=FieldSpec(arms.shape, tf.float32)),
                     rewards=Value(reward=FieldSpec([self.num_bandits], tf.float32)))

    def rewards(self, choice: Value, state: Value) -> Value:
        """`reward` [bandits]: the realised reward of each bandit's chosen arm."""
        return Value(reward=tf.gather(state.get("arm_rewards"), choice.get("choice"),
                                      batch_dims=1))


def per_bandit_arms(values: ArmValues, num_bandits: int, what: str) -> tf.Tensor:
    """`values` ([arms] shared by all bandits, or [bandits, arms]) as a float [bandits, arms]."""
    tensor = tf.convert_to_tensor(values, tf.float32)
    if is_concrete(tensor):
        check_finite(what, tensor)
    if tensor.shape.rank == 1:
        tensor = tf.tile(tensor[tf.newaxis], [num_bandits, 1])
    if tensor.shape.rank != 2 or tensor.shape[0] != num_bandits:
        raise ValueError(f"{what} must have shape [arms] or [{num_bandits}, arms],"
                         f" got shape {tensor.shape}")
    return tensor
