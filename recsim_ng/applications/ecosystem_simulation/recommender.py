"""`MyopicRecommender`: the documents closest to each user, nudged towards unpopular providers.

The state counts each user's clicks per provider. A document j of provider k gets a boost
b_j = clip(mean(n) - n_k, -cap, cap), where n_k is provider k's clicks over all users, so
less-clicked providers are promoted and more-clicked ones demoted. The score of document j for
user u is drawn from Uniform between s_uj and s_uj + b_j + 1e-4, with s_uj = -|u - d_j| + 2 the
affinity, and the slate holds each user's `slate_size` highest-scoring documents.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.applications.ecosystem_simulation.user import (AFFINITY_OFFSET,
                                                              AffinityModelConstructor)
from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.choice_models import TargetPointSimilarity, get_chosen
from recsim_ng.entities.recommendation import BaseRecommender, Config
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box, discrete

tfd = tfp.distributions
SCORE_WIDTH = 1e-4  # Keeps every score's Uniform non-degenerate, so it has a density.


class MyopicRecommender(BaseRecommender):
    """See the module docstring. Config keys `num_users`, `num_docs`, `slate_size`,
    `num_topics`, `provider_means` `[P, T]` and, optionally, `provider_boost_cap` (default 0)."""

    def __init__(self, config: Config,
                 affinity_model_ctor: AffinityModelConstructor = TargetPointSimilarity,
                 name: str = "MyopicRecommender"):
        super().__init__(config, name)
        self._num_topics = self._config_value("num_topics")
        self._num_providers = len(self._config_value("provider_means"))
        self._boost_cap = float(config.get("provider_boost_cap", 0.0))
        self._affinity_model = affinity_model_ctor([self._num_users], self._num_docs)

    def specs(self) -> ValueSpec:
        users, docs, slate = self._num_users, self._num_docs, self._slate_size
        return Value(
            state=Value(provider_pulls=FieldSpec([users, self._num_providers], tf.float32,
                                                 box(0.0))),
            slate=Value(doc_scores=FieldSpec([users, docs], tf.float32, box()),
                        doc_id=FieldSpec([users, slate], tf.int32, discrete(docs, distinct=True)),
                        provider_id=FieldSpec([users, slate], tf.int32,
                                              discrete(self._num_providers)),
                        doc_features=FieldSpec([users, slate, self._num_topics], tf.float32,
                                               box())))

    def initial_state(self) -> Value:
        return Value(provider_pulls=tf.zeros([self._num_users, self._num_providers]))

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        chosen_provider = get_chosen(slate_docs.get("provider_id"), user_response.get("choice"))
        return Value(provider_pulls=previous_state.get("provider_pulls")
                     + tf.one_hot(chosen_provider, self._num_providers))

    def provider_boost(self, provider_pulls: tf.Tensor, provider_id: tf.Tensor) -> tf.Tensor:
        """Each document's boost `[D]` from the users' pulls `[U, P]` and its provider `[D]`."""
        pulls = tf.ones([1, provider_pulls.shape[0]]) @ provider_pulls  # Column sums.
        imbalance = tf.reduce_mean(pulls) - pulls[0]
        return tf.clip_by_value(tf.gather(imbalance, provider_id), -self._boost_cap,
                                self._boost_cap)

    def slate_docs(self, previous_state: Value, user_obs: Value, available_docs: Value) -> Value:
        provider_id = available_docs.get("provider_id")
        features = available_docs.get("doc_features")
        affinity = self._affinity_model.affinities(
            user_obs.get("user_interests"), features).get("affinities") + AFFINITY_OFFSET
        boosted = affinity + self.provider_boost(previous_state.get("provider_pulls"),
                                                 provider_id) + SCORE_WIDTH
        return Value(
            doc_scores=tfd.Uniform(tf.minimum(affinity, boosted), tf.maximum(affinity, boosted)),
            doc_id=lambda doc_scores: tf.math.top_k(doc_scores, self._slate_size).indices,
            provider_id=lambda doc_id: tf.gather(provider_id, doc_id),
            doc_features=lambda doc_id: tf.gather(features, doc_id))
