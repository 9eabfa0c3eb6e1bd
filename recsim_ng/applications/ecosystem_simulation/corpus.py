"""`ViableCorpus`: a corpus whose providers publish in proportion to their recent popularity.

The state is each provider's discounted click count, c' = discount * c + (this step's clicks on
its documents). Every step all D documents are drawn afresh: a document's provider k with
probability proportional to (1 + c_k)^gamma, its features ~ N(mu_k, provider_stddev^2 I).
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models import get_chosen
from recsim_ng.entities.recommendation import Config, Corpus
from recsim_ng.lib.checks import check_finite
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box, discrete

tfd = tfp.distributions


class ViableCorpus(Corpus):
    """See the module docstring; config keys `num_docs`, `num_topics` and `provider_means`."""

    def __init__(self, config: Config, gamma: float = 2.0, discount: float = 0.96,
                 provider_stddev: float = 1.0, name: str = "ViableCorpus"):
        super().__init__(config, name)
        self._num_topics = self._config_value("num_topics")
        self._provider_means = tf.constant(
            check_finite("provider_means", self._config_value("provider_means")), tf.float32)
        self._num_providers = self._provider_means.shape[0]
        self._gamma = float(check_finite("gamma", gamma))
        self._discount = float(check_finite("discount", discount, low=0.0, high=1.0))
        self._provider_stddev = float(check_finite("provider_stddev", provider_stddev, low=0.0,
                                                   low_open=True))

    def specs(self) -> ValueSpec:
        providers, docs = self._num_providers, self._num_docs
        return Value(
            state=Value(provider_click_count=FieldSpec([providers], tf.float32, box(0.0))),
            available_docs=Value(
                provider_id=FieldSpec([docs], tf.int32, discrete(providers)),
                doc_features=FieldSpec([docs, self._num_topics], tf.float32, box())))

    def initial_state(self) -> Value:
        return Value(provider_click_count=tf.zeros([self._num_providers]))

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        chosen_provider = get_chosen(slate_docs.get("provider_id"), user_response.get("choice"))
        clicks = tf.math.unsorted_segment_sum(  # No-choice's provider -1 counts nowhere.
            tf.ones_like(chosen_provider, tf.float32), chosen_provider, self._num_providers)
        return Value(provider_click_count=(
            self._discount * previous_state.get("provider_click_count") + clicks))

    def available_documents(self, corpus_state: Value) -> Value:
        logits = self._gamma * tf.math.log1p(corpus_state.get("provider_click_count"))
        scale = tf.fill([self._num_docs, self._num_topics], self._provider_stddev)
        return Value(
            provider_id=tfd.Categorical(
                logits=tf.broadcast_to(logits, [self._num_docs, self._num_providers]),
                dtype=tf.int32),
            doc_features=lambda provider_id: tfd.MultivariateNormalDiag(
                tf.gather(self._provider_means, provider_id), scale))
