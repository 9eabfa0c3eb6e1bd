"""`ConsumedTimeAsRewardMetrics`: the reward is the time users spend on what they click."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.recommendation import RecsMetricsBase
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box


def consumed_time_reward(consumed_time: tf.Tensor) -> tf.Tensor:
    """Per-user reward of a response: its consumed time, 0 without a click."""
    return tf.maximum(consumed_time, 0.0)


class ConsumedTimeAsRewardMetrics(RecsMetricsBase):
    """`reward` of the previous step's responses and its running sum `cumulative_reward`.

    Following the recommendation story, the metrics at step t score step t-1's responses.
    Config key: `num_users`.
    """

    def specs(self) -> ValueSpec:
        field = FieldSpec([self._num_users], tf.float32, box(0.0))
        return Value(state=Value(reward=field, cumulative_reward=field))

    def initial_metrics(self) -> Value:
        zeros = tf.zeros([self._num_users])
        return Value(reward=zeros, cumulative_reward=zeros)

    def next_metrics(self, previous_metrics: Value, corpus_state: Value, user_state: Value,
                     user_response: Value, slate_docs: Value) -> Value:
        del corpus_state, user_state, slate_docs
        reward = consumed_time_reward(user_response.get("consumed_time"))
        return Value(reward=reward,
                     cumulative_reward=previous_metrics.get("cumulative_reward") + reward)
