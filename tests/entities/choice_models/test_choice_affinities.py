"""Similarities between target points and slate items, and the `TargetPointSimilarity` entity."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.entities.choice_models import TargetPointSimilarity
from recsim_ng.entities.choice_models import affinities

TARGET = np.array([[3.0, 4.0]], np.float32)  # one user
ITEMS = np.array([[[3.0, 4.0], [0.0, 0.0], [-3.0, -4.0], [4.0, -3.0]]], np.float32)  # 4 items

EXPECTED = {
    "dot": [25.0, 0.0, -25.0, 0.0],
    "negative_euclidean": [0.0, -5.0, -10.0, -np.sqrt(50.0)],
    "inverse_euclidean": [1e6, 0.2, 0.1, 1 / np.sqrt(50.0)],
    "cosine": [1.0, 0.0, -1.0, 0.0],
    "negative_cosine": [-1.0, 0.0, 1.0, 0.0],
}


@pytest.mark.parametrize("similarity_type", sorted(EXPECTED))
def test_similarities_on_hand_built_vectors(similarity_type):
    entity = TargetPointSimilarity([1], 4, similarity_type)
    result = entity.affinities(TARGET, ITEMS).get("affinities")
    assert result.shape == [1, 4]
    np.testing.assert_allclose(result, [EXPECTED[similarity_type]], rtol=1e-6, atol=1e-6)


def test_cosine_is_positive_for_aligned_vectors():
    same_direction = affinities.cosine(tf.constant([1.0, 1.0]), tf.constant([[2.0, 2.0]]))
    np.testing.assert_allclose(same_direction, [1.0], rtol=1e-6)
    np.testing.assert_allclose(affinities.negative_cosine([1.0, 1.0], [[2.0, 2.0]]), [-1.0],
                               rtol=1e-6)


def test_single_peaked_is_highest_at_the_peak():
    peaks = np.array([[2.0, 1.0]], np.float32)
    items = np.array([[[2.0, 1.0], [1.0, 1.0], [3.0, 0.0]]], np.float32)
    entity = TargetPointSimilarity([1], 3, "single_peaked")
    result = entity.affinities(np.ones([1, 2], np.float32), items, affinity_peaks=peaks)
    # sum_i p_i - |u_i v_i - p_i| with u = (1, 1):
    np.testing.assert_allclose(result.get("affinities"), [[3.0, 2.0, 1.0]])


def test_euclidean_gradient_is_finite_at_the_target():
    target = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        distance = affinities.negative_euclidean(target, tf.constant([[1.0, 2.0], [2.0, 2.0]]))
    np.testing.assert_allclose(tape.gradient(distance, target), [1.0, 0.0])


def test_batches_of_users_broadcast():
    target = tf.zeros([2, 3, 5])
    items = tf.ones([2, 3, 4, 5])
    for similarity_type in sorted(EXPECTED):
        result = TargetPointSimilarity([2, 3], 4, similarity_type).affinities(target, items)
        assert result.get("affinities").shape == [2, 3, 4]


def test_unknown_type_and_misused_peaks_are_rejected():
    with pytest.raises(ValueError, match="accepted types are .*cosine.*single_peaked"):
        TargetPointSimilarity([1], 4, "euclidean")
    with pytest.raises(ValueError, match="needs affinity_peaks"):
        TargetPointSimilarity([1], 4, "single_peaked").affinities(TARGET, ITEMS)
    with pytest.raises(ValueError, match="only used by"):
        TargetPointSimilarity([1], 4, "dot").affinities(TARGET, ITEMS, affinity_peaks=TARGET)


def test_specs():
    spec = TargetPointSimilarity([2, 3], 4).specs().get("affinities")
    assert spec.shape == [2, 3, 4] and spec.dtype == tf.float32
