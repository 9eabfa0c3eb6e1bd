"""The soft-attribute simulation: a static story network, and headline statistics of a population.

Users respond once to the whole corpus (`static_recs_story`), so one initial step is the whole
simulation: `TFRuntime(network).trajectory(1, seed)` simulates a population of users with their
ratings and tags.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from recsim_ng.applications.cav_synthetic_model.corpus import SoftAttributeCorpus
from recsim_ng.applications.cav_synthetic_model.user import (NUM_RATING_LEVELS,
                                                             ConceptActivationVectorUser)
from recsim_ng.core import Network, Value
from recsim_ng.entities.recommendation import Config, CorpusConstructor, UserConstructor
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.stories.recommendation import static_recs_story

CONFIG_KEYS = ("num_users", "num_docs", "num_topics", "topic_means", "num_tags",
               "num_subjective_tag_groups", "subjective_tag_group_size")

Statistics = dict[str, Any]  # name -> float, or list of floats (per rating level or per tag)


def default_config(num_users: int = 1000, num_docs: int = 100, num_topics: int = 3,
                   dimension: int = 8, num_tags: int = 5, num_subjective_tag_groups: int = 1,
                   subjective_tag_group_size: int = 2) -> dict[str, Any]:
    """A config whose topic k is high (0.8) on attributes j with j % K == k, else low (0.2)."""
    attribute_topic = np.arange(dimension) % num_topics
    topic_means = np.where(attribute_topic == np.arange(num_topics)[:, np.newaxis], 0.8, 0.2)
    return {"num_users": num_users, "num_docs": num_docs, "num_topics": num_topics,
            "topic_means": topic_means.astype(np.float32), "num_tags": num_tags,
            "num_subjective_tag_groups": num_subjective_tag_groups,
            "subjective_tag_group_size": subjective_tag_group_size}


def cav_network(config: Config, user_ctor: UserConstructor = ConceptActivationVectorUser,
                corpus_ctor: CorpusConstructor = SoftAttributeCorpus) -> Network:
    """The static story: `user_state`, `user_response`, `corpus_state`, `available_docs`."""
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise KeyError(f"unknown config keys {unknown}; the soft-attribute model takes"
                       f" {list(CONFIG_KEYS)}")
    return Network(static_recs_story(config, user_ctor, corpus_ctor))


def population_statistics(trajectory: Mapping[str, Value]) -> Statistics:
    """Headline statistics of the initial step of a simulated trajectory.

    Tag rates are per rated document. `tag_rate_above_threshold` is, per tag, the rate among
    documents the user decided to tag whose attribute exceeds the user's threshold: 1 for an
    objective tag, and 1/G for a subjective one, which only users of the matching sense see.
    """
    state, response = trajectory["user_state"], trajectory["user_response"]
    docs = trajectory["available_docs"]

    def first_step(val: Value, field: str) -> np.ndarray:
        return np.asarray(val.get(field))[0]

    num_rated, rated_docs = first_step(response, "num_rated"), first_step(response, "rated_docs")
    ratings, tags = first_step(response, "ratings"), first_step(response, "tags")
    is_doc_tagged = first_step(response, "is_doc_tagged")
    rated = ratings > 0
    attributes = first_step(docs, "attribute_vector")[rated_docs][..., :tags.shape[-1]]
    above = attributes > first_step(state, "tagging_thresholds")
    decided = (is_doc_tagged > 0)[..., np.newaxis] & above
    popularity = first_step(docs, "popularity_bias")
    tag_attribute = attributes[rated & (is_doc_tagged > 0)]
    tag_indicator = tags[rated & (is_doc_tagged > 0)]
    return {
        "num_users": int(num_rated.shape[0]),
        "mean_num_ratings": float(num_rated.mean()),
        "fraction_at_max_num_ratings": float((num_rated == rated_docs.shape[-1]).mean()),
        "rating_histogram": [float((ratings[rated] == level).mean())
                             for level in range(1, NUM_RATING_LEVELS + 1)],
        "fraction_tagging_users": float((first_step(state, "tagging_prob") > 0).mean()),
        "fraction_users_with_tags": float(tags.any(axis=(1, 2)).mean()),
        "doc_tagging_rate": float(is_doc_tagged[rated].mean()),
        "tag_rate": tags[rated].mean(axis=0).tolist(),
        "tag_rate_above_threshold": [_mean(tags[..., s][decided[..., s]])
                                     for s in range(tags.shape[-1])],
        "attribute_tag_correlation": [_correlation(tag_attribute[:, s], tag_indicator[:, s])
                                      for s in range(tags.shape[-1])],
        "mean_popularity_of_rated_docs": float(popularity[rated_docs[rated]].mean()),
        "mean_popularity_of_corpus": float(popularity.mean()),
    }


def _mean(values: np.ndarray) -> float:
    """The mean, or NaN for no values (a small population may have none)."""
    return float(values.mean()) if values.size else float("nan")


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's correlation, or NaN where either side is constant."""
    if a.size < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def demo(num_users: int = 1000, num_docs: int = 100, seed: int = 0) -> Statistics:
    """Simulates a population under `default_config` and the default user and corpus."""
    network = cav_network(default_config(num_users, num_docs))
    return population_statistics(TFRuntime(network).trajectory(1, seed))
