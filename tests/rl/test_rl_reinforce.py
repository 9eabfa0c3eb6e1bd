"""Tests for `SlateReinforceAgent`: its advantages and loss, and training it through
`EpisodeLearner` on RecSim v1's environments."""

import math

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from recsim_ng.applications.recsim_v1 import interest_evolution, interest_exploration
from recsim_ng.applications.recsim_v1.environment import v1_environment
from recsim_ng.entities.choice_models import PlackettLuceSlate
from recsim_ng.lib import seeds
from recsim_ng.rl.agents.reinforce import ReinforceConfig, SlateReinforceAgent
from recsim_ng.rl.agents.slate_policy import RandomSlatePolicy
from recsim_ng.rl.collect import EpisodeLearner
from recsim_ng.rl.evaluation import evaluate

CANDIDATES, SLATE = 10, 3
F, M, L = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST
# Three users' rows of five steps: user 0 ends an episode after 3 steps and starts the next;
# user 1 starts mid-episode, ends it after 2 steps and ends a 2-step episode; user 2 ends none.
STEP_TYPES = np.array([[F, M, M, L, F], [M, M, L, F, M], [F, M, M, M, M]], np.int32)
NEXT_STEP_TYPES = np.array([[M, M, L, F, M], [M, L, F, M, L], [M, M, M, M, M]], np.int32)
# The trained steps and their index in the episode (user 1's first steps count from the row's
# start): user 0's steps 0-2 (indices 0, 1, 2), user 1's steps 0-1 and 3-4 (0, 1, 0, 1).
TRAINED = {(0, 0): 0, (0, 1): 1, (0, 2): 2, (1, 0): 0, (1, 1): 1, (1, 3): 0, (1, 4): 1}


def small_specs(num_candidates=4, slate_size=2):
    """A slate observation spec (2 user features, 3 per candidate) and its action spec."""
    observation = {"user": {"interest": tf.TensorSpec([2], tf.float32)},
                   "candidates": {"doc": tf.TensorSpec([num_candidates, 3], tf.float32)},
                   "response": {}}
    action = tensor_spec.BoundedTensorSpec([slate_size], tf.int32, 0, num_candidates - 1)
    return ts.time_step_spec(observation), action


def experience(seed=0, num_candidates=4, slate_size=2):
    """The rows of `STEP_TYPES` with random observations and slates, as a `Trajectory`."""
    generator = np.random.default_rng(seed)
    batch, length = STEP_TYPES.shape
    observation = {
        "user": {"interest": generator.normal(size=[batch, length, 2]).astype(np.float32)},
        "candidates": {"doc": generator.normal(
            size=[batch, length, num_candidates, 3]).astype(np.float32)},
        "response": {}}
    slates = np.array([[generator.permutation(num_candidates)[:slate_size]
                        for _ in range(length)] for _ in range(batch)], np.int32)
    return trajectory.Trajectory(
        step_type=tf.constant(STEP_TYPES), observation=tf.nest.map_structure(
            tf.constant, observation), action=tf.constant(slates), policy_info=(),
        next_step_type=tf.constant(NEXT_STEP_TYPES),
        reward=tf.constant(generator.normal(size=[batch, length]).astype(np.float32)),
        discount=tf.ones([batch, length]))


def expected_advantages(returns, baseline=True, normalize=True):
    """The advantages of `TRAINED`'s steps, computed one by one."""
    advantages = np.zeros_like(returns)
    for (user, step), index in TRAINED.items():
        peers = [returns[key] for key, other in TRAINED.items() if other == index]
        advantages[user, step] = returns[user, step] - (np.mean(peers) if baseline else 0.0)
    if normalize:
        trained = np.array([advantages[key] for key in TRAINED])
        advantages /= trained.std() + 1e-6
    return advantages


@pytest.mark.parametrize("baseline,normalize", [("mean", True), ("mean", False),
                                                ("none", True)])
def test_advantages_subtract_the_mean_return_at_the_same_step_of_the_episode(baseline,
                                                                             normalize):
    config = ReinforceConfig(baseline=baseline, normalize_advantages=normalize)
    agent = SlateReinforceAgent(*small_specs(), config)
    returns = np.random.default_rng(1).normal(3.0, 2.0, STEP_TYPES.shape).astype(np.float32)
    np.testing.assert_allclose(agent.advantages(experience(), tf.constant(returns)),
                               expected_advantages(returns, baseline == "mean", normalize),
                               rtol=1e-5, atol=1e-6)


def test_loss_is_reinforce_on_plackett_luce_slates_with_an_entropy_bonus():
    bonus = 0.3
    agent = SlateReinforceAgent(*small_specs(), ReinforceConfig(entropy_bonus=bonus), seed=4)
    batch = experience(seed=2)
    returns = tf.constant(np.random.default_rng(3).normal(size=STEP_TYPES.shape), tf.float32)
    loss = agent.total_loss(batch, returns, weights=None)
    logits = agent._actor_network(batch.observation)[0].logits  # [B, T, N]
    log_probs = PlackettLuceSlate(logits, 2).log_prob(batch.action)
    advantages = expected_advantages(returns.numpy())
    episodes = np.sum(NEXT_STEP_TYPES == L)
    gradient_loss = -np.sum(advantages * log_probs) / episodes
    np.testing.assert_allclose(loss.extra.policy_gradient_loss, gradient_loss, rtol=1e-5)
    # The entropy of the first position's softmax, averaged over the steps the loss weighs.
    weighted = np.zeros(STEP_TYPES.shape, np.float32)
    weighted[0, :3] = 1.0  # Every step up to the row's last episode end, boundaries included.
    weighted[1, :] = 1.0
    entropy = -tf.reduce_sum(tf.nn.softmax(logits) * tf.nn.log_softmax(logits), -1)
    np.testing.assert_allclose(loss.extra.entropy_regularization_loss,
                               -bonus * np.mean(weighted * entropy), rtol=1e-5)
    np.testing.assert_allclose(loss.loss, gradient_loss - bonus * np.mean(weighted * entropy),
                               rtol=1e-5)


def test_policies_sample_and_serve_the_actor_networks_plackett_luce_slates():
    time_step_spec, action_spec = small_specs()
    agent = SlateReinforceAgent(time_step_spec, action_spec, seed=5)
    time_step = ts.restart(tf.nest.map_structure(lambda x: x[:, 0], experience().observation),
                           batch_size=3)
    logits = agent._actor_network(time_step.observation)[0].logits
    np.testing.assert_array_equal(agent.policy.action(time_step).action,
                                  tf.math.top_k(logits, 2).indices)
    np.testing.assert_array_equal(agent.collect_policy.action(time_step, seed=7).action,
                                  PlackettLuceSlate(logits, 2).sample(seed=seeds.as_seed(7)))
    tower = {variable.ref() for variable in agent._actor_network.tower.variables}
    assert len(tower) == 6  # Three layers' weights and biases.
    counter = {agent.collect_policy._unseeded_calls.ref()}  # Where unseeded draws stand.
    for policy in (agent.collect_policy, agent.policy):  # What savers save.
        assert {variable.ref() for variable in policy.variables()} == tower | counter


@pytest.mark.parametrize("bad,match", [(dict(learning_rate=0.0), "learning_rate"),
                                       (dict(gamma=1.5), "gamma"),
                                       (dict(baseline="value"), "baseline"),
                                       (dict(hidden=(0,)), "hidden")])
def test_bad_configs_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        ReinforceConfig(**bad)


TRAIN_ITERATIONS, CHECKPOINT_AT = 8, 6


def _learner(users, seed=11):
    """REINFORCE on one whole synchronous episode of every user per training step."""
    env = v1_environment(interest_evolution(users, CANDIDATES, SLATE), seed=seed,
                         restart="together")
    agent = SlateReinforceAgent(env.time_step_spec(), env.action_spec(), seed=3)
    return EpisodeLearner(agent, env, collect_steps=400, whole_episodes=True)


@pytest.fixture(name="trained", scope="module")
def fixture_trained(tmp_path_factory):
    """A learner after `TRAIN_ITERATIONS` training steps on 256 users, the environment steps
    each took, and a checkpoint of its run at step `CHECKPOINT_AT`."""
    learner = _learner(256)
    checkpoint = tf.train.Checkpoint(**learner.checkpoint_objects())
    lengths, losses = [], []
    for iteration in range(1, TRAIN_ITERATIONS + 1):
        before = int(learner.environment_steps)
        losses.append(float(learner.train_step()["loss"]))
        lengths.append(int(learner.environment_steps) - before)
        if iteration == CHECKPOINT_AT:
            path = checkpoint.save(str(tmp_path_factory.mktemp("reinforce") / "ckpt"))
    return learner, lengths, losses, path


def test_whole_episode_training_beats_random_on_fresh_users(trained, assert_beats):
    learner, lengths, losses, _ = trained
    assert all(math.isfinite(loss) for loss in losses)
    assert int(learner.agent.train_step_counter) == TRAIN_ITERATIONS
    # Each training step is one episode of every user: as long as its longest, under the cap.
    assert all(50 < length < 400 for length in lengths), lengths
    users = 1000

    def environment(num_users):
        return v1_environment(interest_evolution(num_users, CANDIDATES, SLATE))

    reinforce = evaluate(environment, learner.policy, users, seed=21)
    random = evaluate(environment, RandomSlatePolicy(learner.agent.time_step_spec,
                                                     learner.agent.action_spec), users, seed=21)
    assert_beats(reinforce, random)


def test_a_restored_run_continues_exactly(trained):
    learner, _, losses, path = trained
    restored = _learner(256)
    restored.train_step()  # Moves it away from the saved state first.
    tf.train.Checkpoint(**restored.checkpoint_objects()).restore(path).assert_consumed()
    for loss in losses[CHECKPOINT_AT:]:
        assert float(restored.train_step()["loss"]) == loss
    assert int(restored.environment_steps) == int(learner.environment_steps)
    for expected, variable in zip(learner.agent.variables, restored.agent.variables):
        np.testing.assert_array_equal(variable, expected)


def test_truncated_episodes_train_every_weight_but_the_output_bias():
    env = v1_environment(interest_exploration(8, CANDIDATES, 2), max_episode_steps=5,
                         restart="together")
    agent = SlateReinforceAgent(env.time_step_spec(), env.action_spec(),
                                ReinforceConfig(entropy_bonus=0.01))
    learner = EpisodeLearner(agent, env, collect_steps=50, whole_episodes=True)
    mlp = agent._actor_network.tower.mlp
    # Softmax ignores a shift of every logit, so only the output bias gets no gradient.
    trained = [*mlp.weights, *mlp.biases[:-1]]
    before = [variable.numpy() for variable in trained]
    assert math.isfinite(float(learner.train_step()["loss"]))
    assert int(learner.environment_steps) == 5
    assert all((old != new.numpy()).any() for old, new in zip(before, trained))


def test_each_agent_counts_only_its_own_training_steps():
    # Unlike TF-Agents' default, a process-wide global step shared by every agent.
    env = v1_environment(interest_exploration(4, CANDIDATES, 2), max_episode_steps=3,
                         restart="together")
    first = EpisodeLearner(SlateReinforceAgent(env.time_step_spec(), env.action_spec()), env,
                           collect_steps=3, whole_episodes=True)
    first.train_step()
    second = SlateReinforceAgent(env.time_step_spec(), env.action_spec())
    assert int(first.agent.train_step_counter) == 1
    assert int(second.train_step_counter) == 0
    second.train_step_counter.assign_add(5)
    assert int(first.agent.train_step_counter) == 1
