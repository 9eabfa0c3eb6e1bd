"""Registered Gymnasium ids for RecSim v1's three environments (`recsim_ng.applications.recsim_v1`).

Each id wraps a v1 network as `v1_environment` does for TF-Agents: the observation is the slate
contract (`recsim_ng.rl.slate_observation`) read through `slate_fields`, `{"user": {...},
"candidates": {...}, "response": {...}}`, the reward is `reward.reward`, `terminated` is
`reward.done`, and the action is the `slate` (distinct indices into the current candidates).
Needs only the `gym` extra (gymnasium), not TF-Agents.

Usage::

    import gymnasium
    from recsim_ng.applications.recsim_v1.gym_registration import register_v1_environments

    register_v1_environments()
    env = gymnasium.make("recsim_ng/InterestEvolution-v1")
    observation, info = env.reset(seed=0)
    observation, reward, terminated, truncated, info = env.step(env.action_space.sample())
    # 64 users as one batched simulation (a `GymVectorEnv`):
    envs = gymnasium.make_vec("recsim_ng/InterestEvolution-v1", num_envs=64,
                              vectorization_mode="vector_entry_point")

The candidate count and slate size are fixed per id (`V1_GYM_IDS`): `register_env` passes
`gymnasium.make`'s keyword arguments to the adapter, not to the network, so they cannot be
overridden there; build a `GymEnv` / `GymVectorEnv` from the network function for other sizes.
"""

from __future__ import annotations

import functools

import gymnasium

from recsim_ng.applications.recsim_v1.environment import slate_fields
from recsim_ng.applications.recsim_v1.settings import V1_SETTINGS, V1Setting
from recsim_ng.core import Network
from recsim_ng.rl.gym_env import register_env

# Each id is its environment at the sizes of `V1_SETTINGS`.
V1_GYM_IDS: dict[str, V1Setting] = {
    "recsim_ng/InterestEvolution-v1": V1_SETTINGS["interest_evolution"],
    "recsim_ng/InterestExploration-v1": V1_SETTINGS["interest_exploration"],
    "recsim_ng/LongTermSatisfaction-v1": V1_SETTINGS["long_term_satisfaction"],
}


def _make_network(settings: V1Setting, num_users: int) -> Network:
    """The id's network for `num_users` users."""
    return settings.network(num_users, settings.num_candidates, settings.slate_size)


def register_v1_environments() -> None:
    """Registers every id of `V1_GYM_IDS` that `gymnasium.registry` lacks (idempotent)."""
    for env_id, settings in V1_GYM_IDS.items():
        if env_id in gymnasium.registry:
            continue
        make_network = functools.partial(_make_network, settings)
        register_env(env_id, make_network, max_episode_steps=settings.max_episode_steps,
                     **slate_fields(make_network(1)).adapter_arguments())
