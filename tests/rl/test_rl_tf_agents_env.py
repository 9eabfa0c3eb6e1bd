"""Tests for `TFAgentsEnvironment`: specs, per-user termination, synchronous restarts, a driver
and a replay buffer (per-user restarts: `test_rl_restarts.py`)."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.drivers import dynamic_step_driver
from tf_agents.policies import random_tf_policy
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.utils import common, nest_utils

from recsim_ng.applications.recsim_v1 import (interest_evolution, interest_exploration,
                                              long_term_satisfaction, v1_environment)
from recsim_ng.lib.space import box
from recsim_ng.rl.tf_agents_env import RESTARTS, TFAgentsEnvironment, validate_environment

NUM_USERS = 3
FIRST, MID, LAST = (int(t) for t in (ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST))


def make_env(make_network, env_args, seed=0, **kwargs):
    return TFAgentsEnvironment(make_network(NUM_USERS), **env_args, seed=seed, **kwargs)


def assert_matches_spec(env, time_step):
    """Every time step tensor has the batched shape and dtype of the spec (TF-Agents' check)."""
    assert nest_utils.is_batched_nested_tensors(time_step, env.time_step_spec(), num_outer_dims=1)
    batched = tensor_spec.add_outer_dims_nest(env.time_step_spec(), (NUM_USERS,))
    tf.nest.map_structure(lambda spec, x: (
        np.testing.assert_equal(tuple(x.shape), tuple(spec.shape)),
        np.testing.assert_equal(x.dtype, spec.dtype)), batched, time_step)
    assert tensor_spec.is_bounded(env.action_spec())


def test_users_terminate_one_by_one_then_all_restart_together(make_network, env_args):
    env_args["reward"] = ("user", "clock")  # a reward the network makes positive at every step
    env = make_env(make_network, env_args, restart="together")
    first = env.reset()
    assert_matches_spec(env, first)
    np.testing.assert_array_equal(first.step_type, [FIRST] * NUM_USERS)
    action = tf.zeros([NUM_USERS, 2], tf.int32)
    steps = []
    for _ in range(NUM_USERS + 2):  # user u finishes after 2 + u steps; then one restart step
        steps.append(env.step(action))
        assert_matches_spec(env, steps[-1])
    step_types, rewards, discounts = (np.array([getattr(t, name).numpy() for t in steps])
                                      for name in ("step_type", "reward", "discount"))
    np.testing.assert_array_equal(step_types, [[MID, MID, MID], [LAST, MID, MID],
                                               [LAST, LAST, MID], [LAST, LAST, LAST],
                                               [FIRST, FIRST, FIRST]])
    # The terminating step keeps its reward; a finished user earns nothing until the restart.
    np.testing.assert_array_equal(rewards, [[1, 1, 1], [2, 2, 2], [0, 3, 3], [0, 0, 4],
                                            [0, 0, 0]])
    np.testing.assert_array_equal(discounts == 0.0, step_types == LAST)
    np.testing.assert_array_equal(env.current_time_step().step_type, [FIRST] * NUM_USERS)


def test_same_seed_same_episodes(make_network, env_args):
    def rollout(seed):
        env = make_env(make_network, env_args, seed)
        steps = [env.reset()]
        for k in range(6):
            steps.append(env.step(tf.fill([NUM_USERS, 2], k % 6)))
        return tf.nest.map_structure(lambda *xs: np.stack(xs), *steps)

    first, again, other = rollout(7), rollout(7), rollout(8)
    tf.nest.map_structure(np.testing.assert_array_equal, first, again)
    assert not np.array_equal(first.observation["user"]["interest"],
                              other.observation["user"]["interest"])


def test_seed_restarts_the_episode_sequence(make_network, env_args):
    env = make_env(make_network, env_args, seed=7)
    start = env.current_time_step()
    np.testing.assert_array_equal(start.step_type, [FIRST] * NUM_USERS)
    interest = start.observation["user"]["interest"].numpy()
    assert not np.array_equal(env.reset().observation["user"]["interest"], interest)
    env.seed(7)
    np.testing.assert_array_equal(env.current_time_step().observation["user"]["interest"],
                                  interest)


@pytest.mark.parametrize("restart", RESTARTS)
def test_driver_fills_a_replay_buffer_under_tf_function(make_network, env_args, restart):
    env = make_env(make_network, env_args, restart=restart)
    policy = random_tf_policy.RandomTFPolicy(env.time_step_spec(), env.action_spec())
    buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
        policy.trajectory_spec, batch_size=NUM_USERS, max_length=100)
    driver = dynamic_step_driver.DynamicStepDriver(
        env, policy, observers=[buffer.add_batch], num_steps=4 * NUM_USERS)
    run = common.function(driver.run)
    time_step, _ = run(env.reset())
    time_step, _ = run(time_step)
    frames = buffer.gather_all()
    assert frames.step_type.shape[0] == NUM_USERS and frames.step_type.shape[1] >= 8
    assert frames.action.shape[2:] == (2,)
    assert np.all((frames.action.numpy() >= 0) & (frames.action.numpy() <= 5))
    # Each user's stored episode runs FIRST, MID..., LAST and restarts with FIRST.
    for row in frames.step_type.numpy():
        assert row[0] == FIRST
        for before, after in zip(row[:-1], row[1:]):
            assert after != FIRST or before == LAST
            assert before != FIRST or after != FIRST
    dataset = buffer.as_dataset(sample_batch_size=5, num_steps=2, single_deterministic_pass=False)
    experience, _ = next(iter(dataset))
    assert experience.observation["corpus"]["features"].shape == (5, 2, 6, 3)


@pytest.mark.parametrize("make_v1,cap,steps,restart", [
    (lambda: interest_evolution(16, 10, 3), None, None, "per_user"),
    # Capped episodes, each + the restart step, whether users restart alone or together.
    (lambda: interest_exploration(16), 20, 2 * 21, "per_user"),
    (lambda: interest_exploration(16), 20, 2 * 21, "together"),
    (lambda: long_term_satisfaction(16), None, 2 * 61, "per_user")])
def test_the_v1_environments_pass_validation_with_random_actions(make_v1, cap, steps, restart):
    env = v1_environment(make_v1(), max_episode_steps=cap, restart=restart)
    taken = validate_environment(env, episodes=2)
    assert taken == steps if steps is not None else 2 < taken < 10_000


def test_validation_names_a_field_outside_its_space(make_network, env_args):
    network = make_network(NUM_USERS)
    user = network.variable("user")
    user.spec.as_dict["interest"].space = box(-0.5, 0.5)  # N(0, 1) draws leave this box
    with pytest.raises(ValueError, match="user.interest"):
        validate_environment(TFAgentsEnvironment(network, **env_args))
