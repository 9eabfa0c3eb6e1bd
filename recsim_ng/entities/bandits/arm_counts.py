"""`ArmCountsAlgorithm`: algorithms whose statistics are per-arm pull counts and reward sums."""

from __future__ import annotations

import abc

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.algorithm import BanditAlgorithm
from recsim_ng.lib.field_spec import FieldSpec


class ArmCountsAlgorithm(BanditAlgorithm, abc.ABC):
    """Statistics `pulls` and `reward_sums`, both float [bandits, arms]; subclasses choose.

    These are sufficient for every non-contextual algorithm here: empirical means, confidence
    bounds and conjugate posteriors (Beta-Bernoulli, Gaussian with known noise) derive from them.
    """

    @abc.abstractmethod
    def choice_specs(self) -> ValueSpec:
        """The spec of `arm_choice`'s value."""

    def specs(self) -> ValueSpec:
        arms = [self.num_bandits, self.num_arms]
        return Value(statistics=Value(pulls=FieldSpec(arms, tf.float32),
                                      reward_sums=FieldSpec(arms, tf.float32)),
                     choice=self.choice_specs())

    def initial_statistics(self) -> Value:
        zeros = tf.zeros([self.num_bandits, self.num_arms])
        return Value(pulls=zeros, reward_sums=zeros)

    def next_statistics(self, previous_statistics: Value, choice: Value, rewards: Value,
                        context: Value) -> Value:
        del context
        pulled = tf.one_hot(choice.get("choice"), self.num_arms, dtype=tf.float32)
        return Value(pulls=previous_statistics.get("pulls") + pulled,
                     reward_sums=previous_statistics.get("reward_sums")
                     + pulled * rewards.get("reward")[:, tf.newaxis])


def empirical_means(statistics: Value) -> tf.Tensor:
    """Each arm's mean reward so far, 0 for arms never pulled."""
    return tf.math.divide_no_nan(statistics.get("reward_sums"), statistics.get("pulls"))


def exploration_budgets(statistics: Value) -> tf.Tensor:
    """ln(t) / n per arm: the total pulls' log over the arm's pulls (0 for unpulled arms)."""
    pulls = statistics.get("pulls")
    total = tf.reduce_sum(pulls, axis=-1, keepdims=True)
    return tf.math.divide_no_nan(tf.math.log(tf.maximum(total, 1.0)), pulls)


def argmax_trying_unpulled_first(statistics: Value, index: tf.Tensor) -> tf.Tensor:
    """The arm with the largest `index`, except that the first never-pulled arm comes first."""
    unpulled = statistics.get("pulls") == 0.0
    index = tf.where(unpulled, tf.constant(float("inf")), index)
    return tf.argmax(index, axis=-1, output_type=tf.int32)
