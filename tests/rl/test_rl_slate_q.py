"""Tests for the SlateQ agent and its slate optimisers on RecSim v1's interest evolution."""

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.policies import greedy_policy
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from recsim_ng.applications.recsim_v1 import InterestEvolution, interest_evolution
from recsim_ng.applications.recsim_v1.environment import v1_environment
from recsim_ng.applications.recsim_v1.myopic_scores import interest_evolution_click_probability
from recsim_ng.rl.agents import EpsilonGreedySlatePolicy, RandomSlatePolicy
from recsim_ng.rl.agents.q_agent import QLearningConfig
from recsim_ng.rl.agents.slate_optimization import (attractiveness, candidate_subsets,
                                                    exact_slate, greedy_slate, optimal_slate,
                                                    slate_values, top_k_slate)
from recsim_ng.rl.agents.slate_q import SlateQAgent, SlateQConfig
from recsim_ng.rl.collect import ReplayLearner
from recsim_ng.rl.evaluation import evaluate

CANDIDATES, SLATE = 10, 3
GREEDY = SlateQConfig(slate_optimizer="greedy", target_optimizer="greedy")


def click_probability(candidates=CANDIDATES, slate=SLATE):
    return interest_evolution_click_probability(
        InterestEvolution(1, candidates, slate, True, False))


def environment(users, seed=0):
    return v1_environment(interest_evolution(users, CANDIDATES, SLATE), seed=seed)


def specs(env):
    return env.time_step_spec(), env.action_spec()


def test_slate_value_is_the_choice_weighted_item_q():
    interests = np.zeros([1, 20], np.float32)
    interests[0, :4] = [0.5, -0.2, 0.9, -1.0]
    clusters = [2, 0, 3, 1]  # candidate j shows cluster clusters[j]
    observation = {"user": {"user": tf.constant(interests)},
                   "candidates": {"doc": tf.one_hot([clusters], 20)}}
    r = attractiveness(click_probability(4, 2), observation, 4)
    item_q = tf.constant([[3.0, 5.0, 7.0, 2.0]])
    slates = tf.constant([[[1, 0], [0, 3], [2, 3]]])
    v = {j: interests[0, clusters[j]] + 1.0 for j in range(4)}  # v1: u_c + 1, no click 2
    expected = [(v[a] * item_q[0, a] + v[b] * item_q[0, b]) / (v[a] + v[b] + 2.0)
                for a, b in slates.numpy()[0]]
    np.testing.assert_allclose(slate_values(r, item_q, slates)[0], expected, rtol=1e-5)
    # v = (1.9, 1.5, 0, 0.8), so r_j Q_j is proportional to (5.7, 7.5, 0, 1.6): the best Q
    # (candidate 2) is never clicked, so the slate is candidate 1, then 0.
    np.testing.assert_array_equal(top_k_slate(r, item_q, 2), [[1, 0]])


def test_greedy_and_exact_slates_follow_v1s_rules():
    r = tf.constant([[1.0, 0.5, 4.0, 0.2, 1.5]])
    q = tf.constant([[3.0, 8.0, 1.0, 9.0, 2.5]])
    # Greedy: n = 0, d = 1, each round adds the j maximising (n + r_j Q_j) / (d + r_j).
    numerator, denominator, expected = 0.0, 1.0, []
    for _ in range(3):
        values = {j: (numerator + r[0, j] * q[0, j]) / (denominator + r[0, j])
                  for j in range(5) if j not in expected}
        best = max(values, key=values.get)
        expected.append(best)
        numerator += float(r[0, best] * q[0, best])
        denominator += float(r[0, best])
    np.testing.assert_array_equal(greedy_slate(r, q, 3), [expected])
    # Exact: the best of all C(5, 3) subsets, items in descending r_j Q_j.
    subsets = list(itertools.combinations(range(5), 3))
    values = slate_values(r, q, tf.constant(subsets))[0].numpy()
    best = sorted(subsets[values.argmax()], key=lambda j: -float(r[0, j] * q[0, j]))
    np.testing.assert_array_equal(exact_slate(r, q, 3), [best])
    np.testing.assert_array_equal(candidate_subsets(5, 3), subsets)


def test_exact_slates_are_never_worse_than_greedy_or_top_k():
    r = tf.random.stateless_uniform([400, 8], [1, 2], 0.05, 3.0)
    q = tf.random.stateless_normal([400, 8], [3, 4]) * 4.0
    value = {name: slate_values(r, q, optimal_slate(name, r, q, 3)[:, tf.newaxis])[:, 0]
             for name in ("top_k", "greedy", "exact")}
    best = tf.reduce_max(slate_values(r, q, candidate_subsets(8, 3)), -1)
    np.testing.assert_allclose(value["exact"], best, rtol=1e-6)
    assert (value["greedy"].numpy() <= best.numpy() + 1e-5).all()
    assert (value["top_k"].numpy() <= best.numpy() + 1e-5).all()
    assert (value["greedy"].numpy() < best.numpy() - 1e-4).any()  # the choice matters
    with pytest.raises(ValueError, match="slate optimizer must be one of"):
        optimal_slate("best", r, q, 3)
    with pytest.raises(ValueError, match="exceeds"):
        candidate_subsets(60, 10)


@pytest.mark.parametrize("bad, match", [
    (dict(target="expected_sarsa"), "SlateQConfig.target must be one of"),
    (dict(slate_optimizer="best"), "SlateQConfig.slate_optimizer must be one of"),
    (dict(target_optimizer="best"), "SlateQConfig.target_optimizer must be one of"),
    (dict(gamma=1.5), "SlateQConfig.gamma is out of range"),
    (dict(learning_rate=0.0), "SlateQConfig.learning_rate is out of range"),
    (dict(epsilon=-0.1), "SlateQConfig.epsilon is out of range"),
    (dict(epsilon_start=2.0), "SlateQConfig.epsilon_start is out of range"),
    (dict(epsilon_decay_steps=-1), "SlateQConfig.epsilon_decay_steps is out of range"),
    (dict(target_update_period=0), "SlateQConfig.target_update_period is out of range"),
    (dict(target_update_period=2.5), "SlateQConfig.target_update_period is out of range"),
    (dict(hidden=(16, 0)), "SlateQConfig.hidden is out of range"),
])
def test_bad_configs_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        SlateQConfig(**bad)


def test_agents_refuse_what_they_cannot_learn_from():
    env = environment(2)
    with pytest.raises(ValueError, match="config must be a SlateQConfig"):
        SlateQAgent(*specs(env), click_probability(), QLearningConfig())
    spec = env.time_step_spec()
    no_choice = {**spec.observation, "response": {}}
    with pytest.raises(ValueError, match=r"response\['choice'\]"):
        SlateQAgent(ts.time_step_spec(no_choice), env.action_spec(), click_probability())


class Batch:
    """Hand-built replay samples `[B, 2]` from two real steps of `users` users: the first
    step's observation, slate and step type, the reward and discount of the step it leads to,
    and the choice observed there; the second step's slate is the SARSA next slate."""

    def __init__(self, users=5, seed=0):
        env = environment(users, seed)
        random = RandomSlatePolicy(*specs(env))
        first = env.current_time_step()
        self.slates = random.action(first, seed=1).action
        self.next_slates = random.action(first, seed=2).action
        second = env.step(self.slates)
        self.observations = (first.observation, second.observation)
        self.users = users

    def experience(self, step_types, rewards, discounts, choices):
        first, second = self.observations
        second = {**second, "response": {**second["response"],
                                          "choice": tf.constant(choices, tf.int32)}}
        next_types = np.where(np.asarray(step_types) == ts.StepType.LAST, ts.StepType.FIRST,
                              ts.StepType.MID)
        return trajectory.Trajectory(
            step_type=_stack(tf.constant(step_types, tf.int32),
                             tf.constant(next_types, tf.int32)),
            observation=tf.nest.map_structure(_stack, first, second),
            action=_stack(self.slates, self.next_slates), policy_info=(),
            next_step_type=_stack(tf.constant(next_types, tf.int32),
                                  tf.fill([self.users], ts.StepType.MID)),
            reward=_stack(tf.constant(rewards, tf.float32), tf.zeros([self.users])),
            discount=_stack(tf.constant(discounts, tf.float32), tf.ones([self.users])))


def _stack(first, second):
    """`[B, 2, ...]` from two `[B, ...]` steps."""
    return tf.stack([first, second], axis=1)


def _values(module):
    return [variable.numpy() for variable in module.trainable_variables]


def _exploration_rate(agent, time_step):
    """The collect policy's probability of a uniformly random slate."""
    mixture = agent.collect_policy.distribution(time_step).action
    return mixture.cat.probs_parameter()[0, 1].numpy()


FIRST, MID, LAST = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST
# Row 0 and 4 click and train; row 1 does not click; row 2 starts at its episode's LAST step
# (the boundary into the next episode); row 3 clicks into a terminal state (discount 0).
STEP_TYPES, REWARDS = [MID, MID, LAST, MID, FIRST], [3.0, 0.0, 4.0, 2.0, 1.5]
DISCOUNTS, CHOICES = [1.0, 1.0, 1.0, 0.0, 1.0], [1, SLATE, 0, 0, 2]
TRAINED = [0, 3, 4]


def _perturb(network, seed):
    for index, variable in enumerate(network.trainable_variables):
        variable.assign_add(0.3 * tf.random.stateless_normal(variable.shape, [seed, index]))


@pytest.mark.parametrize("config", [SlateQConfig(target="sarsa"), GREEDY,
                                    SlateQConfig(target_optimizer="exact", gamma=0.5),
                                    SlateQConfig(v1_target_on_current_states=True)])
def test_loss_is_the_clicked_items_squared_error_against_the_configured_target(config):
    batch = Batch()
    env = environment(2)
    agent = SlateQAgent(*specs(env), click_probability(), config, seed=4)
    _perturb(agent.target_network, 7)  # the target network differs from the online one
    experience = batch.experience(STEP_TYPES, REWARDS, DISCOUNTS, CHOICES)
    first, second = batch.observations
    r = agent.attractiveness(second).numpy()
    target_q = agent.target_network(first if config.v1_target_on_current_states
                                    else second).numpy()
    if config.target == "sarsa":
        next_slates = batch.next_slates.numpy()
    else:
        next_slates = optimal_slate(config.target_optimizer, r, target_q, SLATE).numpy()
    q = agent.network(first).numpy()
    errors = []
    for row in TRAINED:
        shown = next_slates[row]
        value = (r[row, shown] @ target_q[row, shown]) / (r[row, shown].sum() + 1.0)
        target = REWARDS[row] + config.gamma * DISCOUNTS[row] * value
        item = batch.slates[row, CHOICES[row]]
        errors.append((q[row, item] - target) ** 2)
    loss = agent.loss(experience)
    np.testing.assert_allclose(loss.loss, np.mean(errors), rtol=1e-5)
    assert loss.extra.weight == len(TRAINED)
    weighted = agent.loss(experience, weights=tf.constant([1.0, 1.0, 1.0, 0.0, 0.5]))
    np.testing.assert_allclose(weighted.loss, (errors[0] + 0.5 * errors[2]) / 1.5, rtol=1e-5)


def test_sarsa_and_q_learning_targets_differ():
    batch = Batch()
    env = environment(2)
    experience = batch.experience(STEP_TYPES, REWARDS, DISCOUNTS, CHOICES)
    losses = {target: SlateQAgent(*specs(env), click_probability(),
                                  SlateQConfig(target=target), seed=4).loss(experience).loss
              for target in ("sarsa", "q_learning")}
    assert abs(losses["sarsa"] - losses["q_learning"]) > 1e-3 * losses["sarsa"]


def test_train_skips_adam_without_a_trained_transition_and_copies_the_target_periodically():
    batch = Batch()
    env = environment(2)
    agent = SlateQAgent(*specs(env), click_probability(), SlateQConfig(target_update_period=2),
                        seed=4)
    agent.initialize()
    start = _values(agent.network)
    no_clicks = batch.experience(STEP_TYPES, REWARDS, DISCOUNTS, [SLATE] * 5)
    assert agent.train(no_clicks).extra.weight == 0.0
    for before, after in zip(start, _values(agent.network)):
        np.testing.assert_array_equal(before, after)  # Adam did not move on a zero gradient
    clicks = batch.experience(STEP_TYPES, REWARDS, DISCOUNTS, CHOICES)
    agent.train(clicks)  # train step 2: Adam steps, then the target copies the online network
    assert agent.train_step_counter.numpy() == 2
    assert any((a != b).any() for a, b in zip(start, _values(agent.network)))
    for online, target in zip(_values(agent.network), _values(agent.target_network)):
        np.testing.assert_array_equal(online, target)
    agent.train(clicks)  # train step 3: the target keeps step 2's copy
    assert any((a != b).any() for a, b in zip(_values(agent.network),
                                              _values(agent.target_network)))


def test_exploration_is_seeded_and_decays_over_the_train_steps():
    env = environment(500)
    agent = SlateQAgent(*specs(env), click_probability(), seed=2)
    time_step = env.current_time_step()
    greedy = agent.policy.action(time_step).action.numpy()
    policy = EpsilonGreedySlatePolicy(agent.policy, 0.5)
    slates = policy.action(time_step, seed=4).action.numpy()
    assert all(len(set(row)) == SLATE for row in slates)
    assert 0.4 < (slates != greedy).any(axis=1).mean() < 0.6
    np.testing.assert_array_equal(policy.action(time_step, seed=4).action, slates)
    assert _exploration_rate(agent, time_step) == pytest.approx(0.1)  # default: constant
    decaying = SlateQAgent(*specs(env), click_probability(),
                           SlateQConfig(epsilon=0.1, epsilon_start=0.9, epsilon_decay_steps=100))
    assert _exploration_rate(decaying, time_step) == pytest.approx(0.9)
    decaying.train_step_counter.assign(25)
    assert _exploration_rate(decaying, time_step) == pytest.approx(0.7)
    decaying.train_step_counter.assign(400)
    assert _exploration_rate(decaying, time_step) == pytest.approx(0.1)


TRAIN_STEPS, CHECKPOINT_AT = 300, 150


def _replay_learner(config):
    env = environment(256, seed=11)
    return ReplayLearner(SlateQAgent(*specs(env), click_probability(), config, seed=3), env,
                         seed=5)


@pytest.fixture(name="trained", scope="module")
def fixture_trained(tmp_path_factory):
    """A SARSA SlateQ agent (greedy slates) trained through `ReplayLearner`, with a checkpoint
    of its run at step `CHECKPOINT_AT` and its online network after 3 steps."""
    learner = _replay_learner(SlateQConfig(target="sarsa", slate_optimizer="greedy"))
    checkpoint = tf.train.Checkpoint(**learner.checkpoint_objects())
    for step in range(1, TRAIN_STEPS + 1):
        metrics = learner.train_step()
        if step == 3:
            early = [v.numpy() for v in learner.agent.network.trainable_variables]
        if step == CHECKPOINT_AT:
            path = checkpoint.save(str(tmp_path_factory.mktemp("slate_q") / "ckpt"))
    return learner, metrics, early, path


def test_replay_training_beats_random_on_fresh_users(trained, assert_beats):
    learner, metrics, _, _ = trained
    assert math.isfinite(metrics["loss"])
    assert learner.agent.train_step_counter.numpy() == TRAIN_STEPS - 1  # from step 2 on
    users = 1000
    slate_q = evaluate(environment, learner.policy, users, seed=21)  # GreedyPolicy
    agent_specs = (learner.agent.time_step_spec, learner.agent.action_spec)
    random = evaluate(environment, RandomSlatePolicy(*agent_specs), users, seed=21)
    assert_beats(slate_q, random)


def test_greedy_policy_serves_the_agents_best_slate(trained):
    learner = trained[0]
    agent = learner.agent
    time_step = environment(64, seed=8).current_time_step()
    best = agent.best_slate(agent.network, time_step.observation)
    served = greedy_policy.GreedyPolicy(agent.policy).action(time_step).action
    np.testing.assert_array_equal(served, best)
    np.testing.assert_array_equal(learner.policy.action(time_step).action, best)
    r, q = agent.attractiveness(time_step.observation), agent.network(time_step.observation)
    np.testing.assert_array_equal(best, greedy_slate(r, q, SLATE))


def test_a_restored_run_continues_exactly(trained):
    learner, _, early, path = trained
    restored = _replay_learner(SlateQConfig(target="sarsa", slate_optimizer="greedy"))
    for _ in range(3):  # The same seeds give the same run.
        restored.train_step()
    for expected, variable in zip(early, restored.agent.network.trainable_variables):
        np.testing.assert_array_equal(variable, expected)
    tf.train.Checkpoint(**restored.checkpoint_objects()).restore(path).assert_consumed()
    for _ in range(TRAIN_STEPS - CHECKPOINT_AT):
        restored.train_step()
    assert restored.environment_steps.numpy() == TRAIN_STEPS
    for expected, variable in zip(learner.agent.variables, restored.agent.variables):
        np.testing.assert_array_equal(variable, expected)
    time_step = environment(64, seed=8).current_time_step()
    np.testing.assert_array_equal(restored.agent.collect_policy.action(time_step).action,
                                  learner.agent.collect_policy.action(time_step).action)
