"""Tests for `recsim_ng.rl.collect`'s replay: what `ReplayLearner` trains on and how it weighs
it, and `StatelessUniformReplayBuffer`'s reads."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from recsim_ng.applications.recsim_v1.experiments import SLATE_Q_AGENTS, TASKS
from recsim_ng.rl.agents.slate_q import SlateQAgent
from recsim_ng.rl.collect import EpisodeStepWeights, ReplayLearner, StatelessUniformReplayBuffer

USERS = 6


def slate_q_learner(**kwargs):
    env = TASKS["interest_evolution"].environment(USERS, seed=2)
    agent = SlateQAgent(env.time_step_spec(), env.action_spec(),
                        TASKS["interest_evolution"].click_probability(),
                        SLATE_Q_AGENTS["slate_q_greedy"], seed=1)
    return ReplayLearner(agent, env, **kwargs)


def filled_buffer(items, capacity):
    """A buffer of 3 rows holding `items` steps; row r's item i is 100 r + i."""
    spec = tf.TensorSpec([], tf.int64)
    buffer = StatelessUniformReplayBuffer(spec, 3, capacity)
    for item in range(items):
        buffer.add_batch(tf.constant([0, 100, 200], tf.int64) + item)
    return buffer


def test_latest_reads_every_rows_newest_items_oldest_first():
    buffer = filled_buffer(items=7, capacity=4)  # Items 0-2 overwritten.
    np.testing.assert_array_equal(buffer.latest(2), [[5, 6], [105, 106], [205, 206]])
    np.testing.assert_array_equal(buffer.latest(4), [[3, 4, 5, 6], [103, 104, 105, 106],
                                                     [203, 204, 205, 206]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="fewer than 2 items"):
        filled_buffer(items=1, capacity=4).latest(2)


def test_samples_are_consecutive_stored_items_of_one_row_and_repeat_by_seed():
    buffer = filled_buffer(items=7, capacity=4)
    sample = buffer.sample((3, 4), 500, 2).numpy()
    rows, items = sample // 100, sample % 100
    assert (rows[:, 0] == rows[:, 1]).all() and (items[:, 1] == items[:, 0] + 1).all()
    assert set(items[:, 0]) == {3, 4, 5} and set(rows[:, 0]) == {0, 1, 2}
    np.testing.assert_array_equal(buffer.sample((3, 4), 500, 2), sample)


def test_by_default_each_training_step_trains_on_every_users_latest_transition():
    learner = slate_q_learner()
    learner.train_step()
    learner.train_step()
    network = learner.agent.network.trainable_variables
    before = [variable.numpy() for variable in network]
    loss = learner.train_step()["loss"]
    trained_on = learner.replay_buffer.latest(2)
    assert trained_on.step_type.shape == [USERS, 2]
    for variable, value in zip(network, before):
        variable.assign(value)
    np.testing.assert_allclose(learner.agent.loss(trained_on).loss, loss, rtol=1e-6)


def test_a_sample_size_needs_a_buffer_holding_more_than_the_latest_sequences():
    with pytest.raises(ValueError, match="sample_batch_size needs a capacity above"):
        slate_q_learner(sample_batch_size=4)
    sampling = slate_q_learner(sample_batch_size=4, capacity=10)
    for _ in range(3):
        assert np.isfinite(sampling.train_step()["loss"])


F, M, L = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST


def test_episode_step_weights_make_each_step_of_the_episode_weigh_alike():
    # Two users' items 0-4: user 0 ends an episode at item 2 and starts the next at item 3.
    step_types = np.array([[F, M, L, F, M], [F, M, M, M, M]], np.int32)
    next_types = np.array([[M, L, F, M, M], [M, M, M, M, M]], np.int32)
    # The transition from item t - 1 trains at item t: at episode steps (user 0) 0, 1, none
    # (it starts at LAST), 0 and (user 1) 0, 1, 2, 3; each weighs 1 / (transitions trained so far
    # at its episode step, itself included).
    expected = [[1 / 2, 1 / 2], [1 / 2, 1 / 2], [0.0, 1.0], [1 / 3, 1.0]]
    weights = EpisodeStepWeights(batch_size=2)

    def items(types, item):
        return tf.constant(types[:, item])

    for item in range(5):
        weights.observe(trajectory.Trajectory(items(step_types, item), (), (), (),
                                              items(next_types, item), (), ()))
        if item:
            latest = trajectory.Trajectory(tf.constant(step_types[:, item - 1:item + 1]), (),
                                           (), (), tf.constant(next_types[:, item - 1:item + 1]),
                                           (), ())
            np.testing.assert_allclose(weights.weights(latest), expected[item - 1], rtol=1e-6)


def test_weighed_training_uses_the_weights_and_resumes_exactly(tmp_path):
    learner = slate_q_learner(weigh_episode_steps=True)
    checkpoint = tf.train.Checkpoint(**learner.checkpoint_objects())
    for _ in range(3):
        learner.train_step()
    path = checkpoint.save(str(tmp_path / "ckpt"))
    losses = [float(learner.train_step()["loss"]) for _ in range(3)]
    restored = slate_q_learner(weigh_episode_steps=True)
    restored.train_step()  # Moves it away from the saved state first.
    tf.train.Checkpoint(**restored.checkpoint_objects()).restore(path).assert_consumed()
    assert [float(restored.train_step()["loss"]) for _ in range(3)] == losses
    unweighed = slate_q_learner()
    for _ in range(6):
        unweighed.train_step()
    assert float(unweighed.train_step()["loss"]) != float(learner.train_step()["loss"])
    with pytest.raises(ValueError, match="weigh_episode_steps needs the default capacity"):
        slate_q_learner(weigh_episode_steps=True, capacity=10)
