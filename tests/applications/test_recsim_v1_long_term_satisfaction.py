"""RecSim v1 long-term satisfaction: v1's formulas on hand-built states, random-policy return."""

import math

import numpy as np
import tensorflow as tf

from recsim_ng.applications.recsim_v1 import LongTermSatisfaction, long_term_satisfaction
from recsim_ng.core import Value
from recsim_ng.lib.runtime import TFRuntime

ENV = LongTermSatisfaction(num_users=2, num_candidates=3, slate_size=2, resample_documents=True,
                           shared_candidates=False)
DOCUMENTS = Value(clickbait=tf.constant([[0.1, 0.9, 0.5], [0.3, 0.7, 0.2]]))
SLATE = tf.constant([[1, 0], [2, 1]])
USER = Value(innovation=tf.zeros([2]), net_positive_exposure=tf.constant([1.0, -1.5]),
             satisfaction=tf.sigmoid(0.01 * tf.constant([1.0, -1.5])),
             budget=tf.constant([10.0, 1.0]))


def test_the_user_clicks_position_0_with_v1s_engagement():
    response = ENV.response(USER, DOCUMENTS, SLATE, tf.constant([True, False]))
    np.testing.assert_array_equal(response.get("choice"), [0, 2])
    np.testing.assert_array_equal(response.get("click"), [[1, 0], [0, 0]])
    law = response.get("log_engagement")
    sat = 1 / (1 + math.exp(-0.01))
    np.testing.assert_allclose(law.mean()[0], (5 * 0.9 + 4 * 0.1) * sat, rtol=1e-6)
    np.testing.assert_allclose(law.stddev()[0], 1.0, rtol=1e-6)
    engagement = response.get("engagement")(tf.constant([5.0, 1.0])).numpy()
    np.testing.assert_allclose(engagement, [[100.0, 0.0], [0.0, 0.0]])  # Observation clipped.
    reward = ENV.reward(Value(choice=tf.constant([0, 2]), log_engagement=tf.constant([5.0, 1.0])))
    np.testing.assert_allclose(reward, [math.exp(5.0), 0.0], rtol=1e-6)  # Reward unclipped.


def test_clickbait_lowers_net_positive_exposure_as_in_v1s_code():
    user = ENV.next_user(USER, DOCUMENTS, SLATE, Value(), tf.constant([True, True]))
    exposure = user.get("net_positive_exposure")(tf.constant([0.02, -0.01])).numpy()
    np.testing.assert_allclose(exposure, [0.7 * 1.0 - 2 * (0.9 - 0.5) + 0.02,
                                          0.7 * -1.5 - 2 * (0.2 - 0.5) - 0.01], rtol=1e-6)
    np.testing.assert_allclose(user.get("innovation").stddev(), 0.05, rtol=1e-6)
    np.testing.assert_allclose(user.get("budget"), [9.0, 0.0])
    assert list(ENV.terminal(Value(budget=user.get("budget"))).numpy()) == [False, True]


def _v1_random_policy_returns(num_users: int, rng: np.random.Generator) -> np.ndarray:
    """Returns of v1's dynamics, written from the reference in NumPy, under random slates."""
    exposure = (rng.uniform(size=num_users) - 0.5) / 0.3
    returns = np.zeros(num_users)
    for _ in range(60):
        clickbait = rng.uniform(size=num_users)  # Position 0 of a random slate of fresh docs.
        satisfaction = 1 / (1 + np.exp(-0.01 * exposure))
        returns += np.exp(rng.normal((5 * clickbait + 4 * (1 - clickbait)) * satisfaction, 1.0))
        exposure = 0.7 * exposure - 2 * (clickbait - 0.5) + rng.normal(0, 0.05, num_users)
    return returns


def test_random_slates_get_the_return_of_v1s_formulas():
    """Random slates, 4,000 users of 60 steps (seed 5): mean return 948.5 +- 4.9 (95%); a NumPy
    run of v1's formulas with 100,000 users: 948.8 +- 1.0. SAT stays in [0.49, 0.51], which
    bounds the mean return by 60 E_c[exp((4 + c) SAT + 1/2)] at SAT = 0.49 and 0.51:
    [906.3, 992.4]."""
    users = 4000
    final = TFRuntime(long_term_satisfaction(users, uniform_random_slate=True)).execute(
        62, seed=5)["reward"]
    np.testing.assert_array_equal(final.get("episode_length"), 60)
    returns = final.get("episode_return").numpy().astype(np.float64)
    assert np.isfinite(returns).all()
    mean, se = returns.mean(), returns.std() / math.sqrt(users)

    def bound(sat):
        return 60 * math.exp(4 * sat + 0.5) * (math.exp(sat) - 1) / sat

    assert bound(0.49) < mean < bound(0.51), mean
    reference = _v1_random_policy_returns(100_000, np.random.default_rng(0))
    reference_se = reference.std() / math.sqrt(len(reference))
    assert abs(mean - reference.mean()) < 1.96 * math.hypot(se, reference_se), (
        f"mean return {mean:.1f} +- {1.96 * se:.1f} (95%) vs v1's formulas"
        f" {reference.mean():.1f} +- {1.96 * reference_se:.1f}")


def _runs(v1_fixed_seed: bool, seeds=(1, 2), steps: int = 5) -> list:
    network = long_term_satisfaction(6, uniform_random_slate=True, v1_fixed_seed=v1_fixed_seed)
    return [TFRuntime(network).trajectory(steps, seed=seed) for seed in seeds]


def test_v1_fixed_seed_fixes_users_and_documents_but_not_engagement():
    """v1's `create_environment` draws users and documents from seed 0 whatever its seed."""
    first, second = _runs(v1_fixed_seed=True)
    exposure = [run["user_state"].get("net_positive_exposure").numpy() for run in (first, second)]
    np.testing.assert_array_equal(exposure[0][0], exposure[1][0])  # Initial users.
    clickbait = [run["documents"].get("clickbait").numpy() for run in (first, second)]
    np.testing.assert_array_equal(clickbait[0], clickbait[1])  # Documents at every step.
    assert all(not np.array_equal(clickbait[0][t], clickbait[0][t + 1]) for t in range(4))
    assert len(np.unique(exposure[0][0])) == 6  # Users differ from each other.
    np.testing.assert_array_equal(first["documents"].get("draw"), np.arange(5))
    engagement = [run["response"].get("log_engagement").numpy()[1:] for run in (first, second)]
    assert (engagement[0] != engagement[1]).all()
    assert not np.array_equal(first["slate"].get("slate"), second["slate"].get("slate"))

    default = _runs(v1_fixed_seed=False)
    assert "draw" not in default[0]["documents"]
    assert not np.array_equal(*(run["user_state"].get("net_positive_exposure")[0]
                                for run in default))
    for step in range(5):
        assert not np.array_equal(*(run["documents"].get("clickbait")[step] for run in default))


def test_v1_fixed_seed_keeps_unresampled_documents():
    network = long_term_satisfaction(3, resample_documents=False, uniform_random_slate=True,
                                     v1_fixed_seed=True)
    runs = [TFRuntime(network).trajectory(3, seed=seed)["documents"] for seed in (4, 5)]
    clickbait = runs[0].get("clickbait").numpy()
    np.testing.assert_array_equal(clickbait[0], clickbait[2])  # Drawn once, then kept.
    np.testing.assert_array_equal(clickbait, runs[1].get("clickbait"))  # Whatever the seed.
    np.testing.assert_array_equal(runs[0].get("draw"), [0, 0, 0])
