"""Tests for the Gymnasium adapters: `check_env`, vector batch shapes, termination, seeding
(autoreset modes and per-user restarts: `test_rl_restarts.py`)."""

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

from recsim_ng.rl.gym_env import GymEnv, GymVectorEnv, register_env

NUM_USERS = 4
# check_env's advice that an unbounded Box is "probably" too wide, and that an env made without
# gymnasium.make has no spec to test render modes with; neither is a defect here.
EXPECTED_WARNINGS = ("infinity", "environment not having a spec")


def test_single_user_env_passes_check_env(make_network, env_args):
    env = GymEnv(make_network(1), **env_args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)
    unexpected = [str(w.message) for w in caught
                  if not any(text in str(w.message) for text in EXPECTED_WARNINGS)]
    assert not unexpected
    assert env.action_space == gymnasium.spaces.MultiDiscrete([6, 6], dtype=np.int32)
    observation, _ = env.reset(seed=3)
    assert env.observation_space.contains(observation)
    with pytest.raises(ValueError, match="not in the action space"):
        env.step(np.array([0, 6]))


def test_single_user_episode_terminates_at_its_horizon(make_network, env_args):
    env = GymEnv(make_network(1), **env_args)
    env.reset(seed=0)
    terminations = [env.step(env.action_space.sample())[2] for _ in range(2)]
    assert terminations == [False, True]
    with pytest.raises(ValueError, match="network of one user"):
        GymEnv(make_network(2), **env_args)


def test_vector_env_batches_users_and_keeps_finished_users_done(make_network, env_args):
    env = GymVectorEnv(make_network(NUM_USERS), **env_args, max_episode_steps=4,
                       autoreset_mode=AutoresetMode.DISABLED)
    assert env.num_envs == NUM_USERS
    observation, _ = env.reset(seed=1)
    assert env.observation_space.contains(observation)
    assert observation["user"]["interest"].shape == (NUM_USERS, 3)
    assert observation["corpus"]["features"].shape == (NUM_USERS, 6, 3)
    np.testing.assert_array_equal(observation["corpus"]["features"][0],
                                  observation["corpus"]["features"][-1])
    assert env.action_space.shape == (NUM_USERS, 2)
    env.action_space.seed(0)
    terminations, truncations, rewards = [], [], []
    for _ in range(4):
        observation, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert env.observation_space.contains(observation)
        assert reward.shape == terminated.shape == truncated.shape == (NUM_USERS,)
        terminations.append(terminated)
        truncations.append(truncated)
        rewards.append(reward)
    # User u terminates after 2 + u steps and stays terminated; user 3 is truncated at step 4.
    np.testing.assert_array_equal(terminations, [[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0],
                                                 [1, 1, 1, 0]])
    np.testing.assert_array_equal(truncations[-1], [0, 0, 0, 1])
    assert rewards[2][0] == rewards[3][0] == rewards[3][1] == 0.0
    env.reset(options={"reset_mask": np.array([True, False, False, False])})  # user 0 alone
    np.testing.assert_array_equal(env.step(env.action_space.sample())[2], [0, 1, 1, 1])
    env.reset()
    assert not env.step(env.action_space.sample())[2].any()


def test_same_seed_same_trajectory(make_network, env_args):
    def rollout(seed):
        env = GymVectorEnv(make_network(NUM_USERS), **env_args)
        observations = [env.reset(seed=seed)[0]]
        for k in range(3):
            observations.append(env.step(np.full((NUM_USERS, 2), k, np.int32))[0])
        observations.append(env.reset()[0])  # the next episode of the same seed sequence
        return [o["user"]["interest"] for o in observations]

    first, again, other = rollout(5), rollout(5), rollout(6)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0], first[-1])


def test_register_env_serves_make_and_make_vec(make_network, env_args):
    register_env("RecSimNGTestStory-v0", make_network, max_episode_steps=1, **env_args)
    try:
        env = gymnasium.make("RecSimNGTestStory-v0")
        env.reset(seed=0)
        assert env.step(env.action_space.sample())[3]  # truncated by the TimeLimit
        vector = gymnasium.make_vec("RecSimNGTestStory-v0", num_envs=3,
                                    vectorization_mode="vector_entry_point",
                                    autoreset_mode="SameStep")
        assert isinstance(vector, GymVectorEnv) and vector.num_envs == 3
        assert vector.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP
        vector.reset(seed=0)
        np.testing.assert_array_equal(vector.step(vector.action_space.sample())[3], [1, 1, 1])
    finally:
        gymnasium.registry.pop("RecSimNGTestStory-v0")
