"""Per-user episode restarts: a user whose episode ends starts its next one alone while the
others play on, in `EpisodeRunner`, `TFAgentsEnvironment` and `GymVectorEnv` (Gymnasium's three
autoreset modes); restarts draw fresh, seeded users that a checkpoint resumes exactly, and leave
shared state (a corpus) as it is.

The test story's user u is done after 2 + u steps (`conftest.py`). Gymnasium 1.x has no checker
for vector environments, so the vector environment is held to Gymnasium's own: `SyncVectorEnv`'s
`info` layout and `RecordEpisodeStatistics`' episode lengths.
"""

import numpy as np
import pytest
import tensorflow as tf
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.wrappers.vector import RecordEpisodeStatistics
from tf_agents.trajectories import time_step as ts

from recsim_ng.applications.recsim_v1 import interest_evolution, slate_fields, v1_environment
from recsim_ng.rl.episodes import EpisodeRunner
from recsim_ng.rl.gym_env import GymEnv, GymVectorEnv
from recsim_ng.rl.tf_agents_env import RESTARTS, TFAgentsEnvironment, validate_environment

NUM_USERS = 3
FIRST, MID, LAST = (int(t) for t in (ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST))
# The story's step types with `max_episode_steps=3`: user 0 terminates every 2 steps of its
# episode, user 1 every 3 (terminated and at the cap at once), user 2 is truncated every 3.
CAPPED = [[MID, MID, MID], [LAST, MID, MID], [FIRST, LAST, LAST], [MID, FIRST, FIRST],
          [LAST, MID, MID], [FIRST, MID, MID], [MID, LAST, LAST], [LAST, FIRST, FIRST]]
CAPPED_TERMINATED = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0],
                     [1, 0, 0], [0, 0, 0], [0, 1, 0], [1, 0, 0]]


def stacked(steps):
    """A list of time steps (or nests of tensors) as one nest of numpy arrays, time first."""
    return tf.nest.map_structure(lambda *xs: np.stack([np.asarray(x) for x in xs]), *steps)


def story_slate(k):
    return tf.fill([NUM_USERS, 2], k % 6)


def interests(observation):
    return observation["user"]["interest"]


# TF-Agents: auto-reset per user.

def test_a_user_whose_episode_ends_restarts_alone_while_the_others_play_on(make_network,
                                                                            env_args):
    env_args["reward"] = ("user", "clock")  # each user's step count in its episode
    env = TFAgentsEnvironment(make_network(NUM_USERS), **env_args)
    assert env.restart == "per_user"
    start = interests(env.current_time_step().observation).numpy()
    steps = []
    for _ in range(6):
        action = np.zeros([NUM_USERS, 2], np.int32)
        action[env.current_time_step().is_last().numpy()] = 9  # outside the space, but ignored
        steps.append(env.step(tf.constant(action)))
    result = stacked(steps)
    np.testing.assert_array_equal(result.step_type, [
        [MID, MID, MID], [LAST, MID, MID], [FIRST, LAST, MID], [MID, FIRST, LAST],
        [LAST, MID, FIRST], [FIRST, MID, MID]])
    # A new episode's first step earns nothing and counts from 0 again.
    np.testing.assert_array_equal(result.reward, [[1, 1, 1], [2, 2, 2], [0, 3, 3], [1, 0, 4],
                                                  [2, 1, 0], [0, 2, 1]])
    np.testing.assert_array_equal(result.discount == 0.0, result.step_type == LAST)
    # User 0's new episode is a fresh user: neither its first start nor where it ended.
    restarted = interests(result.observation)[2, 0]
    for before in (start[0], interests(result.observation)[1, 0]):
        assert np.abs(restarted - before).max() > 0.1


def test_max_episode_steps_truncates_each_user_in_its_own_episode(make_network, env_args):
    env = TFAgentsEnvironment(make_network(NUM_USERS), **env_args, max_episode_steps=3)
    result = stacked([env.step(story_slate(k)) for k in range(len(CAPPED))])
    np.testing.assert_array_equal(result.step_type, CAPPED)
    # Terminated: discount 0; truncated by the time limit only: discount 1.
    np.testing.assert_array_equal(result.discount == 0.0, CAPPED_TERMINATED)


@pytest.mark.parametrize("restart", RESTARTS)
def test_validation_counts_each_users_ended_episodes(make_network, env_args, restart):
    env = TFAgentsEnvironment(make_network(NUM_USERS), **env_args, restart=restart)
    # User 2, the slowest, starts its third episode at step 10 either way (per user, the users'
    # new episodes start at steps 3k, 4k and 5k: all at once only at step 60).
    assert validate_environment(env, episodes=2) == 10


def test_a_shared_corpus_story_passes_validation_restarting_per_user():
    network = interest_evolution(8, 5, 2, shared_candidates=True)
    env = v1_environment(network, max_episode_steps=4)
    assert env.restart == "per_user"
    assert validate_environment(env, episodes=2) == 2 * 5


def test_same_seed_same_restarts_and_a_checkpoint_resumes_them_exactly(make_network, env_args,
                                                                       tmp_path):
    def environment(seed):
        return TFAgentsEnvironment(make_network(NUM_USERS), **env_args, seed=seed)

    env = environment(3)
    for k in range(4):
        env.step(story_slate(k))
    path = tf.train.Checkpoint(env=env.checkpoint_state).save(str(tmp_path / "env"))
    expected = stacked([env.step(story_slate(k)) for k in range(4, 10)])
    assert (expected.step_type == FIRST).sum() >= NUM_USERS  # restarts after the checkpoint

    twin = environment(3)
    replay = stacked([twin.step(story_slate(k)) for k in range(10)][4:])
    tf.nest.map_structure(np.testing.assert_array_equal, expected, replay)

    fresh = environment(11)
    fresh.step(story_slate(0))
    tf.train.Checkpoint(env=fresh.checkpoint_state).restore(path).assert_consumed()
    resumed = stacked([fresh.step(story_slate(k)) for k in range(4, 10)])
    tf.nest.map_structure(np.testing.assert_array_equal, expected, resumed)


def test_per_user_restarts_run_alike_eagerly_in_a_tf_function_and_under_xla(make_network,
                                                                            env_args):
    def rollout(jit_compile, in_function):
        env = TFAgentsEnvironment(make_network(NUM_USERS), **env_args, seed=4,
                                  jit_compile=jit_compile)
        step = tf.function(env.step, autograph=False) if in_function else env.step
        return stacked([step(story_slate(k)) for k in range(7)])

    eager = rollout(False, False)
    assert (eager.step_type == FIRST).any()
    tf.nest.map_structure(np.testing.assert_array_equal, eager, rollout(False, True))
    xla = rollout(True, False)
    np.testing.assert_array_equal(xla.step_type, eager.step_type)
    np.testing.assert_array_equal(xla.observation["response"]["choice"],
                                  eager.observation["response"]["choice"])
    np.testing.assert_allclose(interests(xla.observation), interests(eager.observation),
                               rtol=1e-5, atol=1e-5)


# EpisodeRunner: restarts of a subset, seeds, checkpoints, shared state.

def v1_runner(seed, resample_documents=True, shared_candidates=False):
    """A runner over v1 interest evolution (4 users, 5 candidates, slates of 2) serving the
    slate observation contract plus the hidden user interests."""
    network = interest_evolution(4, 5, 2, resample_documents=resample_documents,
                                 shared_candidates=shared_candidates)
    arguments = slate_fields(network).adapter_arguments()
    arguments["observation"]["hidden"] = {"interests": ("user_state", "interests")}
    return EpisodeRunner(network, **arguments, seed=seed)


def hidden(step):
    return step.observation["hidden"]["interests"].numpy()


V1_SLATES = tf.constant([[0, 1], [1, 2], [2, 3], [3, 4]])
RESTARTED, KEPT = [0, 2], [1, 3]
MASK = tf.constant([True, False, True, False])


def test_restarted_users_draw_fresh_users_that_the_seed_determines():
    def run(seed):
        runner = v1_runner(seed)
        start = runner.reset()
        restart = runner.restart(MASK)
        np.testing.assert_array_equal(restart.first, MASK)
        stepped = runner.step(V1_SLATES, restart=tf.constant([True, False, False, False]))
        return [hidden(step) for step in (start, restart, stepped)], stepped

    (start, restart, stepped), step = run(5)
    assert np.all(np.abs(restart[RESTARTED] - start[RESTARTED]).max(axis=1) > 0.1)
    np.testing.assert_array_equal(restart[KEPT], start[KEPT])
    assert np.abs(stepped[0] - restart[0]).max() > 0.1  # a second restart draws anew
    np.testing.assert_array_equal(step.first, [True, False, False, False])
    assert step.reward.numpy()[0] == 0.0
    again, other = run(5)[0], run(6)[0]
    np.testing.assert_array_equal(np.stack(again), np.stack([start, restart, stepped]))
    assert np.abs(other[1][RESTARTED] - restart[RESTARTED]).max() > 0.1


def test_a_restored_runner_restarts_users_as_the_saved_one_would(tmp_path):
    runner = v1_runner(5)
    runner.restart(MASK)
    runner.step(V1_SLATES)
    path = tf.train.Checkpoint(runner=runner).save(str(tmp_path / "runner"))
    expected = hidden(runner.step(V1_SLATES, restart=~MASK))
    fresh = v1_runner(8)
    for _ in range(2):  # Its own restart count (2, not 1) is restored away too.
        fresh.restart(MASK)
    tf.train.Checkpoint(runner=fresh).restore(path).assert_consumed()
    np.testing.assert_array_equal(hidden(fresh.step(V1_SLATES, restart=~MASK)), expected)


@pytest.mark.parametrize("resample_documents", [False, True])
def test_a_per_user_restart_leaves_the_shared_corpus_as_it_is(resample_documents):
    runner = v1_runner(1, resample_documents, shared_candidates=True)
    start = runner.reset()
    stepped = runner.step(V1_SLATES)
    restarted = runner.restart(MASK)
    corpus = stepped.observation["candidates"]["doc"].numpy()
    # Restarted users see the corpus the others see (their rows were drawn given it) ...
    np.testing.assert_array_equal(restarted.observation["candidates"]["doc"], corpus)
    # ... and are new users, while the others stand where they were.
    assert np.all(np.abs(hidden(restarted)[RESTARTED] - hidden(stepped)[RESTARTED])
                  .max(axis=1) > 0.1)
    np.testing.assert_array_equal(hidden(restarted)[KEPT], hidden(stepped)[KEPT])
    if not resample_documents:  # A kept corpus is the first step's, restarts or not.
        np.testing.assert_array_equal(corpus, start.observation["candidates"]["doc"])


def test_state_without_a_user_axis_must_be_named_shared(make_network, env_args):
    del env_args["shared_state"]
    with pytest.raises(ValueError, match=r"variable 'corpus', field 'features'.*shared_state"):
        TFAgentsEnvironment(make_network(NUM_USERS), **env_args)


def test_bad_restart_arguments_are_refused(make_network, env_args):
    with pytest.raises(ValueError, match="restart must be one of"):
        TFAgentsEnvironment(make_network(NUM_USERS), **env_args, restart="sometimes")
    runner = EpisodeRunner(make_network(NUM_USERS), **env_args)
    with pytest.raises(ValueError, match=r"restart mask: expected bool \[3\]"):
        runner.restart(tf.constant([True, False]))
    with pytest.raises(ValueError, match="autoreset_mode must be one of"):
        GymVectorEnv(make_network(NUM_USERS), **env_args, autoreset_mode="Sometimes")
    env = GymVectorEnv(make_network(NUM_USERS), **env_args)
    with pytest.raises(ValueError, match="reset_mask must be a bool array of shape"):
        env.reset(options={"reset_mask": np.array([1, 0, 0])})


# Gymnasium: the three autoreset modes.

def story_vector_env(make_network, env_args, mode, **kwargs):
    env = GymVectorEnv(make_network(NUM_USERS), **env_args, autoreset_mode=mode, **kwargs)
    assert env.metadata["autoreset_mode"] is AutoresetMode(mode)
    return env


def test_next_step_autoreset_starts_an_ended_episode_at_the_following_step(make_network,
                                                                           env_args):
    env = RecordEpisodeStatistics(story_vector_env(make_network, env_args, "NextStep"))
    first, _ = env.reset(seed=2)
    results = [env.step(story_slate(k).numpy()) for k in range(5)]
    observations, rewards, terminated, truncated, _ = zip(*results)
    np.testing.assert_array_equal(terminated, [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1],
                                               [1, 0, 0]])
    assert not np.any(truncated)
    # The step after user 0's end is its reset: new observation, reward 0, not done.
    assert rewards[2][0] == 0.0 and rewards[3][1] == 0.0 and rewards[4][2] == 0.0
    for before in (interests(first)[0], interests(observations[1])[0]):
        assert np.abs(interests(observations[2])[0] - before).max() > 0.1
    # Gymnasium's episode statistics see episodes of 2, 3, 4 and again 2 steps.
    assert list(env.length_queue) == [2, 3, 4, 2]


def test_next_step_truncates_each_user_in_its_own_episode(make_network, env_args):
    env = story_vector_env(make_network, env_args, AutoresetMode.NEXT_STEP, max_episode_steps=3)
    env.reset(seed=0)
    results = [env.step(story_slate(k).numpy()) for k in range(len(CAPPED))]
    terminated, truncated = (np.array(list(column)) for column in list(zip(*results))[2:4])
    np.testing.assert_array_equal(terminated, CAPPED_TERMINATED)
    np.testing.assert_array_equal(terminated | truncated, np.array(CAPPED) == LAST)


def test_same_step_autoreset_returns_the_new_episode_and_the_final_obs_in_info(make_network,
                                                                              env_args):
    env = story_vector_env(make_network, env_args, AutoresetMode.SAME_STEP)
    env.reset(seed=2)
    env.step(story_slate(0).numpy())
    observation, _, terminated, _, info = env.step(story_slate(1).numpy())
    np.testing.assert_array_equal(terminated, [True, False, False])
    np.testing.assert_array_equal(info["_final_obs"], [True, False, False])
    final = info["final_obs"][0]
    assert info["final_obs"][1] is None and env.single_observation_space.contains(final)
    assert np.abs(interests(observation)[0] - interests(final)).max() > 0.1
    *_, terminated, _, info = env.step(story_slate(2).numpy())
    np.testing.assert_array_equal(terminated, [False, True, False])  # user 0 plays on
    np.testing.assert_array_equal(info["_final_obs"], [False, True, False])
    # The info layout of Gymnasium's own SyncVectorEnv in the same mode.
    reference = SyncVectorEnv([lambda: GymEnv(make_network(1), **env_args)] * 2,
                              autoreset_mode=AutoresetMode.SAME_STEP)
    assert reference.single_observation_space == env.single_observation_space
    reference.reset(seed=0)
    reference.step(np.zeros([2, 2], np.int32))
    *_, reference_terminated, _, reference_info = reference.step(np.zeros([2, 2], np.int32))
    assert reference_terminated.all()
    assert set(reference_info) == set(info)
    assert reference_info["final_obs"].dtype == info["final_obs"].dtype == object
    assert reference_info["final_info"] == info["final_info"] == {}


def test_disabled_autoreset_restarts_only_the_users_a_reset_mask_selects(make_network,
                                                                        env_args):
    env = story_vector_env(make_network, env_args, AutoresetMode.DISABLED)
    env.reset(seed=2)
    for k in range(3):
        observation, rewards, terminated, _, _ = env.step(story_slate(k).numpy())
    np.testing.assert_array_equal(terminated, [True, True, False])
    assert rewards[0] == 0.0  # user 0 ended a step ago and was not reset
    restarted, _ = env.reset(options={"reset_mask": np.array([True, False, False])})
    assert np.abs(interests(restarted)[0] - interests(observation)[0]).max() > 0.1
    np.testing.assert_array_equal(interests(restarted)[1:], interests(observation)[1:])
    _, rewards, terminated, _, _ = env.step(story_slate(3).numpy())
    np.testing.assert_array_equal(terminated, [False, True, True])
    assert rewards[1] == 0.0
    assert GymVectorEnv.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
