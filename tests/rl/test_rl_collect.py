"""Tests for `recsim_ng.rl.collect`'s replay: what `ReplayLearner` trains on, and
`StatelessUniformReplayBuffer`'s reads."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.recsim_v1.experiments import SLATE_Q_AGENTS, TASKS
from recsim_ng.rl.agents.slate_q import SlateQAgent
from recsim_ng.rl.collect import ReplayLearner, StatelessUniformReplayBuffer

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
