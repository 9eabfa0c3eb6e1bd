"""REINFORCE training of the interest evolution recommender: it must visibly learn."""

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.applications.interest_evolution.simulation import (
    create_interest_evolution_simulation_network)
from recsim_ng.applications.interest_evolution.training import (ReinforceTrainer,
                                                                TrainingResult,
                                                                reinforce_objective)


def test_reinforce_objective_weights_log_probs_by_baselined_returns_to_go():
    rewards = tf.constant([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]])  # [T = 2, U = 3]
    log_probs = tf.Variable(tf.zeros([2, 3]))
    with tf.GradientTape() as tape:
        objective = reinforce_objective(log_probs, rewards)
    returns = np.array([[1.0, 3.0, 3.0], [0.0, 3.0, 1.0]])
    advantages = returns - returns.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(tape.gradient(objective, log_probs), -advantages / 3, rtol=1e-6)


def test_short_training_beats_the_untrained_recommender_by_more_than_three_standard_errors():
    network, variables = create_interest_evolution_simulation_network(
        100, num_docs=20, history_length=4)
    trainer = ReinforceTrainer(network, variables, horizon=10, learning_rate=0.03)
    eval_seed, batches = 1000, 5  # Fresh: training uses run seeds 0 and 1.
    untrained = trainer.user_returns(eval_seed, batches)
    curve = trainer.train(1, seed=0)
    runtime_traces = trainer.runtime.trace_count
    curve = np.concatenate([curve, trainer.train(29, seed=1)])
    assert trainer.trace_count == 1  # One trace, then one compiled call per training step.
    assert trainer.runtime.trace_count == runtime_traces
    assert curve.shape == (30,) and np.all(np.isfinite(curve))
    result = TrainingResult(curve, untrained, trainer.user_returns(eval_seed, batches))
    assert result.trained_returns.shape == (500,)
    # Paired over the same fresh users; the standard error is that of the per-user difference.
    assert result.improvement > 3 * result.improvement_standard_error
    assert curve[-10:].mean() > curve[:10].mean()


def test_training_on_shards_needs_a_strategy_and_recorded_log_probs():
    from recsim_ng.applications.interest_evolution.simulation import REPLICATED_VARIABLES
    from recsim_ng.lib.sharding import ShardedRuntime

    def make_network(users):
        return create_interest_evolution_simulation_network(users, num_docs=20)[0]

    local = ShardedRuntime(make_network, 4, num_shards=2, replicated=REPLICATED_VARIABLES,
                           record_log_probs=True)
    with pytest.raises(ValueError, match="tf.distribute strategy"):
        ReinforceTrainer(local, [], horizon=3, learning_rate=0.1)
