"""Serving a trained slate policy without our code: TF-Agents' `PolicySaver` writes the greedy
policy as a SavedModel, which a fresh process that imports neither recsim_ng nor TF-Agents
loads with `tf.saved_model.load` and serves through its `action` signature."""

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.policies import greedy_policy, policy_saver
from tf_agents.utils import nest_utils

from recsim_ng.applications.recsim_v1 import InterestEvolution, interest_evolution
from recsim_ng.applications.recsim_v1.environment import v1_environment
from recsim_ng.applications.recsim_v1.myopic_scores import interest_evolution_click_probability
from recsim_ng.rl.agents.reinforce import SlateReinforceAgent
from recsim_ng.rl.agents.slate_policy import RandomSlatePolicy
from recsim_ng.rl.agents.slate_q import SlateQAgent, SlateQConfig
from recsim_ng.rl.collect import EpisodeLearner, ReplayLearner

CANDIDATES, SLATE, USERS = 10, 3, 16

# Loads the SavedModel, serves the saved time steps through its `action` signature (inputs
# named by their paths in the time step), saves the slates, and checks that neither our code
# nor TF-Agents was imported. TFP only registers the type of what the SavedModel's
# `distribution` function returns, without which TensorFlow refuses to load it
# (tensorflow/agents#466); `action` needs nothing of it.
SERVE = """
import sys
import numpy as np
import tensorflow as tf
import tensorflow_probability

model, time_steps, slates = sys.argv[1:]
action = tf.saved_model.load(model).signatures["action"]
saved = np.load(time_steps)
inputs = {name: tf.constant(saved[spec.name.split("/", 1)[1]])
          for name, spec in action.structured_input_signature[1].items()}
np.save(slates, action(**inputs)["action"].numpy())
foreign = [name for name in sys.modules
           if name.split(".")[0] in ("recsim_ng", "tf_agents")]
assert not foreign, foreign
"""


def environment(users, seed=0):
    return v1_environment(interest_evolution(users, CANDIDATES, SLATE), seed=seed,
                          restart="together")


def reinforce_learner(env):
    agent = SlateReinforceAgent(env.time_step_spec(), env.action_spec(), seed=3)
    return EpisodeLearner(agent, env, collect_steps=400, whole_episodes=True)


def slate_q_learner(env):
    click_probability = interest_evolution_click_probability(
        InterestEvolution(1, CANDIDATES, SLATE, True, False))
    agent = SlateQAgent(env.time_step_spec(), env.action_spec(), click_probability,
                        SlateQConfig(), seed=3)
    return ReplayLearner(agent, env, seed=5)


@pytest.mark.parametrize("make_learner,train_steps", [(reinforce_learner, 2),
                                                      (slate_q_learner, 5)])
def test_a_process_without_our_code_or_tf_agents_serves_the_trained_policys_slates(
        make_learner, train_steps, tmp_path):
    learner = make_learner(environment(USERS, seed=1))
    for _ in range(train_steps):
        learner.train_step()
    policy = greedy_policy.GreedyPolicy(learner.agent.policy)
    policy_saver.PolicySaver(policy, batch_size=None).save(str(tmp_path / "policy"))
    # Fresh users' first steps and the steps after a random slate, served as one batch.
    env = environment(USERS, seed=2)
    first = env.current_time_step()
    random = RandomSlatePolicy(env.time_step_spec(), env.action_spec())
    second = env.step(random.action(first).action)
    time_step = tf.nest.map_structure(lambda *x: tf.concat(x, 0), first, second)
    np.savez(tmp_path / "time_steps.npz", **{
        path: tensor.numpy() for path, tensor in nest_utils.flatten_with_joined_paths(time_step)})
    subprocess.run([sys.executable, "-c", SERVE, str(tmp_path / "policy"),
                    str(tmp_path / "time_steps.npz"), str(tmp_path / "slates.npy")],
                   check=True, timeout=120)
    expected = policy.action(time_step).action.numpy()
    assert len({tuple(slate) for slate in expected}) > 1  # Users get different slates.
    np.testing.assert_array_equal(np.load(tmp_path / "slates.npy"), expected)
