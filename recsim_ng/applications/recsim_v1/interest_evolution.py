"""RecSim v1's interest evolution environment (the SlateQ simulator), batched over users.

Faithful to `recsim/environments/interest_evolution.py` with `create_environment`'s wiring:
- documents: cluster c ~ Uniform{0..19}, quality ~ N(mu_c, 0.1^2) with mu_c = -3 + 3c/13 for
  c < 14 and 3(c - 14)/5 above; observation one-hot(c); video length 4;
- user: interests u ~ U(-1, 1)^20, observed as is; time budget 200;
- choice: multinomial proportional, P(slot i) = (u_{c_i} + 1) / (sum_j (u_{c_j} + 1) + 2);
- response per slot: click, watch_time (min(budget, 4) if clicked), liked (always 0), quality,
  cluster_id;
- transition on a click of cluster c: with probability (u_c + 1)/2, u_c += a (1 - u_c), else
  u_c -= a (1 - u_c), a = 0.3 - 0.3 |u_c|, then clip to [-1, 1]; budget -= w (1 - 0.9/3.4 q).
  Without a click, budget -= 0.5;
- done when the budget is <= 0; reward: the clicked watch time.

Deviations, all deliberate: v1's exact NumPy random streams are not reproduced (statistics are);
the choice's no-click mass is the constant 1 (v1 reads it off the initial user, where it is
always 1); v1's runner step cap (`max_steps_per_episode`) is left to the caller.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, ValueSpec
from recsim_ng.applications.recsim_v1.environment import (V1Environment, clicks,
                                                          environment_network, masked_choice)
from recsim_ng.entities.choice_models import multinomial_proportional
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box, discrete

tfd = tfp.distributions

NUM_CLUSTERS = 20
TIME_BUDGET = 200.0
VIDEO_LENGTH = 4.0
QUALITY_STDDEV = 0.1
STEP_PENALTY = 0.5
NO_CLICK_MASS = 1.0
MIN_NORMALIZER = -1.0
USER_UPDATE_ALPHA = 0.9 / 3.4


def cluster_quality_means() -> np.ndarray:
    """mu_c: 14 "trashy" clusters from -3 to 0, then 6 "nutritious" ones from 0 to 3."""
    trashy = int(NUM_CLUSTERS * 0.7)
    nutritious = int(NUM_CLUSTERS * 0.3)
    return np.concatenate([np.linspace(-3.0, 0.0, trashy),
                           np.linspace(0.0, 3.0, nutritious)]).astype(np.float32)


class InterestEvolution(V1Environment):
    """Users whose interest in a cluster drifts with what they watch, and a time budget."""

    def documents_spec(self) -> ValueSpec:
        shape = [self.num_document_sets, self.num_candidates]
        return Value(cluster_id=FieldSpec(shape, tf.int32, discrete(NUM_CLUSTERS)),
                     quality=FieldSpec(shape, tf.float32, box()))

    def sample_documents(self) -> Value:
        shape = [self.num_document_sets, self.num_candidates]
        means = tf.constant(cluster_quality_means())
        return Value(
            cluster_id=tfd.Categorical(logits=tf.zeros(shape + [NUM_CLUSTERS]), dtype=tf.int32),
            quality=lambda cluster_id: tfd.Normal(tf.gather(means, cluster_id), QUALITY_STDDEV))

    def user_spec(self) -> ValueSpec:
        users = self.num_users
        return Value(direction=FieldSpec([users], tf.int32, discrete(2)),
                     interests=FieldSpec([users, NUM_CLUSTERS], tf.float32, box(-1.0, 1.0)),
                     budget=FieldSpec([users], tf.float32, box()))

    def initial_user(self) -> Value:
        users = self.num_users
        return Value(direction=tf.zeros([users], tf.int32),
                     interests=tfd.Uniform(-tf.ones([users, NUM_CLUSTERS]), 1.0),
                     budget=tf.fill([users], TIME_BUDGET))

    def next_user(self, user: Value, documents: Value, slate: tf.Tensor, response: Value,
                  active: tf.Tensor) -> Value:
        interests, budget = user.get("interests"), user.get("budget")
        choice = response.get("choice")
        clicked = choice < self.slate_size
        position = tf.minimum(choice, self.slate_size - 1)[:, tf.newaxis]
        cluster = tf.gather(self.on_slate(documents.get("cluster_id"), slate), position,
                            batch_dims=1)[:, 0]
        quality = tf.gather(self.on_slate(documents.get("quality"), slate), position,
                            batch_dims=1)[:, 0]
        watched = tf.reduce_sum(response.get("watch_time"), axis=1)
        interest = tf.gather(interests, cluster, batch_dims=1)
        step = (0.3 - 0.3 * tf.abs(interest)) * (1.0 - interest)
        changes = clicked & active

        def updated_interests(direction: tf.Tensor) -> tf.Tensor:
            signed = tf.where(direction > 0, step, -step) * tf.cast(changes, tf.float32)
            delta = tf.one_hot(cluster, NUM_CLUSTERS) * signed[:, tf.newaxis]
            return tf.where(changes[:, tf.newaxis],
                            tf.clip_by_value(interests + delta, -1.0, 1.0), interests)

        spent = tf.where(clicked, watched * (1.0 - USER_UPDATE_ALPHA * quality), STEP_PENALTY)
        return Value(direction=tfd.Bernoulli(probs=(interest + 1.0) / 2.0, dtype=tf.int32),
                     interests=updated_interests,
                     budget=tf.where(active, budget - spent, budget))

    def response_spec(self) -> ValueSpec:
        shape = [self.num_users, self.slate_size]
        return self.choice_spec().union(Value(
            watch_time=FieldSpec(shape, tf.float32, box(0.0, 100.0)),
            liked=FieldSpec(shape, tf.int32, discrete(2)),
            quality=FieldSpec(shape, tf.float32, box(-100.0, 100.0)),
            cluster_id=FieldSpec(shape, tf.int32, discrete(NUM_CLUSTERS))))

    def empty_response(self) -> Value:
        shape = [self.num_users, self.slate_size]
        return Value(choice=tf.fill([self.num_users], self.slate_size),
                     click=tf.zeros(shape, tf.int32), watch_time=tf.zeros(shape),
                     liked=tf.zeros(shape, tf.int32), quality=tf.zeros(shape),
                     cluster_id=tf.zeros(shape, tf.int32))

    def choice_probs(self, interests: tf.Tensor, slate_clusters: tf.Tensor) -> tf.Tensor:
        """`[B, k + 1]`: v1's proportional choice probabilities, no click last."""
        scores = tf.gather(interests, slate_clusters, batch_dims=1)
        return multinomial_proportional(scores, MIN_NORMALIZER, NO_CLICK_MASS).probs

    def response(self, user: Value, documents: Value, slate: tf.Tensor,
                 active: tf.Tensor) -> Value:
        slate_clusters = self.on_slate(documents.get("cluster_id"), slate)
        probs = self.choice_probs(user.get("interests"), slate_clusters)
        watch = tf.minimum(user.get("budget"), VIDEO_LENGTH)[:, tf.newaxis]
        return Value(
            choice=masked_choice(probs, active),
            click=lambda choice: clicks(choice, self.slate_size),
            watch_time=lambda click: tf.cast(click, tf.float32) * watch,
            liked=tf.zeros([self.num_users, self.slate_size], tf.int32),
            quality=self.on_slate(documents.get("quality"), slate),
            cluster_id=slate_clusters)

    def observation_spec(self) -> ValueSpec:
        users = self.num_users
        return Value(user=FieldSpec([users, NUM_CLUSTERS], tf.float32, box(-1.0, 1.0)),
                     doc=FieldSpec([users, self.num_candidates, NUM_CLUSTERS], tf.float32,
                                   box(-1.0, 1.0)))

    def observation(self, user: Value, documents: Value) -> Value:
        return Value(user=user.get("interests"),
                     doc=tf.one_hot(self.per_user(documents.get("cluster_id")), NUM_CLUSTERS))

    def reward(self, response: Value) -> tf.Tensor:
        return tf.reduce_sum(response.get("watch_time"), axis=1)

    def terminal(self, user: Value) -> tf.Tensor:
        return user.get("budget") <= 0.0


def interest_evolution(num_users: int, num_candidates: int = 10, slate_size: int = 2,
                       resample_documents: bool = True, shared_candidates: bool = False,
                       uniform_random_slate: bool = False) -> Network:
    """The interest evolution network; `slate` is an input unless `uniform_random_slate`."""
    return environment_network(
        InterestEvolution(num_users, num_candidates, slate_size, resample_documents,
                          shared_candidates), uniform_random_slate)
