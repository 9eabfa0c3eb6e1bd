"""`UtilityAsRewardMetrics`: each user's utility as the reward, and its running total."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.recommendation import RecsMetricsBase
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box


class UtilityAsRewardMetrics(RecsMetricsBase):
    """`reward` is the users' utility in the previous step's state; `cumulative_reward` sums it.

    The story hands metrics the previous step's user state, whose utility comes from the choice
    one step before that: after `execute(H)` the total covers the choices of steps 0 .. H-2.
    """

    def specs(self) -> ValueSpec:
        users = [self._num_users]
        return Value(state=Value(reward=FieldSpec(users, tf.float32, box()),
                                 cumulative_reward=FieldSpec(users, tf.float32, box())))

    def initial_metrics(self) -> Value:
        return Value(reward=tf.zeros([self._num_users]),
                     cumulative_reward=tf.zeros([self._num_users]))

    def next_metrics(self, previous_metrics: Value, corpus_state: Value, user_state: Value,
                     user_response: Value, slate_docs: Value) -> Value:
        del corpus_state, user_response, slate_docs
        reward = user_state.get("utilities")
        return Value(reward=reward,
                     cumulative_reward=previous_metrics.get("cumulative_reward") + reward)
