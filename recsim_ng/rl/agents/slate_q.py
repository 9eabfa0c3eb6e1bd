"""SlateQ (Ie et al. 2019): slate values from an item-level Q network and the choice model.

Q(s, A) = sum_{i in A} P(i | s, A) Q(s, i) with one item tower shared by every candidate
(`ItemNetwork`) and the environment's conditional choice model, read off a `ClickProbability` (see
`recsim_ng.rl.agents.slate_optimization`). As in v1, only transitions with a click train the
network: the clicked item's target is its reward plus the discounted next slate value V'(s'), with
the target network evaluated on the *next* states (v1 fed it the current ones, its issue #26;
`v1_target_on_current_states=True` reproduces that). V' is SARSA's (the slate actually served next)
or Q-learning's (the slate the target network's chosen optimiser picks: top-k, greedy or exact);
slates are served by an optimiser too. v1's named agents map to configs, e.g. `slate_topk_sarsa` =
SARSA with top-k serving, `slate_greedy_greedy_q` = Q-learning, greedy target and serving,
`myopic_slate_topk_sarsa` = gamma 0.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.rl.agents.features import ObservationFeatures
from recsim_ng.rl.agents.myopic_policy import ClickProbability
from recsim_ng.rl.agents.networks import ItemNetwork
from recsim_ng.rl.agents.online_q import OnlineQLearner, QLearningConfig
from recsim_ng.rl.agents.slate_optimization import (SLATE_OPTIMIZERS, attractiveness,
                                                    optimal_slate, slate_values)
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

TARGETS = ("q_learning", "sarsa")


@dataclasses.dataclass(frozen=True)
class SlateQConfig(QLearningConfig):
    """SlateQ hyperparameters; the defaults are v1's `slate_topk_topk_q` (QL-TT-TS)."""

    target: str = "q_learning"  # or "sarsa"
    slate_optimizer: str = "top_k"  # serving: top_k, greedy or exact
    target_optimizer: str = "top_k"  # Q-learning's next slate: top_k, greedy or exact

    def __post_init__(self):
        super().__post_init__()
        if self.target not in TARGETS:
            raise ValueError(f"SlateQConfig.target must be one of {TARGETS}, got {self.target!r}")
        for name in ("slate_optimizer", "target_optimizer"):
            if getattr(self, name) not in SLATE_OPTIMIZERS:
                raise ValueError(f"SlateQConfig.{name} must be one of {SLATE_OPTIMIZERS}, got"
                                 f" {getattr(self, name)!r}")


class SlateQLearner(OnlineQLearner):
    """SlateQ on a batched RecSim v1 `TFAgentsEnvironment`; `policy` serves the greedy slates of
    the online network, `network` is the item Q network."""

    def __init__(self, env: TFAgentsEnvironment, click_probability: ClickProbability,
                 config: SlateQConfig = SlateQConfig(), seed: seeds.Seed = 0):
        self._click_probability = click_probability
        features = ObservationFeatures(env.time_step_spec().observation)
        run_seed = seeds.as_seed(seed)
        super().__init__(env, ItemNetwork(features, config.hidden, seeds.fold_in(run_seed, 0)),
                         ItemNetwork(features, config.hidden), config, seeds.fold_in(run_seed, 1))

    def _attractiveness(self, observation: types.NestedTensor) -> tf.Tensor:
        return attractiveness(self._click_probability, observation, self._shape.num_candidates)

    def greedy_slate(self, network: tf.Module, observation: types.NestedTensor) -> tf.Tensor:
        return optimal_slate(self._config.slate_optimizer, self._attractiveness(observation),
                             network(observation), self._shape.slate_size)

    def loss(self, time_step: ts.TimeStep, slate: tf.Tensor, next_step: ts.TimeStep,
             next_slate: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        slate_size = self._shape.slate_size
        choice = next_step.observation["response"]["choice"]
        clicked = tf.logical_and(~time_step.is_last(), choice < slate_size)
        position = tf.minimum(choice, slate_size - 1)[:, tf.newaxis]
        item = tf.gather(slate, position, batch_dims=1)[:, 0]
        next_r = self._attractiveness(next_step.observation)
        next_q = self.target_q(time_step, next_step)
        if self._config.target == "q_learning":
            next_slate = optimal_slate(self._config.target_optimizer, next_r, next_q, slate_size)
        next_value = slate_values(next_r, next_q, next_slate[:, tf.newaxis])[:, 0]
        target = tf.stop_gradient(
            next_step.reward + self._config.gamma * next_step.discount * next_value)
        weights = tf.cast(clicked, tf.float32)
        q = tf.gather(self.network(time_step.observation), item, batch_dims=1)
        weight = tf.reduce_sum(weights)
        return tf.reduce_sum(weights * tf.square(q - target)) / tf.maximum(weight, 1.0), weight
