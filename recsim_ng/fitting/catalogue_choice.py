"""Exact log-likelihood of a multinomial logit over a whole catalogue, items consumed excluded.

At each event the user picks one item with probability proportional to
exp(interest · topics_i + bias_i) among the items it has not consumed yet (all items when
`exclude_consumed` is false). Items sharing a topic profile share the interest term, so the
normaliser is a sum over the distinct profiles (216 for MovieLens' 1,682 movies) of
exp(interest · profile) times the profile's remaining exp(bias) mass, which the user's
consumption lowers item by item: `[events, profiles]` work instead of `[events, items]`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from recsim_ng.fitting.sequences import EventSequences


@dataclasses.dataclass(frozen=True)
class TopicProfiles:
    """The distinct rows of an `[I, G]` topic matrix and each item's row among them."""

    profiles: tf.Tensor
    of_item: tf.Tensor

    @classmethod
    def of(cls, topics: np.ndarray) -> "TopicProfiles":
        profiles, of_item = np.unique(np.asarray(topics, np.float64), axis=0, return_inverse=True)
        return cls(tf.constant(profiles), tf.constant(of_item.reshape(-1).astype(np.int32)))

    @property
    def num_profiles(self) -> int:
        return int(self.profiles.shape[0])


def choice_log_likelihoods(interest: tf.Tensor, bias: tf.Tensor, sequences: EventSequences,
                           profiles: TopicProfiles, exclude_consumed: bool = True) -> tf.Tensor:
    """`[N]` log-probabilities of each event's item.

    `interest` `[N, G]` is each event's user interest (already scaled: it multiplies topic
    weights directly), `bias` `[I]` each item's logit offset.
    """
    item = tf.constant(sequences.item)
    offset = tf.reduce_max(bias)
    mass = tf.exp(bias - offset)
    profile_mass = tf.math.unsorted_segment_sum(mass, profiles.of_item, profiles.num_profiles)
    remaining = tf.broadcast_to(profile_mass, [len(sequences.item), profiles.num_profiles])
    if exclude_consumed:
        consumed = (tf.one_hot(tf.gather(profiles.of_item, item), profiles.num_profiles,
                               dtype=mass.dtype) * tf.gather(mass, item)[:, None])
        before = tf.cumsum(consumed, axis=0, exclusive=True)
        remaining = remaining - (before - tf.gather(before, sequences.first_event))
    # Profiles whose items are all consumed hold ~0 mass (rounding may leave a tiny remainder or
    # push it below 0); the floor, negligible against the largest item's mass of 1, keeps the
    # log finite and its gradient zero.
    log_remaining = tf.math.log(tf.maximum(remaining, 1e-200))
    normaliser = tf.reduce_logsumexp(
        tf.matmul(interest, profiles.profiles, transpose_b=True) + log_remaining, axis=1)
    chosen_profile = tf.gather(profiles.profiles, tf.gather(profiles.of_item, item))
    chosen = tf.reduce_sum(interest * chosen_profile, axis=1) + tf.gather(bias, item) - offset
    return chosen - normaliser
