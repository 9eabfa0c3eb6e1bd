"""`SoftAttributeCorpus`: documents with soft-attribute vectors and a popularity bias.

Each document's attributes are drawn once, at the initial step, from a Gaussian mixture over
topics (`v ~ sum_k softmax(topic_logits)_k N(mu_k, doc_stddev^2 I)`) and clipped to [0, 1]; the
first `num_tags` attributes are the taggable soft attributes, the rest are latent. Each document
also has a popularity bias `b ~ U(0, 1)` that raises its chance of being rated. The corpus is
static: every document is available at every step, to every user.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.recommendation import Config, Corpus
from recsim_ng.lib.checks import check_finite
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box

tfd = tfp.distributions


def topic_mixture(topic_means: np.ndarray, topic_logits: np.ndarray, stddev: float,
                  batch_size: int) -> tfd.Distribution:
    """`[batch_size, d]` independent vectors from the isotropic Gaussian mixture over topics."""
    num_topics, dimension = topic_means.shape
    return tfd.MixtureSameFamily(
        tfd.Categorical(logits=tf.broadcast_to(topic_logits, [batch_size, num_topics])),
        tfd.MultivariateNormalDiag(
            tf.broadcast_to(topic_means, [batch_size, num_topics, dimension]),
            tf.fill([batch_size, num_topics, dimension], np.float32(stddev))))


def read_topics(config: Config, topic_logits: Sequence[float] | None,
                owner: str) -> tuple[np.ndarray, np.ndarray]:
    """The config's `topic_means` `[K, d]` and the logits `[K]` (uniform when `None`), checked."""
    num_topics, num_tags = config["num_topics"], config["num_tags"]
    topic_means = check_finite("topic_means", config["topic_means"]).astype(np.float32)
    if topic_means.ndim != 2 or topic_means.shape[0] != num_topics:
        raise ValueError(f"{owner}: topic_means must have shape [num_topics={num_topics}, d],"
                         f" got {topic_means.shape}")
    if not num_tags < topic_means.shape[1]:
        raise ValueError(f"{owner}: num_tags ({num_tags}) must be smaller than the attribute"
                         f" dimension d ({topic_means.shape[1]})")
    logits = np.zeros(num_topics, np.float32) if topic_logits is None else check_finite(
        "topic_logits", topic_logits).astype(np.float32)
    if logits.shape != (num_topics,):
        raise ValueError(f"{owner}: topic_logits must have shape [{num_topics}],"
                         f" got {logits.shape}")
    return topic_means, logits


class SoftAttributeCorpus(Corpus):
    """See the module docstring; config keys `num_docs`, `num_topics`, `topic_means` `[K, d]`
    and `num_tags`."""

    def __init__(self, config: Config, topic_logits: Sequence[float] | None = None,
                 doc_stddev: float = 0.5, name: str = "SoftAttributeCorpus"):
        super().__init__(config, name)
        for key in ("num_topics", "topic_means", "num_tags"):
            self._config_value(key)
        self._topic_means, self._topic_logits = read_topics(config, topic_logits, name)
        self._dimension = self._topic_means.shape[1]
        self._doc_stddev = float(check_finite("doc_stddev", doc_stddev, low=0.0, low_open=True))

    def specs(self) -> ValueSpec:
        docs, dims = self._num_docs, self._dimension
        available = Value(attribute_vector=FieldSpec([docs, dims], tf.float32, box(0.0, 1.0)),
                          popularity_bias=FieldSpec([docs], tf.float32, box(0.0, 1.0)))
        state = Value(untruncated_attributes=FieldSpec([docs, dims], tf.float32, box()),
                      **available.as_dict)
        return Value(state=state, available_docs=available)

    def initial_state(self) -> Value:
        docs = self._num_docs
        return Value(
            untruncated_attributes=topic_mixture(self._topic_means, self._topic_logits,
                                                 self._doc_stddev, docs),
            attribute_vector=lambda untruncated_attributes: tf.clip_by_value(
                untruncated_attributes, 0.0, 1.0),
            popularity_bias=tfd.Uniform(tf.zeros([docs]), tf.ones([docs])))

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        del user_response, slate_docs
        return previous_state

    def available_documents(self, corpus_state: Value) -> Value:
        return corpus_state.at("attribute_vector", "popularity_bias")
