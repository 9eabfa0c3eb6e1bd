"""Full-slate Q (v1's `FullSlateQAgent`): DQN over every ordered slate, for small slate counts.

The actions are all N! / (N - k)! ordered slates. Q(s, A) = MLP(user, doc_{a_1}, ..., doc_{a_k}),
one tower shared by every slate (v1 meant to share it but built a new tower per slate, its
finding 7). The loss is the Huber loss of Q(s, A) against the double-DQN target
r + gamma Q_target(s', argmax_{A'} Q(s', A')) on the *next* states (v1: plain DQN's max, with
the target network on the current states, which `v1_target_on_current_states=True` reproduces)
for every transition within an episode; the optimiser is Adam (v1 ignored its optimiser name and
always used RMSProp). Double DQN matters here: with 720 slates, the max over the target
network's noisy values overestimates, and plain DQN's policy fell below random after 4,000
steps of 128 users, while double DQN with a learning rate of 3e-4 stayed above 180 (measured
with the online learner this agent replaced).
"""

from __future__ import annotations

import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.rl.agents.features import SlateFeatures
from recsim_ng.rl.agents.networks import MLP
from recsim_ng.rl.agents.q_agent import QAgent, QLearningConfig, Transitions, check_config
from recsim_ng.rl.agents.slate_optimization import enumerate_slates
from recsim_ng.rl.agents.slate_spec import slate_shape

MAX_SLATES = 10_000  # N! / (N - k)! above this is refused
DEFAULT_CONFIG = QLearningConfig(learning_rate=3e-4)  # tuned on interest evolution, 10 / 3


def ordered_slates(num_candidates: int, slate_size: int) -> tf.Tensor:
    """`[N! / (N - k)!, k]` int32: every ordered slate of distinct candidates."""
    return enumerate_slates(num_candidates, slate_size, True, MAX_SLATES,
                            "full-slate Q cannot enumerate them; use SlateQ")


def ordered_slate_index(slates: tf.Tensor, num_candidates: int) -> tf.Tensor:
    """The row of each slate `[B, k]` (distinct candidates from 0) in `ordered_slates`' order."""
    slate_size = slates.shape[-1]
    index = tf.zeros_like(slates[:, 0])
    for position in range(slate_size):
        # Candidates left at this position: those not already in the slate, in ascending order.
        earlier = slates[:, :position]
        below = tf.reduce_sum(tf.cast(earlier < slates[:, position:position + 1], tf.int32), -1)
        rank = slates[:, position] - below
        index = index * (num_candidates - position) + rank
    return index


class SlateNetwork(tf.Module):
    """Q(s, A) for every slate A of `slates` `[M, k]`: one MLP over the user's features and the
    slate's documents' features in order."""

    def __init__(self, features: SlateFeatures, slates: tf.Tensor,
                 hidden: tuple[int, ...] = (64, 32), seed: seeds.Seed = 0,
                 name: str | None = None):
        super().__init__(name=name)
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


class FullSlateQAgent(QAgent):
    """Double DQN over ordered slates, on any environment serving the slate observation
    contract (`recsim_ng.rl.slate_observation`)."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 config: QLearningConfig = DEFAULT_CONFIG, seed: seeds.Seed = 0,
                 train_step_counter: tf.Variable | None = None, huber_delta: float = 1.0,
                 name: str | None = None):
        check_config(config, QLearningConfig)
        if not huber_delta > 0.0:
            raise ValueError(f"huber_delta must be positive, got {huber_delta}")
        features = SlateFeatures(time_step_spec.observation)
        shape = slate_shape(action_spec)
        self._slates = ordered_slates(shape.num_candidates, shape.slate_size)
        self._huber_delta = huber_delta
        network_seed = seeds.fold_in(seeds.as_seed(seed), 0)
        super().__init__(
            time_step_spec, action_spec,
            SlateNetwork(features, self._slates, config.hidden, network_seed, name="q_network"),
            SlateNetwork(features, self._slates, config.hidden, network_seed,
                         name="target_q_network"),
            config, seeds.fold_in(seeds.as_seed(seed), 1), train_step_counter, name)

    def best_slate(self, network: tf.Module, observation: types.NestedTensor) -> tf.Tensor:
        return tf.gather(self._slates, tf.argmax(network(observation), axis=-1,
                                                 output_type=tf.int32))

    def transition_losses(self, transitions: Transitions) -> tuple[tf.Tensor, tf.Tensor]:
        """The Huber loss of Q(s, A) against the double-DQN target; every transition weighs 1."""
        time_step, slate, next_step, _ = transitions  # Q-learning: the next slate is unused.
        best = tf.argmax(tf.stop_gradient(self._network(next_step.observation)), axis=-1,
                         output_type=tf.int32)
        next_value = tf.gather(self.target_values(transitions), best, batch_dims=1)
        target = tf.stop_gradient(
            next_step.reward + self._config.gamma * next_step.discount * next_value)
        action = ordered_slate_index(slate, self._shape.num_candidates)
        q = tf.gather(self._network(time_step.observation), action, batch_dims=1)
        return _huber(q - target, self._huber_delta), tf.ones_like(q)


def _huber(error: tf.Tensor, delta: float) -> tf.Tensor:
    """Quadratic within `delta` of 0, linear beyond (Dopamine's DQN loss)."""
    quadratic = tf.minimum(tf.abs(error), delta)
    return 0.5 * tf.square(quadratic) + delta * (tf.abs(error) - quadratic)
