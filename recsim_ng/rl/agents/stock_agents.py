"""TF-Agents' own policy-gradient agents on slates: stock `ReinforceAgent` and `PPOClipAgent`
with `SlateActorNetwork` as the actor and `SlateValueNetwork` as the baseline or critic.

Nothing of the agents is ours but the networks (and `Adam` on their plain variables) and how
their collect policy draws: TF-Agents' `ActorPolicy` samples without a seed (drivers pass none),
from TensorFlow's global generator, so each agent's collect policy is wrapped in a
`StatelessSampledPolicy` that draws from stateless seeds of `seed` (its distribution and info are
the stock policy's). Runs then repeat from their seed and resume exactly from a checkpoint.
"""

from __future__ import annotations

import tensorflow as tf
from tf_agents.agents import PPOClipAgent, ReinforceAgent, tf_agent
from tf_agents.trajectories import time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.lib.optimizers import Adam
from recsim_ng.rl.agents.slate_actor_network import SlateActorNetwork, SlateValueNetwork
from recsim_ng.rl.agents.slate_policy import StatelessSampledPolicy
from recsim_ng.rl.agents.train_step import own_train_step_counter


def _stateless(agent: tf_agent.TFAgent, seed: seeds.Seed) -> tf_agent.TFAgent:
    """`agent` with its collect policy drawing from stateless seeds of `seed` (its third stream;
    the networks' weights take the first two)."""
    agent._collect_policy = StatelessSampledPolicy(agent.collect_policy,
                                                   seeds.fold_in(seeds.as_seed(seed), 2))
    return agent


def _networks(time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
              seed: seeds.Seed) -> tuple[SlateActorNetwork, SlateValueNetwork]:
    """The actor and value networks, their variables created from `seed`."""
    observation_spec, run_seed = time_step_spec.observation, seeds.as_seed(seed)
    actor = SlateActorNetwork(observation_spec, action_spec, seed=seeds.fold_in(run_seed, 0))
    value = SlateValueNetwork(observation_spec, seed=seeds.fold_in(run_seed, 1))
    for network in (actor, value):
        network.create_variables(observation_spec)
    return actor, value


def tf_agents_reinforce(time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                        seed: seeds.Seed = 0, learning_rate: float = 1e-2,
                        train_step_counter: tf.Variable | None = None) -> ReinforceAgent:
    """REINFORCE with a learned state-value baseline (returns minus the value network's)."""
    actor, value = _networks(time_step_spec, action_spec, seed)
    return _stateless(ReinforceAgent(
        time_step_spec, action_spec, actor_network=actor, value_network=value,
        optimizer=Adam(actor.trainable_weights + value.trainable_weights, learning_rate),
        train_step_counter=own_train_step_counter(train_step_counter)), seed)


def tf_agents_ppo(time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                  seed: seeds.Seed = 0, learning_rate: float = 1e-3, num_epochs: int = 4,
                  train_step_counter: tf.Variable | None = None) -> PPOClipAgent:
    """PPO with the probability ratio clipped to 1 +- 0.2 and generalised advantage estimates
    (lambda 0.95) of the undiscounted return from the value network, `num_epochs` passes over
    each collection."""
    actor, value = _networks(time_step_spec, action_spec, seed)
    return _stateless(PPOClipAgent(
        time_step_spec, action_spec,
        Adam(actor.trainable_weights + value.trainable_weights, learning_rate),
        actor_net=actor, value_net=value, importance_ratio_clipping=0.2, discount_factor=1.0,
        lambda_value=0.95, use_gae=True, use_td_lambda_return=True, num_epochs=num_epochs,
        normalize_observations=False,  # The networks read observations as the story gives them.
        train_step_counter=own_train_step_counter(train_step_counter)), seed)
