"""`ModelLearningDemoUser`: users whose satisfaction tracks the best document they are shown.

Each user has a static latent `intent` drawn from a Gaussian mixture centred on the topic unit
vectors. The best slate utility is m_t = max_j(-|intent - f_j|) + 2 over the previous slate, and
satisfaction follows s_t ~ N(alpha * s_{t-1} + m_t - m_{t-1}, noise). Users choose among the
current slate by multinomial logit with logits -|intent - f_j| + 2 + s_t, or choose nothing (logit
0). `alpha`, the satisfaction sensitivity, is a trainable per-user variable.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models import MultinomialLogitChoiceModel
from recsim_ng.entities.recommendation import Config, User
from recsim_ng.lib.checks import check_finite, checked_in_graph, is_concrete
from recsim_ng.lib.field_spec import FieldSpec

tfd = tfp.distributions


class ModelLearningDemoUser(User):
    """See the module docstring; config keys `num_users`, `num_topics` and `slate_size`."""

    def __init__(self, config: Config, satisfaction_sensitivity: float | tf.Tensor = 0.8,
                 intent_variance: float = 0.1, satisfaction_noise: float = 0.1,
                 initial_satisfaction: float = 5.0, name: str = "ModelLearningDemoUser"):
        super().__init__(config, name)
        self._num_topics = self._config_value("num_topics")
        self._slate_size = self._config_value("slate_size")
        if is_concrete(satisfaction_sensitivity):
            check_finite("satisfaction_sensitivity", satisfaction_sensitivity)
        self.satisfaction_sensitivity = tf.Variable(
            tf.broadcast_to(tf.cast(satisfaction_sensitivity, tf.float32), [self._num_users]),
            name="satisfaction_sensitivity")
        self._intent_scale = float(check_finite("intent_variance", intent_variance, low=0.0,
                                                low_open=True)) ** 0.5
        self._satisfaction_noise = float(check_finite("satisfaction_noise", satisfaction_noise,
                                                      low=0.0, low_open=True))
        self._initial_satisfaction = float(check_finite("initial_satisfaction",
                                                        initial_satisfaction))
        self._choice_model = MultinomialLogitChoiceModel([self._num_users], nochoice_logits=0.0)

    def specs(self) -> ValueSpec:
        users, topics = self._num_users, self._num_topics
        return Value(
            state=Value(intent=FieldSpec([users, topics], tf.float32),
                        satisfaction=FieldSpec([users], tf.float32),
                        max_slate_utility=FieldSpec([users], tf.float32)),
            response=self._choice_model.specs(self._slate_size),
            observation=Value())

    def initial_state(self) -> Value:
        users, topics = self._num_users, self._num_topics
        centres = tf.broadcast_to(tf.eye(topics), [users, topics, topics])
        intent = tfd.MixtureSameFamily(
            tfd.Categorical(logits=tf.zeros([users, topics])),
            tfd.MultivariateNormalDiag(centres, tf.fill([users, topics, topics],
                                                        self._intent_scale)))
        return Value(intent=intent,
                     satisfaction=tf.fill([users], self._initial_satisfaction),
                     max_slate_utility=tf.zeros([users]))

    def _utilities(self, intent: tf.Tensor, slate_docs: Value) -> tf.Tensor:
        features = slate_docs.get("features")
        return 2.0 - tf.norm(intent[:, tf.newaxis, :] - features, axis=-1)

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        del user_response
        intent = previous_state.get("intent")
        best = tf.reduce_max(self._utilities(intent, slate_docs), axis=-1)
        sensitivity = checked_in_graph(  # A trainable variable: checked whenever used.
            "satisfaction_sensitivity", self.satisfaction_sensitivity,
            tf.math.is_finite(self.satisfaction_sensitivity), "finite")
        mean = (sensitivity * previous_state.get("satisfaction")
                + best - previous_state.get("max_slate_utility"))
        return Value(intent=intent,
                     satisfaction=tfd.Normal(mean, self._satisfaction_noise),
                     max_slate_utility=best)

    def next_response(self, previous_state: Value, slate_docs: Value) -> Value:
        logits = (self._utilities(previous_state.get("intent"), slate_docs)
                  + previous_state.get("satisfaction")[:, tf.newaxis])
        return self._choice_model.choice(logits)

    def observation(self, user_state: Value) -> Value:
        del user_state
        return Value()
