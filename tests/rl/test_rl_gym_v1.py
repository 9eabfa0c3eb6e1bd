"""Tests for the registered Gymnasium ids of RecSim v1's environments (`gym_registration`)."""

from __future__ import annotations

import math
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from recsim_ng.applications.recsim_v1.gym_registration import (V1_GYM_IDS,
                                                               register_v1_environments)
from recsim_ng.rl.gym_env import GymVectorEnv
from recsim_ng.rl.gym_spaces import DistinctMultiDiscrete
from recsim_ng.rl.slate_observation import CANDIDATES, RESPONSE, USER

EVOLUTION = "recsim_ng/InterestEvolution-v1"
EXPLORATION = "recsim_ng/InterestExploration-v1"
SATISFACTION = "recsim_ng/LongTermSatisfaction-v1"
# check_env's advice that an unbounded Box is "probably" too wide; not a defect here.
EXPECTED_WARNINGS = ("infinity",)
MAX_STEPS = 2000  # a guard against a runaway episode


@pytest.fixture(scope="module", autouse=True)
def registered():
    """Registers the ids for this module and removes them afterwards."""
    present = {env_id for env_id in V1_GYM_IDS if env_id in gymnasium.registry}
    register_v1_environments()
    yield
    for env_id in set(V1_GYM_IDS) - present:
        gymnasium.registry.pop(env_id)


def _reward_ok(env_id: str, reward: float) -> bool:
    """v1's sign: watch time >= 0, clicks in {0, 1}, engagement > 0."""
    return {EVOLUTION: reward >= 0.0, EXPLORATION: reward in (0.0, 1.0),
            SATISFACTION: reward > 0.0}[env_id]


@pytest.mark.parametrize("env_id", sorted(V1_GYM_IDS))
def test_passes_check_env(env_id):
    env = gymnasium.make(env_id)
    settings = V1_GYM_IDS[env_id]
    assert env.action_space == DistinctMultiDiscrete(
        settings.num_candidates, (settings.slate_size,), dtype=np.int32)
    assert set(env.observation_space.spaces) == {USER, CANDIDATES, RESPONSE}  # slate contract
    assert all(space.shape[0] == settings.num_candidates
               for space in env.observation_space[CANDIDATES].values())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
    unexpected = [str(w.message) for w in caught
                  if not any(text in str(w.message) for text in EXPECTED_WARNINGS)]
    assert not unexpected


@pytest.mark.parametrize("env_id", sorted(V1_GYM_IDS))
def test_random_episode_ends_with_v1_rewards(env_id):
    env = gymnasium.make(env_id)
    observation, _ = env.reset(seed=0)
    assert env.observation_space.contains(observation)
    # Slates of distinct candidates: unlike v1, the environments refuse a repeated one.
    env.action_space.seed(0)
    for steps in range(1, MAX_STEPS + 1):
        observation, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert math.isfinite(reward) and _reward_ok(env_id, reward), reward
        if terminated or truncated:
            break
    assert env.observation_space.contains(observation)
    if env_id == EXPLORATION:  # v1 never terminates it: the TimeLimit truncates
        assert (steps, terminated, truncated) == (100, False, True)
    elif env_id == SATISFACTION:  # the 60-step budget terminates every episode
        assert (steps, terminated, truncated) == (60, True, False)
    else:  # the time budget runs out
        assert terminated and not truncated


@pytest.mark.parametrize("env_id", sorted(V1_GYM_IDS))
def test_make_vec_steps_a_batch(env_id):
    envs = gymnasium.make_vec(env_id, num_envs=8)
    assert isinstance(envs, GymVectorEnv) and envs.num_envs == 8
    observation, _ = envs.reset(seed=0)
    assert envs.observation_space.contains(observation)
    envs.action_space.seed(0)
    observation, reward, terminated, truncated, _ = envs.step(envs.action_space.sample())
    assert envs.observation_space.contains(observation)
    assert reward.shape == terminated.shape == truncated.shape == (8,)
    assert np.all(np.isfinite(reward))
    assert all(_reward_ok(env_id, r) for r in reward)


def test_make_vec_truncates_interest_exploration_at_100_steps():
    envs = gymnasium.make_vec(EXPLORATION, num_envs=8)
    envs.reset(seed=0)
    slates = np.tile(np.arange(2, dtype=np.int32), (8, 1))
    ends = [envs.step(slates)[2:4] for _ in range(100)]
    assert not any(terminated.any() for terminated, _ in ends)
    assert not any(truncated.any() for _, truncated in ends[:-1]) and ends[-1][1].all()


@pytest.mark.parametrize("env_id", sorted(V1_GYM_IDS))
def test_reset_seed_fixes_the_first_observation(env_id):
    env = gymnasium.make(env_id)
    doc = "quality" if env_id == EXPLORATION else "doc"  # the candidates' features
    first, again, other = (env.reset(seed=seed)[0][CANDIDATES][doc] for seed in (7, 7, 8))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_registering_twice_is_harmless():
    specs = {env_id: gymnasium.registry[env_id] for env_id in V1_GYM_IDS}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        register_v1_environments()
        register_v1_environments()
    assert {env_id: gymnasium.registry[env_id] for env_id in V1_GYM_IDS} == specs
    assert all(gymnasium.registry[env_id] is spec for env_id, spec in specs.items())
