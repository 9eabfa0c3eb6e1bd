"""Registered Gymnasium ids for RecSim v1's three environments (`recsim_ng.applications.recsim_v1`).

Each id wraps a v1 network as `recsim_ng.rl.evaluation.v1_environment` does for TF-Agents:
the observation is `{"observation": {user, doc}, "response": {...}}`, the reward is
`("reward", "reward")`, `terminated` is `("reward", "done")`, and the action is the `slate`
(indices into the current candidates; as in v1, a slate may repeat a candidate). Needs only the
`gym` extra (gymnasium), not TF-Agents.

Usage::

    import gymnasium
    from recsim_ng.rl.gym_registration import register_v1_environments

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
from typing import Callable, NamedTuple

import gymnasium

from recsim_ng.applications.recsim_v1 import (OBSERVATION_VARIABLES, interest_evolution,
                                              interest_exploration, long_term_satisfaction)
from recsim_ng.core import Network
from recsim_ng.rl.gym_env import register_env


class V1GymSettings(NamedTuple):
    """How one id builds its network: `network(num_users, num_candidates, slate_size)`."""

    network: Callable[..., Network]
    num_candidates: int
    slate_size: int
    max_episode_steps: int | None  # a `TimeLimit`; None where the environment ends episodes


V1_GYM_IDS: dict[str, V1GymSettings] = {
    # Episodes end when the user's time budget (200) runs out.
    "recsim_ng/InterestEvolution-v1": V1GymSettings(interest_evolution, 10, 3, None),
    # v1 never terminates interest exploration; the episode is truncated after 100 steps.
    "recsim_ng/InterestExploration-v1": V1GymSettings(interest_exploration, 10, 2, 100),
    # The budget of 60 steps terminates every episode after exactly 60 steps.
    "recsim_ng/LongTermSatisfaction-v1": V1GymSettings(long_term_satisfaction, 10, 2, None),
}


def _make_network(settings: V1GymSettings, num_users: int) -> Network:
    """The id's network for `num_users` users."""
    return settings.network(num_users, settings.num_candidates, settings.slate_size)


def register_v1_environments() -> None:
    """Registers every id of `V1_GYM_IDS` that `gymnasium.registry` lacks (idempotent)."""
    for env_id, settings in V1_GYM_IDS.items():
        if env_id in gymnasium.registry:
            continue
        register_env(env_id, functools.partial(_make_network, settings),
                     observation={name: None for name in OBSERVATION_VARIABLES},
                     reward=("reward", "reward"), done=("reward", "done"),
                     max_episode_steps=settings.max_episode_steps, action="slate")
