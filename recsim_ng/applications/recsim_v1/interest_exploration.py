"""RecSim v1's interest exploration environment (popularity bias), batched over users.

Faithful to `recsim/environments/interest_exploration.py` with `create_environment`'s wiring
(two clusters):
- documents: topic t ~ Categorical(0.2, 0.8), quality ~ LogNormal(mean (0.8, 0.2)[t], 0.1);
  observed: quality and cluster_id;
- user: type ~ Categorical(0.3, 0.7), topic affinities g_t ~ LogNormal(M[type, t], 0.1) with
  M = ((0.1, 0.7), (0.7, 0.1)); static and hidden (the user observation is empty);
- choice: multinomial logit with logits g_{t_i} + q_i and a no-click logit of 5;
- response per slot: click, quality, cluster_id; reward: the number of clicks (0 or 1).

v1 never terminates this environment: `done` stays false and the episode length is the caller's
(v1's runner caps it with `max_steps_per_episode`). v1's exact random streams are not reproduced.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, ValueSpec
from recsim_ng.applications.recsim_v1.environment import (V1Environment, clicks,
                                                          environment_network, masked_choice)
from recsim_ng.entities.choice_models import slate_logits
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.space import box, discrete

tfd = tfp.distributions

NUM_CLUSTERS = 2
TOPIC_DISTRIBUTION = (0.2, 0.8)
TOPIC_QUALITY_MEAN = (0.8, 0.2)
TOPIC_QUALITY_STDDEV = (0.1, 0.1)
USER_TYPE_DISTRIBUTION = (0.3, 0.7)
USER_AFFINITY_MEAN = ((0.1, 0.7), (0.7, 0.1))
USER_AFFINITY_STDDEV = ((0.1, 0.1), (0.1, 0.1))
NO_CLICK_LOGIT = 5.0


class InterestExploration(V1Environment):
    """Static users of two types with log-normal topic affinities, choosing by logit."""

    def documents_spec(self) -> ValueSpec:
        shape = [self.num_document_sets, self.num_candidates]
        return Value(cluster_id=FieldSpec(shape, tf.int32, discrete(NUM_CLUSTERS)),
                     quality=FieldSpec(shape, tf.float32, box(0.0)))

    def sample_documents(self) -> Value:
        shape = [self.num_document_sets, self.num_candidates]
        probs = tf.broadcast_to(tf.constant(TOPIC_DISTRIBUTION), shape + [NUM_CLUSTERS])
        return Value(
            cluster_id=tfd.Categorical(probs=probs, dtype=tf.int32),
            quality=lambda cluster_id: tfd.LogNormal(
                tf.gather(tf.constant(TOPIC_QUALITY_MEAN), cluster_id),
                tf.gather(tf.constant(TOPIC_QUALITY_STDDEV), cluster_id)))

    def user_spec(self) -> ValueSpec:
        users = self.num_users
        return Value(user_type=FieldSpec([users], tf.int32, discrete(2)),
                     affinity=FieldSpec([users, NUM_CLUSTERS], tf.float32, box(0.0)))

    def initial_user(self) -> Value:
        probs = tf.broadcast_to(tf.constant(USER_TYPE_DISTRIBUTION), [self.num_users, 2])
        return Value(
            user_type=tfd.Categorical(probs=probs, dtype=tf.int32),
            affinity=lambda user_type: tfd.LogNormal(
                tf.gather(tf.constant(USER_AFFINITY_MEAN), user_type),
                tf.gather(tf.constant(USER_AFFINITY_STDDEV), user_type)))

    def next_user(self, user: Value, documents: Value, slate: tf.Tensor, response: Value,
                  active: tf.Tensor) -> Value:
        del documents, slate, response, active  # Users are static.
        return user

    def response_spec(self) -> ValueSpec:
        shape = [self.num_users, self.slate_size]
        return self.choice_spec().union(Value(
            quality=FieldSpec(shape, tf.float32, box(0.0)),
            cluster_id=FieldSpec(shape, tf.int32, discrete(NUM_CLUSTERS))))

    def empty_response(self) -> Value:
        shape = [self.num_users, self.slate_size]
        return Value(choice=tf.fill([self.num_users], self.slate_size),
                     click=tf.zeros(shape, tf.int32), quality=tf.zeros(shape),
                     cluster_id=tf.zeros(shape, tf.int32))

    def choice_probs(self, affinity: tf.Tensor, slate_clusters: tf.Tensor,
                     slate_quality: tf.Tensor) -> tf.Tensor:
        """`[B, k + 1]`: v1's logit choice probabilities, no click last."""
        scores = tf.gather(affinity, slate_clusters, batch_dims=1) + slate_quality
        return tf.nn.softmax(slate_logits(scores, tf.fill(tf.shape(scores)[:1], NO_CLICK_LOGIT)))

    def response(self, user: Value, documents: Value, slate: tf.Tensor,
                 active: tf.Tensor) -> Value:
        slate_clusters = self.on_slate(documents.get("cluster_id"), slate)
        slate_quality = self.on_slate(documents.get("quality"), slate)
        probs = self.choice_probs(user.get("affinity"), slate_clusters, slate_quality)
        return Value(choice=masked_choice(probs, active),
                     click=lambda choice: clicks(choice, self.slate_size),
                     quality=slate_quality, cluster_id=slate_clusters)

    def observation_spec(self) -> ValueSpec:
        users, n = self.num_users, self.num_candidates
        return Value(user=FieldSpec([users, 0], tf.float32, box()),
                     doc=Value(quality=FieldSpec([users, n], tf.float32, box(0.0)),
                               cluster_id=FieldSpec([users, n], tf.int32,
                                                    discrete(NUM_CLUSTERS))))

    def observation(self, user: Value, documents: Value) -> Value:
        return Value(user=tf.zeros([self.num_users, 0]),
                     doc=Value(quality=self.per_user(documents.get("quality")),
                               cluster_id=self.per_user(documents.get("cluster_id"))))

    def reward(self, response: Value) -> tf.Tensor:
        return tf.cast(tf.reduce_sum(response.get("click"), axis=1), tf.float32)

    def terminal(self, user: Value) -> tf.Tensor:
        return tf.zeros([self.num_users], tf.bool)


def interest_exploration(num_users: int, num_candidates: int = 10, slate_size: int = 2,
                         resample_documents: bool = True, shared_candidates: bool = False,
                         uniform_random_slate: bool = False) -> Network:
    """The interest exploration network; `slate` is an input unless `uniform_random_slate`."""
    return environment_network(
        InterestExploration(num_users, num_candidates, slate_size, resample_documents,
                            shared_candidates), uniform_random_slate)
