"""`LinUCB`: per-arm ridge regression on the context with an upper confidence bonus."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.bandits.algorithm import BanditAlgorithm
from recsim_ng.lib.checks import check_finite, check_size
from recsim_ng.lib.field_spec import FieldSpec


class LinUCB(BanditAlgorithm):
    """Disjoint LinUCB (Li et al., 2010) on the context's `features` [bandits, dimension].

    Arm `a` keeps A_a = ridge * I + sum x x^T over the contexts it was pulled in and
    b_a = sum reward * x; it scores theta_a . x + alpha * sqrt(x^T A_a^-1 x) with
    theta_a = A_a^-1 b_a. The statistics are `inverse_gram` (A^-1) [bandits, arms, d, d],
    updated by the Sherman-Morrison formula, and `reward_features` (b) [bandits, arms, d].
    """

    def __init__(self, num_bandits: int, num_arms: int, dimension: int, alpha: float = 1.0,
                 ridge: float = 1.0, name: str = "LinUCB"):
        super().__init__(num_bandits, num_arms, name)
        self.dimension = check_size("LinUCB dimension", dimension)
        self.alpha = float(check_finite("LinUCB alpha", alpha, low=0.0))
        self.ridge = float(check_finite("LinUCB ridge", ridge, low=0.0, low_open=True))

    def specs(self) -> ValueSpec:
        arms, d = [self.num_bandits, self.num_arms], self.dimension
        return Value(statistics=Value(inverse_gram=FieldSpec([*arms, d, d], tf.float32),
                                      reward_features=FieldSpec([*arms, d], tf.float32)),
                     choice=Value(choice=self.choice_field_spec()))

    def initial_statistics(self) -> Value:
        eye = tf.eye(self.dimension, batch_shape=[self.num_bandits, self.num_arms])
        return Value(inverse_gram=eye / self.ridge,
                     reward_features=tf.zeros([self.num_bandits, self.num_arms, self.dimension]))

    def next_statistics(self, previous_statistics: Value, choice: Value, rewards: Value,
                        context: Value) -> Value:
        x = context.get("features")
        inverse = previous_statistics.get("inverse_gram")
        pulled = tf.one_hot(choice.get("choice"), self.num_arms, dtype=tf.float32)
        projected = tf.einsum("bade,be->bad", inverse, x)  # A^-1 x, per arm.
        norm = 1.0 + tf.einsum("bad,bd->ba", projected, x)
        update = tf.einsum("bad,bae->bade", projected, projected) / norm[..., None, None]
        updated = inverse - pulled[..., None, None] * update
        symmetric = 0.5 * (updated + tf.linalg.matrix_transpose(updated))  # Against float drift.
        reward_x = rewards.get("reward")[:, None, None] * x[:, None, :]
        return Value(inverse_gram=symmetric,
                     reward_features=previous_statistics.get("reward_features")
                     + pulled[..., None] * reward_x)

    def arm_choice(self, statistics: Value, context: Value) -> Value:
        x = context.get("features")
        inverse = statistics.get("inverse_gram")
        theta = tf.einsum("bade,bae->bad", inverse, statistics.get("reward_features"))
        variance = tf.einsum("bd,bade,be->ba", x, inverse, x)
        scores = (tf.einsum("bad,bd->ba", theta, x)
                  + self.alpha * tf.sqrt(tf.maximum(variance, 0.0)))
        return Value(choice=tf.argmax(scores, axis=-1, output_type=tf.int32))
