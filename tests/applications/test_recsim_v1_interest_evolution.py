"""RecSim v1 interest evolution: v1's formulas on hand-built states, and the SlateQ statistic."""

import math

import numpy as np
import tensorflow as tf

from recsim_ng.applications.recsim_v1 import InterestEvolution, interest_evolution
from recsim_ng.applications.recsim_v1.interest_evolution import cluster_quality_means
from recsim_ng.core import Value
from recsim_ng.lib.runtime import TFRuntime

ENV = InterestEvolution(num_users=2, num_candidates=4, slate_size=2, resample_documents=True,
                        shared_candidates=False)
INTERESTS = np.linspace(-0.95, 0.95, 40, dtype=np.float32).reshape(2, 20)
DOCUMENTS = Value(cluster_id=tf.constant([[3, 7, 11, 19], [0, 5, 5, 18]]),
                  quality=tf.constant([[-2.0, 1.0, 2.0, 3.0], [-3.0, 0.5, 0.5, 2.5]]))
SLATE = tf.constant([[0, 2], [3, 1]])


def _user(budget=(100.0, 2.5)):
    return Value(direction=tf.zeros([2], tf.int32), interests=tf.constant(INTERESTS),
                 budget=tf.constant(budget))


def test_cluster_quality_means_are_v1s():
    expected = [-3 + 3 * c / 13 for c in range(14)] + [3 * (c - 14) / 5 for c in range(14, 20)]
    np.testing.assert_allclose(cluster_quality_means(), expected, atol=1e-6)
    np.testing.assert_allclose(np.mean(expected), -0.6, atol=1e-6)


def test_choice_probabilities_are_v1s_proportional_model():
    probs = ENV.response(_user(), DOCUMENTS, SLATE, tf.constant([True, True])).get("choice").probs
    for user, clusters in enumerate([(3, 11), (18, 5)]):
        shifted = [INTERESTS[user, c] + 1.0 for c in clusters]  # u_c - (-1)
        total = sum(shifted) + 2.0  # no-click mass 1 - (-1)
        np.testing.assert_allclose(probs[user], [*(s / total for s in shifted), 2.0 / total],
                                   rtol=1e-6)


def test_done_users_click_nothing():
    active = tf.constant([True, False])
    probs = ENV.response(_user(), DOCUMENTS, SLATE, active).get("choice").probs
    np.testing.assert_array_equal(probs[1], [0.0, 0.0, 1.0])


def test_a_click_moves_the_clicked_interest_and_spends_the_budget_as_v1():
    # User 0 clicks slot 1 (cluster 11, quality 2); user 1 clicks nothing.
    choice = tf.constant([1, 2])
    click = tf.one_hot(choice, 2, dtype=tf.int32)
    watch = tf.cast(click, tf.float32) * tf.constant([[4.0], [2.5]])
    response = Value(choice=choice, click=click, watch_time=watch)
    user = ENV.next_user(_user(), DOCUMENTS, SLATE, response, tf.constant([True, True]))
    u = INTERESTS[0, 11]
    np.testing.assert_allclose(user.get("direction").probs[0], (u + 1) / 2, rtol=1e-6)
    step = (0.3 - 0.3 * abs(u)) * (1 - u)
    for direction, sign in ((1, 1.0), (0, -1.0)):
        interests = user.get("interests")(tf.constant([direction, direction])).numpy()
        expected = INTERESTS.copy()
        expected[0, 11] = np.clip(u + sign * step, -1, 1)
        np.testing.assert_allclose(interests, expected, rtol=1e-6)
    np.testing.assert_allclose(user.get("budget"), [100.0 - 4.0 * (1 - 0.9 / 3.4 * 2.0), 2.0],
                               rtol=1e-6)


def test_random_slates_reproduce_the_reference_return_of_section_2_4():
    """v1, N = 10, k = 3, uniform random slates, 2,000 episodes: mean return 160.5 +- 0.5 (95%),
    mean length 70.9. Here 4,000 users (seed 11) give 160.27 +- 0.37 (95%), length 70.83 +- 0.28;
    the test allows the 95% half-width of the difference of the two means."""
    users = 4000
    final = TFRuntime(interest_evolution(users, 10, 3, uniform_random_slate=True)).execute(
        160, seed=11)["reward"]
    assert final.get("done").numpy().all()
    returns = final.get("episode_return").numpy().astype(np.float64)
    lengths = final.get("episode_length").numpy().astype(np.float64)
    se, reference_se = returns.std() / math.sqrt(users), 0.5 / 1.96
    tolerance = 1.96 * math.hypot(se, reference_se)
    assert abs(returns.mean() - 160.5) < tolerance, (
        f"mean return {returns.mean():.2f} +- {1.96 * se:.2f} (95%) vs 160.5 +- 0.5")
    length_se = lengths.std() * math.hypot(1 / math.sqrt(users), 1 / math.sqrt(2000))
    assert abs(lengths.mean() - 70.9) < 1.96 * length_se + 0.05, lengths.mean()
