"""Affinities: how similar each slate item is to a user's target point in embedding space.

Every similarity takes a target `[B..., n]` (one point per user) and slate item embeddings
`[B..., K, n]`, and returns `[B..., K]`; larger means more attractive, so the result can serve as
a choice model's logits or scores. Unlike RecSim NG, whose "negative_cosine" returned the positive
cosine, `cosine` is the cosine similarity and `negative_cosine` its negation.
"""

from __future__ import annotations

from typing import Callable, Sequence

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.lib.checks import check_size
from recsim_ng.lib.entity import Entity
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box

INVERSE_EUCLIDEAN_MIN_DISTANCE = 1e-6


def _over_slate(target: tf.Tensor, items: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The target with a slate axis inserted, and the items, as tensors of one dtype."""
    items = tf.convert_to_tensor(items)
    target = tf.convert_to_tensor(target, dtype=items.dtype)
    return tf.expand_dims(target, -2), items


def dot(target: tf.Tensor, items: tf.Tensor) -> tf.Tensor:
    """The inner product u.v."""
    target, items = _over_slate(target, items)
    return tf.reduce_sum(target * items, -1)


_UNROLLED_DIMENSIONS = 8  # Up to this many, coordinates are summed one by one (see below).


def _euclidean_distance(target: tf.Tensor, items: tf.Tensor) -> tf.Tensor:
    """||u - v||, with a zero (not NaN) gradient where u == v."""
    target, items = _over_slate(target, items)
    dimensions = items.shape[-1]
    if dimensions is not None and dimensions <= _UNROLLED_DIMENSIONS:
        # A few coordinates: no [..., K, n] intermediate and no reduction over a short last
        # axis (slow on CPU), e.g. 2,000 users against 400 shared documents in 2 dimensions.
        squared = tf.add_n([tf.square(target[..., i] - items[..., i])
                            for i in range(dimensions)])
    else:
        squared = tf.reduce_sum(tf.square(target - items), -1)
    positive = squared > 0
    return tf.where(positive, tf.sqrt(tf.where(positive, squared, 1.0)), 0.0)


def negative_euclidean(target: tf.Tensor, items: tf.Tensor) -> tf.Tensor:
    """-||u - v||."""
    return -_euclidean_distance(target, items)


def inverse_euclidean(target: tf.Tensor, items: tf.Tensor) -> tf.Tensor:
    """1 / max(||u - v||, 1e-6): bounded even when an item sits on the target."""
    return 1.0 / tf.maximum(_euclidean_distance(target, items), INVERSE_EUCLIDEAN_MIN_DISTANCE)


def cosine(target: tf.Tensor, items: tf.Tensor) -> tf.Tensor:
    """The cosine of the angle between u and v (0 where either is the zero vector)."""
    target, items = _over_slate(target, items)
    return tf.reduce_sum(tf.math.l2_normalize(target, -1) * tf.math.l2_normalize(items, -1), -1)


def negative_cosine(target: tf.Tensor, items: tf.Tensor) -> tf.Tensor:
    """Minus the cosine similarity (a cosine distance shifted by -1)."""
    return -cosine(target, items)


def single_peaked(target: tf.Tensor, items: tf.Tensor, peaks: tf.Tensor) -> tf.Tensor:
    """sum_i p_i - |u_i v_i - p_i|: each dimension is liked most when u_i v_i hits its peak p_i.

    `peaks` has the target's shape `[B..., n]` (or broadcasts to it).
    """
    target, items = _over_slate(target, items)
    peaks = tf.expand_dims(tf.convert_to_tensor(peaks, dtype=items.dtype), -2)
    return tf.reduce_sum(peaks - tf.abs(target * items - peaks), -1)


_SIMILARITIES: dict[str, Callable[[tf.Tensor, tf.Tensor], tf.Tensor]] = {
    "dot": dot,
    "negative_euclidean": negative_euclidean,
    "inverse_euclidean": inverse_euclidean,
    "cosine": cosine,
    "negative_cosine": negative_cosine,
}
SIMILARITY_TYPES = (*_SIMILARITIES, "single_peaked")


class TargetPointSimilarity(Entity):
    """Users' affinities to slate items: a similarity to each user's target point."""

    def __init__(self, batch_shape: Sequence[int], slate_size: int,
                 similarity_type: str = "negative_euclidean",
                 name: str = "TargetPointSimilarity"):
        super().__init__(name=name)
        if similarity_type not in SIMILARITY_TYPES:
            raise ValueError(f"unknown similarity_type {similarity_type!r};"
                             f" accepted types are {list(SIMILARITY_TYPES)}")
        self._batch_shape = list(batch_shape)
        self._slate_size = check_size("slate_size", slate_size)
        self._similarity_type = similarity_type

    def affinities(self, target_embeddings: tf.Tensor, slate_item_embeddings: tf.Tensor,
                   affinity_peaks: tf.Tensor | None = None) -> Value:
        """`Value(affinities=[B..., slate_size])`; `affinity_peaks` is needed by single_peaked."""
        if self._similarity_type == "single_peaked":
            if affinity_peaks is None:
                raise ValueError("similarity_type 'single_peaked' needs affinity_peaks")
            scores = single_peaked(target_embeddings, slate_item_embeddings, affinity_peaks)
        else:
            if affinity_peaks is not None:
                raise ValueError(f"affinity_peaks is only used by 'single_peaked', not by"
                                 f" {self._similarity_type!r}")
            scores = _SIMILARITIES[self._similarity_type](target_embeddings, slate_item_embeddings)
        return Value(affinities=scores)

    def specs(self) -> ValueSpec:
        return Value(affinities=FieldSpec(self._batch_shape + [self._slate_size], tf.float32,
                                          box()))
