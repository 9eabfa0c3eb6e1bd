"""Tests for the Plackett-Luce slate policy and REINFORCE on RecSim v1's environments."""

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from recsim_ng.applications.recsim_v1 import (interest_evolution, interest_exploration,
                                              long_term_satisfaction)
from recsim_ng.rl.agents.random_policy import RandomSlatePolicy
from recsim_ng.rl.agents.reinforce import (PlackettLuceSlatePolicy, ReinforceConfig,
                                           ReinforceLearner, plackett_luce_log_prob)
from recsim_ng.rl.evaluation import evaluate, v1_environment

CANDIDATES, SLATE = 10, 3


class FixedLogits(tf.Module):
    """The same candidate logits for every user."""

    def __init__(self, logits):
        super().__init__()
        self.logits = tf.Variable(logits, dtype=tf.float32)

    def __call__(self, observation):
        batch = tf.shape(observation["observation"]["user"])[0]
        return tf.tile(self.logits[tf.newaxis], [batch, 1])


def tiny_policy(logits, slate_size, greedy=False, minimum=1):
    """A policy over len(logits) candidates numbered from `minimum`, and a time step of users."""
    observation = {"observation": {"user": tf.TensorSpec([1], tf.float32)}}
    action_spec = tensor_spec.BoundedTensorSpec([slate_size], tf.int32, minimum,
                                                minimum + len(logits) - 1)
    return PlackettLuceSlatePolicy(ts.time_step_spec(observation), action_spec,
                                   FixedLogits(logits), greedy)


def time_steps(users):
    return ts.restart({"observation": {"user": tf.zeros([users, 1])}}, batch_size=users)


def test_log_prob_is_the_plackett_luce_probability():
    logits = np.array([0.0, 1.0, 2.0, -0.5], np.float32)
    weights = np.exp(logits)
    slates = np.array([[2, 0], [3, 1], [0, 2]])
    expected = [math.log(weights[a] / weights.sum() * weights[b] / (weights.sum() - weights[a]))
                for a, b in slates]
    log_probs = plackett_luce_log_prob(tf.tile(logits[np.newaxis], [3, 1]), slates)
    np.testing.assert_allclose(log_probs, expected, rtol=1e-5)
    # The probabilities of all ordered slates sum to 1, also with leading batch axes.
    everything = np.array(list(itertools.permutations(range(4), 2)))
    total = tf.exp(plackett_luce_log_prob(np.broadcast_to(logits, [2, len(everything), 4]),
                                          np.broadcast_to(everything, [2, *everything.shape])))
    np.testing.assert_allclose(tf.reduce_sum(total, -1), [1.0, 1.0], rtol=1e-5)


def test_sampled_slates_follow_plackett_luce():
    logits = np.array([0.5, -1.0, 1.5, 0.0], np.float32)
    policy = tiny_policy(logits, 2, minimum=1)
    users = 20000
    slates = policy.action(time_steps(users), seed=7).action.numpy() - 1
    assert all(len(set(row)) == 2 for row in slates)
    first = np.bincount(slates[:, 0], minlength=4)
    softmax = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_array_less(np.abs(first - users * softmax),
                                 4 * np.sqrt(users * softmax * (1 - softmax)))
    # Every ordered pair, so later positions too, at its Plackett-Luce probability.
    pairs = np.array(list(itertools.permutations(range(4), 2)))
    probs = tf.exp(plackett_luce_log_prob(np.broadcast_to(logits, [len(pairs), 4]),
                                          pairs)).numpy()
    counts = np.array([np.sum((slates == pair).all(axis=1)) for pair in pairs])
    np.testing.assert_array_less(np.abs(counts - users * probs),
                                 4 * np.sqrt(users * probs * (1 - probs)))
    np.testing.assert_array_equal(policy.action(time_steps(users), seed=7).action - 1, slates)
    assert (policy.action(time_steps(users), seed=8).action.numpy() - 1 != slates).any()
    with pytest.raises(ValueError, match="seed"):
        policy.action(time_steps(3))


def test_greedy_policy_takes_the_top_k():
    policy = tiny_policy([0.5, -1.0, 1.5, 0.0, 0.7], 3, greedy=True, minimum=2)
    np.testing.assert_array_equal(policy.action(time_steps(2)).action, [[4, 6, 2]] * 2)


def iterate(learner, iterations):
    """Runs `iterations` training steps; the last one's metrics as floats."""
    for _ in range(iterations):
        metrics = learner.train_step()
    return {name: float(value) for name, value in metrics.items()}


def test_short_training_beats_random_on_fresh_seeds(assert_beats):
    env = v1_environment(interest_evolution(256, CANDIDATES, SLATE), seed=11)
    learner = ReinforceLearner(env, ReinforceConfig(), seed=3)
    metrics = iterate(learner, 8)
    assert all(math.isfinite(value) for value in metrics.values()), metrics
    assert int(learner.iterations) == 8
    assert int(learner.environment_steps) >= 8 * metrics["episode_length"]
    users = 1000
    reinforce = evaluate(interest_evolution(users, CANDIDATES, SLATE), learner.policy, users,
                         seed=21)
    random = evaluate(interest_evolution(users, CANDIDATES, SLATE),
                      RandomSlatePolicy(env.time_step_spec(), env.action_spec()), users, seed=21)
    assert_beats(reinforce, random)


def test_restored_learner_continues_identically(tmp_path):
    config = ReinforceConfig()

    def make_learner():
        env = v1_environment(interest_evolution(16, CANDIDATES, SLATE), seed=5)
        return ReinforceLearner(env, config, seed=9)

    learner = make_learner()
    iterate(learner, 2)
    path = tf.train.Checkpoint(**learner.checkpoint_objects()).write(str(tmp_path / "ckpt"))
    expected = [learner.train_step() for _ in range(2)]
    restored = make_learner()
    # The fresh learner's own first iteration moves it away from the saved state first.
    iterate(restored, 1)
    tf.train.Checkpoint(**restored.checkpoint_objects()).read(path).assert_consumed()
    actual = [restored.train_step() for _ in range(2)]
    for want, got in zip(expected, actual):
        for name in ("loss", "mean_return", "episode_length"):
            assert float(want[name]) == float(got[name]), name
    for want, got in zip(learner.item_network.trainable_variables,
                         restored.item_network.trainable_variables):
        np.testing.assert_array_equal(want, got)
    assert int(restored.iterations) == 4 and int(restored.environment_steps) == int(
        learner.environment_steps)


@pytest.mark.parametrize("network,cap,length", [
    (interest_exploration(8, CANDIDATES, 2), 5, 5.0),
    (long_term_satisfaction(8, CANDIDATES, 2), None, 60.0)])
def test_one_step_on_the_other_v1_environments(network, cap, length):
    learner = ReinforceLearner(v1_environment(network, max_episode_steps=cap),
                               ReinforceConfig(entropy_bonus=0.01))
    mlp = learner.item_network.mlp
    # Softmax ignores a shift of every logit, so only the output bias gets no gradient.
    trained = [*mlp.weights, *mlp.biases[:-1]]
    before = [v.numpy() for v in trained]
    metrics = iterate(learner, 1)
    assert metrics["episode_length"] == length and math.isfinite(metrics["loss"])
    assert int(learner.environment_steps) == length
    assert all((b != a.numpy()).any() for b, a in zip(before, trained))
