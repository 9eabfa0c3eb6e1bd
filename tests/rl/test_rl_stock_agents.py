"""TF-Agents' own agents (REINFORCE with a value baseline, PPO) learning slates on RecSim v1's
interest evolution through the slate observation contract, with `SlateActorNetwork` and
`SlateValueNetwork` as their networks: nothing of the agents is ours.

TF-Agents' `ActorPolicy` samples without a seed (drivers pass none), from TensorFlow's global
generator; `stock_agents` wraps each collect policy to draw from stateless seeds instead.
"""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.policies import actor_policy

from recsim_ng.applications.recsim_v1 import interest_evolution
from recsim_ng.applications.recsim_v1.environment import v1_environment
from recsim_ng.applications.recsim_v1.experiments import StockAgentConfig, run_experiment
from recsim_ng.entities.choice_models import PlackettLuceSlate
from recsim_ng.rl.agents.slate_actor_network import SlateActorNetwork, SlateValueNetwork
from recsim_ng.rl.agents.slate_policy import RandomSlatePolicy
from recsim_ng.rl.agents.stock_agents import tf_agents_ppo, tf_agents_reinforce
from recsim_ng.rl.collect import EpisodeLearner
from recsim_ng.rl.evaluation import Evaluator

CANDIDATES, SLATE = 10, 3
# REINFORCE's returns need whole episodes: each iteration collects one of every training user.
# At this budget the agents are sensitive to their initial networks (stock REINFORCE from seed 0
# was still at random's level); the full runs in RESULTS.md go far beyond it.
TRAIN_USERS, MAX_EPISODE_STEPS, ITERATIONS, EVAL_USERS = 256, 500, 6, 500


def environment(users, seed=0, restart="per_user"):
    return v1_environment(interest_evolution(users, CANDIDATES, SLATE), seed=seed,
                          restart=restart)


def test_the_networks_are_tf_agents_networks_of_plain_variables():
    env = environment(4)
    observation_spec, action_spec = env.time_step_spec().observation, env.action_spec()
    actor = SlateActorNetwork(observation_spec, action_spec, seed=1)
    output_spec = actor.create_variables()
    assert output_spec.event_spec.shape == [SLATE] and output_spec.dtype == tf.int32
    tower = {variable.ref() for variable in actor.tower.trainable_variables}
    assert len(tower) == 6  # Keras tracks the tower's plain variables: 3 weights, 3 biases.
    for variables in (actor.variables, actor.trainable_weights, actor.trainable_variables):
        assert {variable.ref() for variable in variables} == tower
    # Any outer axes: a [B, T] batch scores as its steps one by one.
    time_step = env.current_time_step()
    random = RandomSlatePolicy(env.time_step_spec(), action_spec)
    steps = [time_step.observation, env.step(random.action(time_step).action).observation]
    observation = tf.nest.map_structure(lambda *x: tf.stack(x, 1), *steps)
    slates, _ = actor(observation)
    assert isinstance(slates, PlackettLuceSlate) and slates.logits.shape == [4, 2, CANDIDATES]
    critic = SlateValueNetwork(observation_spec, seed=2)
    critic.create_variables()
    values, _ = critic(observation)
    for step, single in enumerate(steps):
        np.testing.assert_allclose(actor(single)[0].logits, slates.logits[:, step], rtol=1e-6)
        np.testing.assert_allclose(values[:, step], tf.reduce_mean(critic.tower(single), -1),
                                   rtol=1e-6)
    # `copy` rebuilds from the same arguments: new variables, equal values (the same seed).
    copy = actor.copy(name="copy")
    copy.create_variables()
    for mine, theirs in zip(actor.variables, copy.variables):
        assert mine is not theirs
        np.testing.assert_array_equal(mine, theirs)
    # TF-Agents' `ActorPolicy` samples its slates and serves their mode.
    policy = actor_policy.ActorPolicy(env.time_step_spec(), action_spec, actor)
    sampled = policy.action(time_step, seed=3).action.numpy()
    assert all(len(set(slate)) == SLATE for slate in sampled)
    assert ((0 <= sampled) & (sampled < CANDIDATES)).all()
    np.testing.assert_array_equal(policy.distribution(time_step).action.mode(),
                                  tf.math.top_k(actor(time_step.observation)[0].logits,
                                                SLATE).indices)


@pytest.fixture(name="evaluator", scope="module")
def fixture_evaluator():
    """Fresh users (not the training ones) and the random policy's return on them."""
    evaluator = Evaluator(lambda users: environment(users), EVAL_USERS, seed=4)
    env = environment(1)
    return evaluator, evaluator(RandomSlatePolicy(env.time_step_spec(), env.action_spec()))


@pytest.mark.parametrize("make_agent", [tf_agents_reinforce, tf_agents_ppo])
def test_a_stock_agent_learns_to_beat_random_slates(make_agent, evaluator, assert_beats):
    env = environment(TRAIN_USERS, seed=1, restart="together")
    agent = make_agent(env.time_step_spec(), env.action_spec(), seed=1)
    learner = EpisodeLearner(agent, env, MAX_EPISODE_STEPS, whole_episodes=True)
    for _ in range(ITERATIONS):
        assert np.isfinite(learner.train_step()["loss"])
    assert int(agent.train_step_counter) == ITERATIONS * agent_train_steps(agent)
    evaluate, random = evaluator
    assert_beats(evaluate(learner.policy), random)


def agent_train_steps(agent):
    """Gradient steps per `train`: PPO takes one per epoch."""
    return getattr(agent, "_num_epochs", 1)


def test_experiment_runs_of_a_stock_agent_repeat_from_their_seed():
    def run(seed):
        return run_experiment("interest_evolution", "tf_agents_reinforce", environment_steps=1,
                              train_users=8, eval_users=20, seed=seed, curve_points=0)

    first, again, other = run(0), run(0), run(1)
    assert first.environment_steps > 1  # One whole episode of every training user.
    assert first.evaluation == again.evaluation
    assert first.evaluation != other.evaluation
    with pytest.raises(ValueError, match="StockAgentConfig.learning_rate"):
        StockAgentConfig(learning_rate=-1.0)


@pytest.mark.parametrize("make_agent", [tf_agents_reinforce, tf_agents_ppo])
def test_a_restored_stock_agent_run_continues_exactly(make_agent, tmp_path):
    def learner():
        env = environment(8, seed=2, restart="together")
        return EpisodeLearner(make_agent(env.time_step_spec(), env.action_spec(), seed=3), env,
                              MAX_EPISODE_STEPS, whole_episodes=True)

    run = learner()
    stock = run.agent.collect_policy._wrapped  # The stock policy's own distribution and info.
    time_step = run._env.current_time_step()
    np.testing.assert_array_equal(run.agent.collect_policy.distribution(time_step).action.logits,
                                  stock.distribution(time_step).action.logits)
    run.train_step()
    path = tf.train.Checkpoint(**run.checkpoint_objects()).save(str(tmp_path / "ckpt"))
    losses = [float(run.train_step()["loss"]) for _ in range(2)]
    restored = learner()
    restored.train_step()  # Moves it away from the saved state first.
    tf.train.Checkpoint(**restored.checkpoint_objects()).restore(path).assert_consumed()
    assert [float(restored.train_step()["loss"]) for _ in range(2)] == losses
