"""SlateQ (Ie et al. 2019): slate values from an item-level Q network and the choice model.

Q(s, A) = sum_{i in A} P(i | s, A) Q(s, i) with one item tower shared by every candidate
(`ItemNetwork`) and the environment's conditional choice model, read off a `ClickProbability` (see
`recsim_ng.rl.agents.slate_optimization`). As in v1, only transitions with a click train the
network: the clicked item's target is its reward plus the discounted next slate value V'(s'), with
the target network evaluated on the *next* states (v1 fed it the current ones, its issue #26;
`v1_target_on_current_states=True` reproduces that). V' is SARSA's (the slate served next in the
replayed sequence) or Q-learning's (the slate the target network's chosen optimiser picks: top-k,
greedy or exact); slates are served by an optimiser too. The click is the observation's
`response["choice"]` at the next step: the slate position picked, `slate_size` for none (the
slate observation contract, `recsim_ng.rl.slate_observation`).

v1's named agents map to configs, e.g. `slate_topk_sarsa` = SARSA with top-k serving,
`slate_greedy_greedy_q` = Q-learning, greedy target and serving, `myopic_slate_topk_sarsa` =
gamma 0.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.rl.agents.features import SlateFeatures
from recsim_ng.rl.agents.myopic_policy import ClickProbability
from recsim_ng.rl.agents.networks import ItemNetwork
from recsim_ng.rl.agents.q_agent import QAgent, QLearningConfig, Transitions, check_config
from recsim_ng.rl.agents.slate_optimization import (SLATE_OPTIMIZERS, attractiveness,
                                                    optimal_slate, slate_values)
from recsim_ng.rl.slate_observation import CHOICE, RESPONSE

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


class SlateQAgent(QAgent):
    """SlateQ on any environment serving the slate observation contract with a `choice`
    response; `click_probability` is its choice model's P(click | slate) (e.g. the v1 scorers of
    the RecSim v1 port's `myopic_scores` module)."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 click_probability: ClickProbability, config: SlateQConfig = SlateQConfig(),
                 seed: seeds.Seed = 0, train_step_counter: tf.Variable | None = None,
                 name: str | None = None):
        check_config(config, SlateQConfig)
        features = SlateFeatures(time_step_spec.observation)
        response = time_step_spec.observation.get(RESPONSE, {})
        if CHOICE not in response:
            raise ValueError(f"SlateQ learns from the observation's {RESPONSE}[{CHOICE!r}] (the"
                             f" clicked slate position); the observation's {RESPONSE} fields"
                             f" are {sorted(response)}")
        self._click_probability = click_probability
        network_seed = seeds.fold_in(seeds.as_seed(seed), 0)
        super().__init__(time_step_spec, action_spec,
                         ItemNetwork(features, config.hidden, network_seed, name="q_network"),
                         ItemNetwork(features, config.hidden, network_seed,
                                     name="target_q_network"),
                         config, seeds.fold_in(seeds.as_seed(seed), 1), train_step_counter, name)

    def attractiveness(self, observation: types.NestedTensor) -> tf.Tensor:
        """`[B, N]`: every candidate's r_j = v_j / v_0 under the choice model."""
        return attractiveness(self._click_probability, observation, self._shape.num_candidates)

    def best_slate(self, network: tf.Module, observation: types.NestedTensor) -> tf.Tensor:
        return optimal_slate(self._config.slate_optimizer, self.attractiveness(observation),
                             network(observation), self._shape.slate_size)

    def transition_losses(self, transitions: Transitions) -> tuple[tf.Tensor, tf.Tensor]:
        """The squared error of the clicked item's Q against reward + gamma * discount * V'(s');
        weight 1 where the user clicked, else 0."""
        time_step, slate, next_step, next_slate = transitions
        slate_size = self._shape.slate_size
        choice = tf.cast(next_step.observation[RESPONSE][CHOICE], tf.int32)
        clicked = choice < slate_size
        position = tf.minimum(choice, slate_size - 1)[:, tf.newaxis]
        item = tf.gather(slate, position, batch_dims=1)[:, 0]
        next_r = self.attractiveness(next_step.observation)
        next_q = self.target_values(transitions)
        if self._config.target == "q_learning":
            next_slate = optimal_slate(self._config.target_optimizer, next_r, next_q, slate_size)
        next_value = slate_values(next_r, next_q, next_slate[:, tf.newaxis])[:, 0]
        target = tf.stop_gradient(
            next_step.reward + self._config.gamma * next_step.discount * next_value)
        q = tf.gather(self._network(time_step.observation), item, batch_dims=1)
        return tf.square(q - target), tf.cast(clicked, tf.float32)
