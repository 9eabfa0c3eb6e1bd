"""Behaviour tests for the benchmark's reference network."""

import numpy as np
import pytest

from recsim_ng.examples.reference_network import reference_network
from recsim_ng.lib.runtime import TFRuntime

USERS, TOPICS, DOCS, SLATE, STEPS = 6, 3, 12, 3, 30
STEP_SIZE = 0.25


def _trajectory(jit_compile=False, seed=5):
    network = reference_network(USERS, num_topics=TOPICS, num_docs=DOCS, slate_size=SLATE,
                                step_size=STEP_SIZE)
    trajectory = TFRuntime(network, jit_compile=jit_compile).trajectory(STEPS, seed)
    return {name: {field: np.asarray(leaf) for field, leaf in val.as_dict.items()}
            for name, val in trajectory.items()}


@pytest.fixture(scope="module")
def graph_run():
    return _trajectory()


@pytest.fixture(scope="module")
def xla_run():
    return _trajectory(jit_compile=True)


def test_every_field_has_its_shape_and_dtype(graph_run):
    expected = {
        "corpus": {"doc_features": ((DOCS, TOPICS), np.float32)},
        "recommender": {"scores": ((USERS, DOCS), np.float32), "slate": ((USERS, SLATE), np.int32)},
        "response": {"choice": ((USERS,), np.int32)},
        "user": {"noise": ((USERS, TOPICS), np.float32),
                 "interest": ((USERS, TOPICS), np.float32), "clicks": ((USERS,), np.int32)},
    }
    assert graph_run.keys() == expected.keys()
    for name, fields in expected.items():
        assert graph_run[name].keys() == fields.keys()
        for field, (shape, dtype) in fields.items():
            assert graph_run[name][field].shape == (STEPS, *shape), (name, field)
            assert graph_run[name][field].dtype == dtype, (name, field)


def test_slates_hold_distinct_valid_docs_ranked_by_score(graph_run):
    slate, scores = graph_run["recommender"]["slate"], graph_run["recommender"]["scores"]
    assert slate.min() >= 0 and slate.max() < DOCS
    assert all(len(set(row)) == SLATE for row in slate.reshape(-1, SLATE))
    top_scores = np.sort(scores, axis=-1)[..., ::-1][..., :SLATE]
    np.testing.assert_array_equal(np.take_along_axis(scores, slate, axis=-1), top_scores)


def test_choices_cover_slate_positions_and_no_choice(graph_run):
    choice = graph_run["response"]["choice"]
    assert choice.min() >= 0 and choice.max() <= SLATE
    assert set(np.unique(choice)) == set(range(SLATE + 1))


def test_interest_moves_towards_the_chosen_doc_and_not_after_no_choice(graph_run):
    interest, noise = graph_run["user"]["interest"], graph_run["user"]["noise"]
    choice, slate = graph_run["response"]["choice"], graph_run["recommender"]["slate"]
    docs = graph_run["corpus"]["doc_features"][0]
    np.testing.assert_array_equal(noise[0], 0.0)
    for t in range(1, STEPS):
        previous, clicked = interest[t - 1], choice[t - 1] < SLATE
        chosen = slate[t - 1, np.arange(USERS), np.minimum(choice[t - 1], SLATE - 1)]
        moved = np.where(clicked[:, None], previous + STEP_SIZE * (docs[chosen] - previous),
                         previous)
        np.testing.assert_allclose(interest[t] - noise[t], moved, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(interest[t][~clicked], (previous + noise[t])[~clicked])
    assert np.all(noise[1:].std(axis=(1, 2)) > 0)


def test_clicks_count_the_choices_of_earlier_steps(graph_run):
    clicked = (graph_run["response"]["choice"] < SLATE).astype(np.int32)
    expected = np.concatenate([np.zeros((1, USERS), np.int32), np.cumsum(clicked, 0)[:-1]])
    np.testing.assert_array_equal(graph_run["user"]["clicks"], expected)


def test_corpus_stays_constant(graph_run):
    doc_features = graph_run["corpus"]["doc_features"]
    np.testing.assert_array_equal(doc_features, np.broadcast_to(doc_features[0],
                                                                doc_features.shape))
    assert np.abs(doc_features).max() <= 1.0 and doc_features.std() > 0


def test_graph_and_xla_agree_for_one_seed(graph_run, xla_run):
    for name, field in [("recommender", "slate"), ("response", "choice"), ("user", "clicks")]:
        np.testing.assert_array_equal(graph_run[name][field], xla_run[name][field])
    np.testing.assert_allclose(graph_run["user"]["interest"], xla_run["user"]["interest"],
                               rtol=1e-5, atol=1e-5)


def test_new_seed_gives_a_new_trajectory(graph_run):
    other = _trajectory(seed=6)
    assert not np.array_equal(graph_run["recommender"]["slate"], other["recommender"]["slate"])
    assert not np.array_equal(graph_run["user"]["interest"], other["user"]["interest"])


def test_rejects_a_slate_larger_than_the_corpus():
    with pytest.raises(ValueError, match="slate_size"):
        reference_network(2, num_docs=3, slate_size=4)
