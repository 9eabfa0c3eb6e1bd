"""RecSim v1 interest exploration: v1's logit choice on hand-built states, random-policy return."""

import math

import numpy as np
import tensorflow as tf

from recsim_ng.applications.recsim_v1 import InterestExploration, interest_exploration
from recsim_ng.core import Value
from recsim_ng.lib.runtime import TFRuntime

HORIZON = 100  # v1 never terminates; its runner caps episodes, here at 100 steps after reset.


def test_choice_probabilities_are_v1s_logit_model():
    env = InterestExploration(num_users=2, num_candidates=3, slate_size=2,
                              resample_documents=True, shared_candidates=True)
    affinity = np.array([[1.2, 2.1], [2.0, 0.9]], np.float32)
    user = Value(user_type=tf.constant([0, 1]), affinity=tf.constant(affinity))
    documents = Value(cluster_id=tf.constant([[0, 1, 1]]), quality=tf.constant([[2.3, 1.1, 1.4]]))
    slate = tf.constant([[2, 0], [1, 2]])
    probs = env.response(user, documents, slate, tf.constant([True, True])).get("choice").probs
    for u, items in enumerate([(2, 0), (1, 2)]):
        clusters, quality = [[0, 1, 1][i] for i in items], [[2.3, 1.1, 1.4][i] for i in items]
        weights = [math.exp(affinity[u, c] + q) for c, q in zip(clusters, quality)]
        total = sum(weights) + math.exp(5.0)
        np.testing.assert_allclose(probs[u], [*(w / total for w in weights),
                                              math.exp(5.0) / total], rtol=1e-5)


def _expected_click_probability(slate_size: int, num_samples: int = 400_000) -> tuple[float, float]:
    """E[P(click)] per step under v1's samplers and a random slate (Monte Carlo, seeded)."""
    rng = np.random.default_rng(0)
    user_type = rng.choice(2, size=num_samples, p=[0.3, 0.7])
    affinity = np.exp(rng.normal(np.array([[0.1, 0.7], [0.7, 0.1]])[user_type], 0.1))
    topic = rng.choice(2, size=(num_samples, slate_size), p=[0.2, 0.8])
    quality = np.exp(rng.normal(np.array([0.8, 0.2])[topic], 0.1))
    weights = np.exp(np.take_along_axis(affinity, topic, axis=1) + quality)
    probability = weights.sum(1) / (weights.sum(1) + math.exp(5.0))
    return probability.mean(), probability.std() / math.sqrt(num_samples)


def test_random_slates_get_the_click_rate_of_v1s_formulas():
    """Random slates of 2 from 10 candidates, 4,000 users over 100 steps (seed 3): mean return
    22.82 +- 0.16 (95%), a click rate of 0.2282; v1's formulas give 100 x 0.2289 = 22.89 (Monte
    Carlo, +- 0.0004 per step). Candidates are i.i.d., so the slate is two independent documents."""
    users = 4000
    final = TFRuntime(interest_exploration(users, uniform_random_slate=True)).execute(
        HORIZON, seed=3)["reward"]
    assert not final.get("done").numpy().any()
    np.testing.assert_array_equal(final.get("episode_length"), HORIZON)
    returns = final.get("episode_return").numpy().astype(np.float64)
    assert np.isfinite(returns).all()
    probability, mc_se = _expected_click_probability(2)
    se = returns.std() / math.sqrt(users)
    assert abs(returns.mean() - HORIZON * probability) < 1.96 * math.hypot(se, HORIZON * mc_se), (
        f"mean return {returns.mean():.3f} +- {1.96 * se:.3f} (95%) vs {HORIZON * probability:.3f}")
