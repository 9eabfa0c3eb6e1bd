"""Corpora of documents with a topic, a quality, topic features and a length.

The first `floor(trashy_fraction * T)` topics are "trashy": their quality means spread over
[topic_min_utility, 0]; the others spread over [0, topic_max_utility]. A document's quality is
normal around its topic's mean, its features are normal around the topic's one-hot vector, and
every document has the same length. Document ids run 1..D (0 is the null document of histories).
The corpus never changes during a simulation.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, ValueSpec, Variable
from recsim_ng.core.variable import value
from recsim_ng.entities.recommendation import Config, Corpus
from recsim_ng.lib import seeds
from recsim_ng.lib.checks import check_finite
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.space import box, discrete

tfd = tfp.distributions


def topic_quality_means(num_topics: int, topic_min_utility: float = -1.0,
                        topic_max_utility: float = 1.0, trashy_fraction: float = 0.7) -> np.ndarray:
    """Each topic's mean quality `[T]`: trashy topics first, on [min, 0], then [0, max]."""
    check_finite("trashy_fraction", trashy_fraction, low=0.0, high=1.0)
    num_trashy = int(np.floor(trashy_fraction * num_topics))
    return np.concatenate([
        np.linspace(topic_min_utility, 0.0, num_trashy),
        np.linspace(0.0, topic_max_utility, num_topics - num_trashy)]).astype(np.float32)


def corpus_specs(num_docs: int, num_topics: int) -> ValueSpec:
    """The fields of a corpus state, which are also the available documents."""
    return Value(doc_id=FieldSpec([num_docs], tf.int32, discrete(num_docs + 1)),
                 doc_topic=FieldSpec([num_docs], tf.int32, discrete(num_topics)),
                 doc_quality=FieldSpec([num_docs], tf.float32, box()),
                 doc_features=FieldSpec([num_docs, num_topics], tf.float32, box()),
                 doc_length=FieldSpec([num_docs], tf.float32, box(0.0)))


class CorpusWithTopicAndQuality(Corpus):
    """A corpus drawn at the initial step (see the module docstring), then kept as it is.

    Config keys: `num_docs`, `num_topics`.
    """

    def __init__(self, config: Config, topic_min_utility: float = -1.0,
                 topic_max_utility: float = 1.0, video_length: float = 2.0,
                 quality_stddev: float = 0.1, feature_stddev: float = 0.7,
                 name: str = "Corpus"):
        super().__init__(config, name)
        self._num_topics = self._config_value("num_topics")
        self._quality_means = topic_quality_means(
            self._num_topics, float(check_finite("topic_min_utility", topic_min_utility)),
            float(check_finite("topic_max_utility", topic_max_utility)))
        self._video_length, self._quality_stddev, self._feature_stddev = (
            float(check_finite(parameter, value, low=0.0, low_open=True))
            for parameter, value in (("video_length", video_length),
                                     ("quality_stddev", quality_stddev),
                                     ("feature_stddev", feature_stddev)))

    def specs(self) -> ValueSpec:
        fields = corpus_specs(self._num_docs, self._num_topics)
        return Value(state=fields, available_docs=fields)

    def initial_state(self) -> Value:
        docs, topics = self._num_docs, self._num_topics
        return Value(
            doc_id=tf.range(1, docs + 1, dtype=tf.int32),
            doc_topic=tfd.Categorical(logits=tf.zeros([docs, topics]), dtype=tf.int32),
            doc_quality=lambda doc_topic: tfd.Normal(
                tf.gather(self._quality_means, doc_topic), self._quality_stddev),
            doc_features=lambda doc_topic: tfd.Independent(
                tfd.Normal(tf.one_hot(doc_topic, topics), self._feature_stddev), 1),
            doc_length=tf.fill([docs], self._video_length))

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        del user_response, slate_docs
        return previous_state

    def available_documents(self, corpus_state: Value) -> Value:
        return corpus_state


class StaticCorpus(Corpus):
    """A fixed corpus given as a state `Value` (e.g. from `sample_corpus`), the same every run."""

    def __init__(self, config: Config, static_state: Value, name: str = "Corpus"):
        super().__init__(config, name)
        self._num_topics = self._config_value("num_topics")
        self._state = static_state.map(tf.convert_to_tensor)

    def specs(self) -> ValueSpec:
        fields = corpus_specs(self._num_docs, self._num_topics)
        return Value(state=fields, available_docs=fields)

    def initial_state(self) -> Value:
        return self._state

    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        del user_response, slate_docs
        return previous_state

    def available_documents(self, corpus_state: Value) -> Value:
        return corpus_state


def sample_corpus(config: Config, seed: seeds.Seed, **corpus_kwargs: float) -> Value:
    """One draw of a `CorpusWithTopicAndQuality` state, to freeze with `StaticCorpus`."""
    corpus = CorpusWithTopicAndQuality(config, **corpus_kwargs)
    state = Variable("corpus_state", corpus.specs().get("state"))
    state.value = value(corpus.initial_state)
    return TFRuntime(Network([state])).execute(0, seed)["corpus_state"]
