"""Plain `tf.Module` networks for the agents: an MLP and a per-candidate scoring tower.

Plain variables and ops rather than Keras layers, so the agents move across TensorFlow and Keras
versions unchanged and checkpoint with `tf.train.Checkpoint`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.rl.agents.features import SlateFeatures


class MLP(tf.Module):
    """ReLU hidden layers and a linear output; He-normal weights from a stateless seed."""

    def __init__(self, sizes: Sequence[int], seed: seeds.Seed = 0, name: str | None = None):
        super().__init__(name=name)
        run_seed = seeds.as_seed(seed)
        self.weights = [tf.Variable(tf.random.stateless_normal(
            [fan_in, fan_out], seeds.fold_in(run_seed, layer)) * np.sqrt(2.0 / max(fan_in, 1)))
            for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]))]
        self.biases = [tf.Variable(tf.zeros([fan_out])) for fan_out in sizes[1:]]

    def __call__(self, inputs: tf.Tensor) -> tf.Tensor:
        """`[..., sizes[0]]` -> `[..., sizes[-1]]`."""
        layer = inputs
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            layer = tf.tensordot(layer, weight, 1) + bias
            if index < len(self.weights) - 1:
                layer = tf.nn.relu(layer)
        return layer


class ItemNetwork(tf.Module):
    """score(s, i) = MLP(user features, candidate i's features) of a slate observation: one
    tower shared by every candidate, so the network is the same size for any candidate count."""

    def __init__(self, features: SlateFeatures, hidden: Sequence[int] = (64, 32),
                 seed: seeds.Seed = 0, name: str | None = None):
        super().__init__(name=name)
        self.features = features
        self.mlp = MLP([features.user_dim + features.doc_dim, *hidden, 1], seed)

    def __call__(self, observation: types.NestedTensor) -> tf.Tensor:
        """`[B, N]`: the score of every candidate."""
        user, docs = self.features(observation)
        users = tf.repeat(user[:, tf.newaxis], tf.shape(docs)[1], axis=1)
        return self.mlp(tf.concat([users, docs], axis=-1))[..., 0]
