"""The applications' agent networks served as TF-Agents environments through the slate contract.

Each reward is checked against the model's own expectation given what the agent saw and fed
(hidden quantities read through a privileged copy of the contract), and a policy that knows the
users' interests beats uniformly random slates: an agent can learn something here. The interest
evolution agent sees what the collaborative-filtering recommender sees: the users' consumption
histories.
"""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories.time_step import StepType

from recsim_ng.applications import ecosystem_simulation, interest_evolution
from recsim_ng.applications.ecosystem_simulation.user import init_random_provider_clusters
from recsim_ng.rl.agents import RandomSlatePolicy, SlateFeatures
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment, validate_environment

USERS, STEPS = 64, 20
IE_DOCS, IE_SLATE, IE_HISTORY = 20, 2, 5
PROVIDERS = init_random_provider_clusters(num_provider_clusters=4, provider_fan_out=2, seed=0)
ECO_DOCS_PER_PROVIDER, ECO_SLATE = 3, 3

# Privileged copies of the contracts: the hidden user interest (and for interest evolution the
# documents' quality) as observations, so the tests can compute expected rewards.
IE_PRIVILEGED = dataclasses.replace(
    interest_evolution.AGENT_SLATE_FIELDS, user={"interest": ("user_state", "interest")},
    candidates={**interest_evolution.AGENT_SLATE_FIELDS.candidates,
                "doc_quality": ("available_docs", "doc_quality"),
                "doc_length": ("available_docs", "doc_length")})
ECO_PRIVILEGED = ecosystem_simulation.AGENT_SLATE_FIELDS  # It observes the interests already.


def ie_network():
    return interest_evolution.create_interest_evolution_agent_network(
        USERS, num_docs=IE_DOCS, history_length=IE_HISTORY, slate_size=IE_SLATE)


def eco_network():
    return ecosystem_simulation.create_viable_provider_agent_network(
        PROVIDERS, num_users=USERS, slate_size=ECO_SLATE, docs_per_provider=ECO_DOCS_PER_PROVIDER)


def environment(network, fields, seed=0):
    return TFAgentsEnvironment(network, **fields.adapter_arguments(), seed=seed,
                               max_episode_steps=STEPS)


@pytest.fixture(scope="module")
def envs():
    """Each application's environment under its privileged contract."""
    return {"interest_evolution": environment(ie_network(), IE_PRIVILEGED),
            "ecosystem": environment(eco_network(), ECO_PRIVILEGED)}


def episode(env, policy):
    """Episode 0 of the environment's seed under `policy` (time step -> slates): each step's
    previous time step, action and new time step."""
    env.seed(0)
    time_step, steps = env.current_time_step(), []
    for _ in range(STEPS):
        action = policy(time_step)
        after = env.step(action)
        steps.append(tf.nest.map_structure(lambda t: t.numpy(), (time_step, action, after)))
        time_step = after
    return steps


def random_policy(env, seed=3):
    policy = RandomSlatePolicy(env.time_step_spec(), env.action_spec(), seed=seed)
    return lambda time_step: policy.action(time_step).action


def nearest_documents(slate_size, interest_name):
    """Each user's `slate_size` candidates closest to the user's interest: the most clicked."""
    def policy(time_step):
        interest = time_step.observation["user"][interest_name]
        features = time_step.observation["candidates"]["doc_features"]
        distance = tf.norm(interest[:, None] - features, axis=-1)
        return tf.math.top_k(-distance, slate_size).indices
    return policy


def gathered(candidates, slates):
    """Each user's candidate features `[U, N, ...]` at its slate `[U, K]`: `[U, K, ...]`."""
    return candidates[np.arange(len(slates))[:, None], slates]


def click_probabilities(logits):
    """Multinomial logit over the slate's logits `[U, K]` and a no-click logit of 0."""
    weights = np.exp(np.concatenate([logits, np.zeros(logits.shape[:1] + (1,))], -1))
    return weights / weights.sum(-1, keepdims=True)


def ie_expected_reward(before, slates):
    """The interest evolution user's expected consumed time given its interest and the slate."""
    candidates = before.observation["candidates"]
    features = gathered(candidates["doc_features"], slates)
    interest = before.observation["user"]["interest"]
    probs = click_probabilities(2.0 - np.linalg.norm(interest[:, None] - features, axis=-1))
    time = (gathered(candidates["doc_length"], slates)
            / (1.0 + np.exp(gathered(candidates["doc_quality"], slates))))
    return (probs[:, :-1] * time).sum(-1)


def eco_expected_reward(before, slates):
    """The ecosystem user's expected utility given its interest and the slate."""
    features = gathered(before.observation["candidates"]["doc_features"], slates)
    interest = before.observation["user"]["user_interests"]
    affinity = 2.0 - np.linalg.norm(interest[:, None] - features, axis=-1)
    probs = click_probabilities(affinity)  # No-click is impossible: its logit is -inf.
    probs = probs[:, :-1] / probs[:, :-1].sum(-1, keepdims=True)
    return (probs * affinity).sum(-1)


APPS = {"interest_evolution": (ie_network, interest_evolution.AGENT_SLATE_FIELDS,
                               IE_DOCS, IE_SLATE),
        "ecosystem": (eco_network, ecosystem_simulation.AGENT_SLATE_FIELDS,
                      ECO_DOCS_PER_PROVIDER * len(PROVIDERS), ECO_SLATE)}


@pytest.mark.parametrize("app", sorted(APPS))
def test_agent_network_is_a_valid_environment(app):
    network_fn, fields, num_docs, slate_size = APPS[app]
    env = environment(network_fn(), fields)
    assert env.batch_size == USERS
    action_spec = env.action_spec()
    assert (action_spec.shape, action_spec.dtype) == ([slate_size], tf.int32)
    assert (np.min(action_spec.minimum), np.max(action_spec.maximum)) == (0, num_docs - 1)
    observation_spec = env.observation_spec()
    assert set(observation_spec["candidates"]) == set(fields.candidates)
    assert all(spec.shape[0] == num_docs for spec in observation_spec["candidates"].values())
    assert observation_spec["response"]["choice"].maximum == slate_size  # slate_size: none.
    # Each episode: STEPS steps, then the step that starts the next one.
    assert validate_environment(env, episodes=2) == 2 * (STEPS + 1)


def test_interest_evolution_reward_is_the_consumed_time_of_the_fed_slate(envs):
    env = envs["interest_evolution"]
    steps = episode(env, random_policy(env))
    residuals = []
    for before, slates, after in steps:
        response, candidates = after.observation["response"], before.observation["candidates"]
        choice = response["choice"]
        clicked = choice < IE_SLATE
        chosen = slates[np.arange(USERS), np.minimum(choice, IE_SLATE - 1)][:, None]
        time = (gathered(candidates["doc_length"], chosen)
                / (1 + np.exp(gathered(candidates["doc_quality"], chosen))))[:, 0]
        np.testing.assert_allclose(response["consumed_time"], np.where(clicked, time, -1.0),
                                   rtol=1e-5)
        np.testing.assert_allclose(after.reward, np.maximum(response["consumed_time"], 0.0))
        residuals.append(after.reward - ie_expected_reward(before, slates))
    assert 0 < np.mean([after.reward for _, _, after in steps]) < 2.0
    residuals = np.concatenate(residuals)
    assert abs(residuals.mean()) < 3 * residuals.std() / np.sqrt(residuals.size)


def test_ecosystem_reward_is_the_utility_of_this_steps_choice(envs):
    env = envs["ecosystem"]
    steps = episode(env, random_policy(env))
    # Given the choice, the utility is the chosen document's affinity plus N(0, 1) noise.
    noise = []
    for before, slates, after in steps:
        chosen = gathered(before.observation["candidates"]["doc_features"], slates)[
            np.arange(USERS), after.observation["response"]["choice"]]
        affinity = 2.0 - np.linalg.norm(before.observation["user"]["user_interests"] - chosen,
                                        axis=-1)
        noise.append(after.reward - affinity)
    noise = np.concatenate(noise)
    assert abs(noise.mean()) < 3 / np.sqrt(noise.size)
    assert abs(noise.std() - 1.0) < 3 / np.sqrt(2 * (noise.size - 1))
    # Averaged over the choice: the mean reward is the expected utility of the fed slates.
    residuals = np.concatenate([after.reward - eco_expected_reward(before, slates)
                                for before, slates, after in steps])
    assert abs(residuals.mean()) < 3 * residuals.std() / np.sqrt(residuals.size)
    candidates = [before.observation["candidates"]["doc_features"][0] for before, _, _ in steps]
    assert not np.allclose(candidates[0], candidates[1])  # Fresh documents every step.


@pytest.mark.parametrize("app", ["interest_evolution", "ecosystem"])
def test_knowing_the_interests_beats_random_slates(app, envs):
    env = envs[app]
    slate_size, interest = {"interest_evolution": (IE_SLATE, "interest"),
                            "ecosystem": (ECO_SLATE, "user_interests")}[app]

    def returns(policy):
        return np.sum([after.reward for _, _, after in episode(env, policy)], axis=0)

    # The same users (episode 0 of the seed) under both policies: paired per-user differences.
    gain = returns(nearest_documents(slate_size, interest)) - returns(random_policy(env))
    assert gain.mean() > 3 * gain.std(ddof=1) / np.sqrt(USERS)


@pytest.mark.parametrize("app", sorted(APPS))
@pytest.mark.parametrize("slate_of", [lambda docs, k: [0] * k,
                                      lambda docs, k: list(range(k - 1)) + [docs]],
                         ids=["repeated", "out_of_range"])
def test_bad_slate_is_refused(app, slate_of, envs):
    env = envs[app]
    _, _, num_docs, slate_size = APPS[app]
    env.seed(0)
    before = env.current_time_step()
    slates = tf.constant([list(range(slate_size))] * (USERS - 1) + [slate_of(num_docs, slate_size)],
                         tf.int32)
    with pytest.raises(ValueError, match=rf"action variable 'slate'.*users \[{USERS - 1}\]"):
        env.step(slates)
    tf.nest.map_structure(np.testing.assert_array_equal, env.current_time_step(), before)


def test_interest_evolution_agent_sees_the_consumption_history():
    env = environment(ie_network(), interest_evolution.AGENT_SLATE_FIELDS)
    user_spec = env.observation_spec()["user"]
    history_spec = user_spec["doc_history"]
    assert (history_spec.shape, history_spec.dtype) == ([IE_HISTORY], tf.int32)
    assert (np.min(history_spec.minimum), np.max(history_spec.maximum)) == (0, IE_DOCS)
    assert user_spec["ctime_history"].dtype == tf.float32
    # The ids are one-hot encoded: a slot per id and the empty slot 0, then the times.
    assert SlateFeatures(env.observation_spec()).user_dim == IE_HISTORY * (IE_DOCS + 2)
    policy = random_policy(env)
    steps = episode(env, policy)
    start = steps[0][0].observation["user"]
    assert not start["doc_history"].any() and not start["ctime_history"].any()
    users = np.arange(USERS)
    for before, slates, after in steps:
        previous, history = before.observation["user"], after.observation["user"]
        response = after.observation["response"]
        clicked = (response["choice"] < IE_SLATE)[:, None]
        position = np.minimum(response["choice"], IE_SLATE - 1)
        clicked_id = before.observation["candidates"]["doc_id"][users, slates[users, position]]
        for name, latest in (("doc_history", clicked_id),
                             ("ctime_history", response["consumed_time"])):
            shifted = np.concatenate([previous[name][:, 1:], latest[:, None]], axis=1)
            np.testing.assert_array_equal(history[name], np.where(clicked, shifted,
                                                                  previous[name]))
    assert steps[-1][2].observation["user"]["doc_history"].all()  # Every slot filled by then.
    # A user's next episode starts with an empty history.
    restarted = env.step(policy(steps[-1][2]))
    assert np.all(restarted.step_type.numpy() == StepType.FIRST)
    assert not np.any([tensor.numpy() for tensor in restarted.observation["user"].values()])
