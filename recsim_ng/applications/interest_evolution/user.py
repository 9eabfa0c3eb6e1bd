"""`InterestEvolutionUser`: users whose interests drift towards (or away from) what they watch.

Each user has an interest point x ~ N(0, I) in topic space. Shown a slate, the user clicks slot j
by multinomial logit with logits `choice_offset - |x - f_j|` (features f_j), or clicks nothing
(logit `no_click_logit`). A click consumes `sigmoid(-quality) * length` time (clickbait engages
more), no click gives -1. After a click on a document of quality q and features f the interest
moves to x + step * q * (f - x), squashed as 4M (sigmoid(x / M) - 1/2) into (-2M, 2M) with
M = `max_user_affinity`; without a click it stays. The recommender observes nothing of the state.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models import (MultinomialLogitChoiceModel, TargetPointSimilarity,
                                              get_chosen)
from recsim_ng.entities.recommendation import Config, User
from recsim_ng.lib.checks import check_finite
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box, discrete

tfd = tfp.distributions

NO_CLICK_TIME = -1.0


def squash(interest: tf.Tensor, max_user_affinity: float) -> tf.Tensor:
    """4M (sigmoid(x / M) - 1/2): the identity's slope at 0, bounded in (-2M, 2M)."""
    return 4.0 * max_user_affinity * (tf.sigmoid(interest / max_user_affinity) - 0.5)


class InterestEvolutionUser(User):
    """See the module docstring. Config keys: `num_users`, `num_topics`, `slate_size`."""

    def __init__(self, config: Config, no_click_logit: float = 0.0, choice_offset: float = 2.0,
                 interest_step_size: float = 0.1, max_user_affinity: float = 10.0,
                 name: str = "User"):
        super().__init__(config, name)
        self._num_topics = self._config_value("num_topics")
        self._slate_size = self._config_value("slate_size")
        self._choice_offset = float(check_finite("choice_offset", choice_offset))
        self._step_size = float(check_finite("interest_step_size", interest_step_size))
        self._max_user_affinity = float(check_finite("max_user_affinity", max_user_affinity,
                                                     low=0.0, low_open=True))
        self._affinity_model = TargetPointSimilarity([self._num_users], self._slate_size,
                                                     "negative_euclidean")
        self._choice_model = MultinomialLogitChoiceModel([self._num_users], no_click_logit)

    def specs(self) -> ValueSpec:
        users = self._num_users
        return Value(
            state=Value(interest=FieldSpec([users, self._num_topics], tf.float32, box())),
            response=Value(choice=FieldSpec([users], tf.int32, discrete(self._slate_size + 1)),
                           consumed_time=FieldSpec([users], tf.float32, box(NO_CLICK_TIME))),
            observation=Value())

    def initial_state(self) -> Value:
        shape = [self._num_users, self._num_topics]
        return Value(interest=tfd.Independent(tfd.Normal(tf.zeros(shape), 1.0), 1))

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        interest = previous_state.get("interest")
        choice = user_response.get("choice")
        features = get_chosen(slate_docs.get("doc_features"), choice, nochoice_value=0.0)
        quality = get_chosen(slate_docs.get("doc_quality"), choice, nochoice_value=0.0)
        moved = squash(interest + self._step_size * quality[:, None] * (features - interest),
                       self._max_user_affinity)
        clicked = choice < self._slate_size
        return Value(interest=tf.where(clicked[:, None], moved, interest))

    def next_response(self, previous_state: Value, slate_docs: Value) -> Value:
        affinities = self._affinity_model.affinities(previous_state.get("interest"),
                                                     slate_docs.get("doc_features"))
        choice = self._choice_model.choice(affinities.get("affinities") + self._choice_offset)

        def consumed_time(choice: tf.Tensor) -> tf.Tensor:
            quality = get_chosen(slate_docs.get("doc_quality"), choice, nochoice_value=0.0)
            length = get_chosen(slate_docs.get("doc_length"), choice, nochoice_value=0.0)
            clicked = choice < self._slate_size
            return tf.where(clicked, tf.sigmoid(-quality) * length, NO_CLICK_TIME)

        return choice.union(Value(consumed_time=consumed_time))

    def observation(self, user_state: Value) -> Value:
        del user_state
        return Value()
