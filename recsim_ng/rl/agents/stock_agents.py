"""TF-Agents' own policy-gradient agents on slates: stock `ReinforceAgent` and `PPOClipAgent`
with `SlateActorNetwork` as the actor and `SlateValueNetwork` as the baseline or critic.

Nothing of the agents is ours: only the networks (and `Adam` on their plain variables). Their
`ActorPolicy` samples without a seed (drivers pass none), from TensorFlow's global generator, so
runs of these agents repeat under `tf.random.set_seed` but do not resume bit-exactly from a
checkpoint (ours draw from stateless seeds, see `recsim_ng.rl.agents.slate_policy`).
"""

from __future__ import annotations

import tensorflow as tf
from tf_agents.agents import PPOClipAgent, ReinforceAgent
from tf_agents.trajectories import time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.lib.optimizers import Adam
from recsim_ng.rl.agents.slate_actor_network import SlateActorNetwork, SlateValueNetwork
from recsim_ng.rl.agents.train_step import own_train_step_counter


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
    return ReinforceAgent(
        time_step_spec, action_spec, actor_network=actor, value_network=value,
        optimizer=Adam(actor.trainable_weights + value.trainable_weights, learning_rate),
        train_step_counter=own_train_step_counter(train_step_counter))


def tf_agents_ppo(time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                  seed: seeds.Seed = 0, learning_rate: float = 1e-3, num_epochs: int = 4,
                  train_step_counter: tf.Variable | None = None) -> PPOClipAgent:
    """PPO with the probability ratio clipped to 1 +- 0.2 and generalised advantage estimates
    (lambda 0.95) of the undiscounted return from the value network, `num_epochs` passes over
    each collection."""
    actor, value = _networks(time_step_spec, action_spec, seed)
    return PPOClipAgent(
        time_step_spec, action_spec,
        Adam(actor.trainable_weights + value.trainable_weights, learning_rate),
        actor_net=actor, value_net=value, importance_ratio_clipping=0.2, discount_factor=1.0,
        lambda_value=0.95, use_gae=True, use_td_lambda_return=True, num_epochs=num_epochs,
        normalize_observations=False,  # The networks read observations as the story gives them.
        train_step_counter=own_train_step_counter(train_step_counter))


def seed_global_generator(seed: seeds.Seed) -> None:
    """Seeds TensorFlow's global generator, which these agents' `ActorPolicy` draws from, so a
    run repeats from its start (it does not resume bit-exactly)."""
    tf.random.set_seed(int(seeds.as_seed(seed)[0]))
