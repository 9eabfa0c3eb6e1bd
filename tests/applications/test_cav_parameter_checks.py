"""The soft-attribute user and corpus reject NaN, infinite and degenerate parameters, naming
them."""

import numpy as np
import pytest

from recsim_ng.applications.cav_synthetic_model import (ConceptActivationVectorUser,
                                                        SoftAttributeCorpus, default_config)

NAN, INF = float("nan"), float("inf")
DIMS, S = 7, 5


def config(**overrides):
    return {**default_config(num_users=4, num_docs=10, num_topics=2, dimension=DIMS, num_tags=S),
            **overrides}


@pytest.mark.parametrize("user_args, name", [
    ({"choice_temperature": NAN}, "choice_temperature"),
    ({"choice_temperature": INF}, "choice_temperature"),
    ({"choice_temperature": 0.0}, "choice_temperature"),
    ({"choice_temperature": 1e-45}, "choice_temperature"),  # affinity / 1e-45 overflows float32
    ({"choice_temperature": 1e-38}, "choice_temperature"),  # 7 / 1e-38 overflows float32 too
    ({"user_stddev": NAN}, "user_stddev"),
    ({"user_stddev": 0.0}, "user_stddev"),
    ({"rating_noise_stddev": NAN}, "rating_noise_stddev"),
    ({"rating_noise_stddev": INF}, "rating_noise_stddev"),
    ({"tagging_threshold_eps": NAN}, "tagging_threshold_eps"),
    ({"zipf_power": INF}, "zipf_power"),
    ({"popularity_weight": NAN}, "popularity_weight"),
    ({"popularity_weight": -INF}, "popularity_weight"),
    ({"popularity_weight": 3e38, "choice_temperature": 1e-37}, "choice_temperature"),
    ({"max_num_ratings": 2.5}, "max_num_ratings"),
    ({"topic_logits": [0.0, NAN]}, "topic_logits"),
    ({"tagging_thresholds": [0.5, 0.5, NAN, 0.5, 0.5]}, "tagging_thresholds"),
    ({"subjective_tagging_thresholds": np.array([[0.3, INF]] * S)},
     "subjective_tagging_thresholds"),
])
def test_bad_user_parameters_are_named(user_args, name):
    with pytest.raises(ValueError, match=name):
        ConceptActivationVectorUser(config(), **user_args)


@pytest.mark.parametrize("corpus_args, config_overrides, name", [
    ({"doc_stddev": NAN}, {}, "doc_stddev"),
    ({"doc_stddev": 0.0}, {}, "doc_stddev"),
    ({"doc_stddev": INF}, {}, "doc_stddev"),
    ({"topic_logits": [INF, 0.0]}, {}, "topic_logits"),
    ({}, {"topic_means": np.full([2, DIMS], NAN, np.float32)}, "topic_means"),
])
def test_bad_corpus_parameters_are_named(corpus_args, config_overrides, name):
    with pytest.raises(ValueError, match=name):
        SoftAttributeCorpus(config(**config_overrides), **corpus_args)


def test_a_small_but_safe_temperature_is_accepted():
    ConceptActivationVectorUser(config(), choice_temperature=1e-30)
