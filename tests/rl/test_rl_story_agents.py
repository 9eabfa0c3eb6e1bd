"""A slate REINFORCE agent trained on each RecSim NG story beats the story's random recommender.

Each agent is `SlateReinforceAgent` (default config) trained through `EpisodeLearner` on whole
episodes, then its greedy policy and `RandomSlatePolicy` are evaluated on the same fresh users
(an environment seed the training never saw, one `Evaluator`: paired users and documents). The
gain must exceed 3 standard errors of the difference, taken as if the two means were
independent (pairing only correlates them positively, so this overstates the error).
"""

import math

import pytest
import tensorflow as tf

from recsim_ng.applications import ecosystem_simulation, interest_evolution
from recsim_ng.applications.ecosystem_simulation.user import init_random_provider_clusters
from recsim_ng.rl.agents import RandomSlatePolicy
from recsim_ng.rl.agents.reinforce import SlateReinforceAgent
from recsim_ng.rl.collect import EpisodeLearner
from recsim_ng.rl.evaluation import EvaluationResult, Evaluator

EPISODE_STEPS = 10
TRAIN_SEED, EVAL_ENV_SEED, EVAL_SEED = 0, 1, 2

# Interest evolution with its collaborative-filtering world: the agent sees the users'
# consumption histories, as the CF recommender does.
IE_SIZES = {"num_docs": 20, "slate_size": 2, "history_length": 5}
# The ecosystem: users clustered around 8 providers of 3 documents each, slates of 3.
ECO_SIZES = {"provider_means": init_random_provider_clusters(num_provider_clusters=4,
                                                             provider_fan_out=2, seed=0),
             "docs_per_provider": 3, "slate_size": 3}


def ie_environment(num_users, seed, restart="per_user"):
    return interest_evolution.agent_environment(num_users, seed, EPISODE_STEPS, restart,
                                                **IE_SIZES)


def eco_environment(num_users, seed, restart="per_user"):
    return ecosystem_simulation.agent_environment(num_users, seed, EPISODE_STEPS, restart,
                                                  **ECO_SIZES)


# story -> (environment, training users, training restart, training iterations, eval users).
# The ecosystem's users share one world: its corpus publishes from the providers the users
# clicked. Trained with per-user restarts, that world would never restart and drift ever further
# from the fresh one the evaluation starts in (the agent then fails to beat random), so its
# training episodes restart together, as evaluation episodes do.
STORIES = {"interest_evolution": (ie_environment, 64, "per_user", 60, 500),
           "ecosystem": (eco_environment, 256, "together", 60, 256)}


def standard_error(result: EvaluationResult) -> float:
    return result.ci95_half_width / 1.96


@pytest.mark.parametrize("story", sorted(STORIES))
def test_trained_agent_beats_random_slates(story):
    environment, users, restart, iterations, eval_users = STORIES[story]
    env = environment(users, TRAIN_SEED, restart)
    # Our own step counter: by default TF-Agents counts in the process's global step.
    train_steps = tf.Variable(0, dtype=tf.int64, trainable=False)
    agent = SlateReinforceAgent(env.time_step_spec(), env.action_spec(), seed=TRAIN_SEED,
                                train_step_counter=train_steps)
    learner = EpisodeLearner(agent, env, collect_steps=EPISODE_STEPS + 1)  # Whole episodes.
    for _ in range(iterations):
        learner.train_step()
    assert int(train_steps.numpy()) == iterations
    evaluator = Evaluator(lambda num_users: environment(num_users, EVAL_ENV_SEED), eval_users,
                          EVAL_SEED)
    trained = evaluator(learner.policy)
    random = evaluator(RandomSlatePolicy(env.time_step_spec(), env.action_spec(), seed=3))
    gain = trained.mean_return - random.mean_return
    assert gain > 3 * math.hypot(standard_error(trained), standard_error(random)), (
        f"{story}: trained {trained}, random {random}")
