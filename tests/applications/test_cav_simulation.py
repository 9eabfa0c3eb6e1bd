"""Population statistics of the soft-attribute simulation, with standard-error tolerances.

Every check compares a statistic of one fixed-seed population with its exact expectation (or
its null distribution) and allows 4 standard errors: a false failure has probability below 1e-4.
"""

import functools

import numpy as np
import pytest
import tensorflow_probability as tfp

from recsim_ng.applications.cav_synthetic_model import (ConceptActivationVectorUser,
                                                        SoftAttributeCorpus, cav_network,
                                                        default_config, demo)
from recsim_ng.lib.runtime import TFRuntime

tfd = tfp.distributions
USERS, DOCS, M = 4000, 200, 10
NO_TAGGING_PROB, TAGGING_LOW, TAGGING_HIGH, ZIPF_POWER = 0.8, 0.1, 0.5, 1.35


def population(popularity_weight, seed):
    user = functools.partial(ConceptActivationVectorUser, max_num_ratings=M,
                             popularity_weight=popularity_weight)
    network = cav_network(default_config(USERS, DOCS), user, SoftAttributeCorpus)
    trajectory = TFRuntime(network).trajectory(1, seed)
    return {name: {field: np.asarray(x)[0] for field, x in val.as_dict.items()}
            for name, val in trajectory.items()}


@pytest.fixture(scope="module")
def biased():
    return population(popularity_weight=1.0, seed=11)  # The default weight.


def within_four_standard_errors(estimate, expected, standard_error):
    assert abs(estimate - expected) < 4 * standard_error, (estimate, expected, standard_error)


def test_fraction_of_non_tagging_users(biased):
    tagging_prob = biased["user_state"]["tagging_prob"]
    within_four_standard_errors((tagging_prob == 0).mean(), NO_TAGGING_PROB,
                                (NO_TAGGING_PROB * (1 - NO_TAGGING_PROB) / USERS) ** 0.5)
    taggers = tagging_prob[tagging_prob > 0]
    assert np.all((taggers >= TAGGING_LOW) & (taggers <= TAGGING_HIGH))
    uniform_stddev = (TAGGING_HIGH - TAGGING_LOW) / 12 ** 0.5
    within_four_standard_errors(taggers.mean(), (TAGGING_LOW + TAGGING_HIGH) / 2,
                                uniform_stddev / len(taggers) ** 0.5)


def test_rated_docs_are_tagged_with_the_users_tagging_probability(biased):
    tagging_prob = biased["user_state"]["tagging_prob"]
    num_rated = biased["user_response"]["num_rated"]
    rated = np.arange(M) < num_rated[:, np.newaxis]
    tagged = biased["user_response"]["is_doc_tagged"][rated].sum()
    # Given each user's p and n, the count of tagged documents is a sum of Binomial(n, p).
    within_four_standard_errors(tagged, (num_rated * tagging_prob).sum(),
                                (num_rated * tagging_prob * (1 - tagging_prob)).sum() ** 0.5)


def test_number_of_ratings_is_zipf_clipped_to_the_maximum(biased):
    num_ratings = biased["user_state"]["num_ratings"]
    zipf = tfd.Zipf(ZIPF_POWER)
    below = np.arange(1, M, dtype=np.float32)
    probs = zipf.prob(below).numpy()
    within_four_standard_errors((num_ratings == 1).mean(), probs[0],
                                (probs[0] * (1 - probs[0]) / USERS) ** 0.5)
    clipped_values = np.append(below, M)
    clipped_probs = np.append(probs, 1 - probs.sum())  # P(min(N, M) = k), k = 1..M.
    mean = (clipped_values * clipped_probs).sum()
    variance = ((clipped_values - mean) ** 2 * clipped_probs).sum()
    within_four_standard_errors(biased["user_response"]["num_rated"].mean(), mean,
                                (variance / USERS) ** 0.5)


def popularity_excess_z(sample):
    """(mean popularity of rated docs - corpus mean) / its standard error when the choice
    ignores popularity: given how the ratings spread over the docs, w_d, the excess
    sum_d (w_d - 1/D) b_d of iid U(0, 1) popularities b_d has variance sum_d (w_d - 1/D)^2 / 12."""
    popularity = sample["available_docs"]["popularity_bias"]
    rated = np.arange(M) < sample["user_response"]["num_rated"][:, np.newaxis]
    counts = np.bincount(sample["user_response"]["rated_docs"][rated], minlength=DOCS)
    excess_weights = counts / counts.sum() - 1 / DOCS
    return (excess_weights @ popularity) / ((excess_weights ** 2).sum() / 12) ** 0.5


def test_popularity_bias_draws_ratings_to_popular_docs(biased):
    assert popularity_excess_z(biased) > 4


def test_without_popularity_bias_rated_docs_have_typical_popularity():
    assert abs(popularity_excess_z(population(popularity_weight=0.0, seed=11))) < 4


def test_tag_senses_are_uniform(biased):
    sense = biased["user_state"]["tag_sense"]
    group_size = default_config()["subjective_tag_group_size"]
    for value in range(group_size):
        within_four_standard_errors((sense == value).mean(), 1 / group_size,
                                    ((group_size - 1) / group_size ** 2 / USERS) ** 0.5)


def test_demo_reports_consistent_headline_statistics():
    statistics = demo(num_users=USERS, num_docs=DOCS, seed=3)  # Shapes compiled above.
    assert statistics["num_users"] == USERS
    assert 1 <= statistics["mean_num_ratings"] <= 10
    assert sum(statistics["rating_histogram"]) == pytest.approx(1.0)
    assert statistics["fraction_users_with_tags"] <= statistics["fraction_tagging_users"]
    assert len(statistics["tag_rate"]) == default_config()["num_tags"]
    group_tags = (default_config()["num_subjective_tag_groups"]
                  * default_config()["subjective_tag_group_size"])
    # Objective tags: every tagging decision above the threshold attaches the tag.
    assert statistics["tag_rate_above_threshold"][group_tags:] == [1.0] * (5 - group_tags)
    assert all(c > 0 for c in statistics["attribute_tag_correlation"])
