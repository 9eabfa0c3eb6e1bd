"""Full-slate Q (v1's `FullSlateQAgent`): DQN over every ordered slate, for small slate counts.

The actions are all N! / (N - k)! ordered slates. Q(s, A) = MLP(user, doc_{a_1}, ..., doc_{a_k}),
one tower shared by every slate (v1 meant to share it but built a new tower per slate, its
finding 7). The loss is the Huber loss of Q(s, A) against the double-DQN target
r + gamma Q_target(s', argmax_{A'} Q(s', A')) on the *next* states (v1: plain DQN's max, with
the target network on the current states, which `v1_target_on_current_states=True` reproduces)
for every user still playing; the optimiser is Adam (v1 ignored its optimiser name and always
used RMSProp). Double DQN matters here: with 720 slates, the max over the target
network's noisy values overestimates, and plain DQN's policy fell below random after 4,000
steps of 128 users, while double DQN with a learning rate of 3e-4 stays above 180.
"""

from __future__ import annotations

import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.rl.agents.features import ObservationFeatures
from recsim_ng.rl.agents.networks import MLP
from recsim_ng.rl.agents.online_q import OnlineQLearner, QLearningConfig
from recsim_ng.rl.agents.slate_optimization import enumerate_slates
from recsim_ng.rl.agents.slate_spec import slate_shape
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

MAX_SLATES = 10_000  # N! / (N - k)! above this is refused
DEFAULT_CONFIG = QLearningConfig(learning_rate=3e-4)  # tuned on interest evolution, 10 / 3


def ordered_slates(num_candidates: int, slate_size: int) -> tf.Tensor:
    """`[N! / (N - k)!, k]` int32: every ordered slate of distinct candidates."""
    return enumerate_slates(num_candidates, slate_size, True, MAX_SLATES,
                            "full-slate Q cannot enumerate them; use SlateQ")


class SlateNetwork(tf.Module):
    """Q(s, A) for every slate A of `slates` `[M, k]`: one MLP over the user's features and the
    slate's documents' features in order."""

    def __init__(self, features: ObservationFeatures, slates: tf.Tensor,
                 hidden: tuple[int, ...] = (64, 32), seed: seeds.Seed = 0):
        super().__init__()
        self.features, self.slates = features, slates
        slate_size = int(slates.shape[1])
        self.mlp = MLP([features.user_dim + slate_size * features.doc_dim, *hidden, 1], seed)

    def __call__(self, observation: types.NestedTensor) -> tf.Tensor:
        """`[B, M]`: the value of every slate."""
        user, docs = self.features(observation)
        shown = tf.gather(docs, self.slates, axis=1)  # [B, M, k, D]
        shape = tf.shape(shown)
        shown = tf.reshape(shown, tf.concat([shape[:2], [-1]], 0))
        users = tf.repeat(user[:, tf.newaxis], shape[1], axis=1)
        return self.mlp(tf.concat([users, shown], axis=-1))[..., 0]


class FullSlateQLearner(OnlineQLearner):
    """DQN over ordered slates on a batched RecSim v1 `TFAgentsEnvironment`."""

    def __init__(self, env: TFAgentsEnvironment, config: QLearningConfig = DEFAULT_CONFIG,
                 seed: seeds.Seed = 0, huber_delta: float = 1.0):
        features = ObservationFeatures(env.time_step_spec().observation)
        shape = slate_shape(env.action_spec())
        self._slates = ordered_slates(shape.num_candidates, shape.slate_size)
        self._huber_delta = huber_delta
        run_seed = seeds.as_seed(seed)
        super().__init__(
            env, SlateNetwork(features, self._slates, config.hidden, seeds.fold_in(run_seed, 0)),
            SlateNetwork(features, self._slates, config.hidden), config,
            seeds.fold_in(run_seed, 1))

    def greedy_slate(self, network: tf.Module, observation: types.NestedTensor) -> tf.Tensor:
        return tf.gather(self._slates, tf.argmax(network(observation), axis=-1,
                                                 output_type=tf.int32))

    def loss(self, time_step: ts.TimeStep, slate: tf.Tensor, next_step: ts.TimeStep,
             next_slate: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        del next_slate  # Q-learning
        best = tf.argmax(tf.stop_gradient(self.network(next_step.observation)), axis=-1,
                         output_type=tf.int32)
        next_value = tf.gather(self.target_q(time_step, next_step), best, batch_dims=1)
        target = tf.stop_gradient(
            next_step.reward + self._config.gamma * next_step.discount * next_value)
        action = _slate_index(slate, self._shape.num_candidates)
        q = tf.gather(self.network(time_step.observation), action, batch_dims=1)
        weights = tf.cast(~time_step.is_last(), tf.float32)
        errors = _huber(q - target, self._huber_delta)
        weight = tf.reduce_sum(weights)
        return tf.reduce_sum(weights * errors) / tf.maximum(weight, 1.0), weight


def _huber(error: tf.Tensor, delta: float) -> tf.Tensor:
    """Quadratic within `delta` of 0, linear beyond (Dopamine's DQN loss)."""
    quadratic = tf.minimum(tf.abs(error), delta)
    return 0.5 * tf.square(quadratic) + delta * (tf.abs(error) - quadratic)


def _slate_index(slate: tf.Tensor, num_candidates: int) -> tf.Tensor:
    """The row of each slate `[B, k]` (distinct candidates) in `ordered_slates`' order."""
    slate_size = slate.shape[-1]
    index = tf.zeros_like(slate[:, 0])
    for position in range(slate_size):
        # Candidates left at this position: those not already in the slate, in ascending order.
        earlier = slate[:, :position]
        below = tf.reduce_sum(tf.cast(earlier < slate[:, position:position + 1], tf.int32), -1)
        rank = slate[:, position] - below
        index = index * (num_candidates - position) + rank
    return index
