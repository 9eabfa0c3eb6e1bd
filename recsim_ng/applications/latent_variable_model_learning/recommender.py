"""`SimpleNormalRecommender`: slates of fresh random documents, independent of the users."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.recommendation import BaseRecommender, Config
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class SimpleNormalRecommender(BaseRecommender):
    """Each step, every user's slate holds `slate_size` documents with N(0, scale) features."""

    def __init__(self, config: Config, normal_scale: float = 0.5,
                 name: str = "SimpleNormalRecommender"):
        super().__init__(config, name)
        self._num_topics = self._config_value("num_topics")
        self._scale = normal_scale

    def specs(self) -> ValueSpec:
        shape = [self._num_users, self._slate_size, self._num_topics]
        return Value(state=Value(), slate=Value(features=FieldSpec(shape, tf.float32)))

    def initial_state(self) -> Value:
        return Value()

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        return previous_state

    def slate_docs(self, previous_state: Value, user_obs: Value, available_docs: Value) -> Value:
        shape = [self._num_users, self._slate_size, self._num_topics]
        return Value(features=tfd.Normal(tf.zeros(shape), self._scale))
