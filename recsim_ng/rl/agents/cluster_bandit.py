"""`ClusterBanditPolicy`: v1's `ClusterClickStatsLayer(ClusterBanditAgent)` (UCB1 or Thompson
sampling over document clusters) as a TF-Agents policy, batched over users.

Faithful to v1 (`agents/layers/cluster_click_statistics.py`, `abstract_click_bandit.py`,
`agents/cluster_bandit_agent.py`, `agents/bandits/algorithms.py`):
- per-user statistics, zero at the first step of an episode; afterwards every item of the latest
  response adds 1 to its cluster's impressions and its click to the cluster's clicks;
- each step the arms (clusters) are scored from pulls = impressions, rewards = clicks, t = total
  impressions: UCB1 mean + c sqrt(2 ln t / n), Thompson a draw from
  Beta(1 + S / c^2, 1 + (n - S) / c^2), c = `ci_scaling`; while any arm of a user is unpulled,
  that user's scores are -pulls instead (least shown first);
- clusters are visited in descending score, ties to the higher cluster index (v1's argsort popped
  from the end); within a cluster the candidates go in descending observed quality
  (`GreedyClusterAgent`); the concatenation is cut to the slate size.

Deviations:
- v1 builds its Thompson sampler every step with the same `random_seed`, so its draw is a
  deterministic function of the counts. Here every `action` call draws afresh from the stateless
  `seed` it is given (independently per user), or without one from the policy's own stateless
  sequence.
- Candidates of equal quality within a cluster go in ascending candidate index (a stable sort);
  v1's order for exact quality ties is whatever its argsort gives.
- The number of clusters is the observation spec's `cluster_id` maximum + 1 (v1: `Discrete.n`).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import policy_step, time_step as ts
from tf_agents.typing import types

from recsim_ng.core import Value
from recsim_ng.entities.bandits.arm_counts import empirical_means, exploration_budgets
from recsim_ng.lib import seeds
from recsim_ng.lib.checks import check_finite
from recsim_ng.rl.agents.slate_policy import SlatePolicy, point_slate
from recsim_ng.rl.slate_observation import CANDIDATES, RESPONSE

tfd = tfp.distributions

ALGORITHMS = ("ucb1", "thompson")


def update_cluster_statistics(statistics: types.NestedTensor, first: tf.Tensor,
                              response_clusters: tf.Tensor,
                              response_clicks: tf.Tensor) -> dict[str, tf.Tensor]:
    """v1's `ClusterClickStatsLayer` update: zero where `first` [B], else add the response's
    impressions (one per slate item, [B, k] cluster ids) and clicks per cluster."""
    num_clusters = statistics["impressions"].shape[-1]
    shown = tf.one_hot(response_clusters, num_clusters, dtype=tf.float32)  # [B, k, C]
    clicked = tf.cast(response_clicks, tf.float32)[..., tf.newaxis]
    keep = tf.cast(~first, tf.float32)[:, tf.newaxis]
    return {"impressions": keep * (statistics["impressions"] + tf.reduce_sum(shown, axis=1)),
            "clicks": keep * (statistics["clicks"] + tf.reduce_sum(shown * clicked, axis=1))}


def ucb1_scores(statistics: Value, ci_scaling: float = 1.0) -> tf.Tensor:
    """v1's UCB1 index mean + c sqrt(2 ln t / n) per arm ([B, C]; unpulled arms: mean 0, no
    bonus, as `cluster_scores` replaces them anyway)."""
    return empirical_means(statistics) + ci_scaling * tf.sqrt(2.0 * exploration_budgets(statistics))


def thompson_scores(statistics: Value, seed: tf.Tensor, ci_scaling: float = 1.0) -> tf.Tensor:
    """v1's Thompson draw from Beta(1 + S / c^2, 1 + (n - S) / c^2) per arm, stateless `seed`."""
    pulls, clicks = statistics.get("pulls"), statistics.get("reward_sums")
    scale = 1.0 / ci_scaling**2
    return tfd.Beta(1.0 + clicks * scale, 1.0 + (pulls - clicks) * scale).sample(seed=seed)


def cluster_scores(statistics: Value, scores: tf.Tensor) -> tf.Tensor:
    """v1's rule: a user's scores are -pulls while any of that user's arms is unpulled."""
    pulls = statistics.get("pulls")
    any_unpulled = tf.reduce_any(pulls == 0.0, axis=-1, keepdims=True)
    return tf.where(any_unpulled, -pulls, scores)


def cluster_slates(scores: tf.Tensor, clusters: tf.Tensor, quality: tf.Tensor,
                   slate_size: int) -> tf.Tensor:
    """Candidate indices [B, k]: clusters by descending score (ties: higher cluster first), and
    within a cluster by descending quality (ties: lower candidate first)."""
    num_clusters = scores.shape[-1]
    # Sorting the reversed clusters stably puts the higher index first among equal scores.
    order = num_clusters - 1 - tf.argsort(tf.reverse(scores, [-1]), axis=-1,
                                          direction="DESCENDING", stable=True)
    rank = tf.argsort(order, axis=-1, stable=True)  # each cluster's visiting position
    by_quality = tf.argsort(quality, axis=-1, direction="DESCENDING", stable=True)
    candidate_rank = tf.gather(tf.gather(rank, clusters, batch_dims=1), by_quality, batch_dims=1)
    # A stable sort by cluster rank keeps the quality order within each cluster.
    by_cluster = tf.argsort(candidate_rank, axis=-1, stable=True)
    return tf.gather(by_quality, by_cluster, batch_dims=1)[:, :slate_size]


class ClusterBanditPolicy(SlatePolicy):
    """v1's cluster bandit agent: a UCB1 or Thompson bandit over document clusters whose arm
    slates are the cluster's candidates by observed quality (see the module docstring).

    The observation follows the slate contract, with candidate features `quality` and
    `cluster_id` [B, N] and response fields `click` and `cluster_id` [B, k] (as in v1's interest
    exploration). The policy state holds per-user `impressions` and `clicks` per cluster
    [B, C], zero initially. UCB1's distribution is a point mass; Thompson sampling's has no
    closed form (`distribution` refuses), and `action` draws it from a stateless seed (see
    `SlatePolicy`).
    """

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 algorithm: str = "ucb1", ci_scaling: float = 1.0, seed: seeds.Seed = 0):
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
        self._algorithm = algorithm
        self._ci_scaling = float(check_finite("ci_scaling", ci_scaling, low=0.0, low_open=True))
        cluster_spec = time_step_spec.observation[CANDIDATES]["cluster_id"]
        self._num_clusters = int(np.max(cluster_spec.maximum)) + 1
        stats_spec = tensor_spec.TensorSpec([self._num_clusters], tf.float32)
        super().__init__(time_step_spec, action_spec, seed,
                         policy_state_spec={"impressions": stats_spec, "clicks": stats_spec})

    @property
    def num_clusters(self) -> int:
        """The number of clusters (bandit arms)."""
        return self._num_clusters

    def slate_distribution(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
                           ) -> tuple[tfd.Distribution, types.NestedTensor]:
        if self._algorithm == "thompson":
            raise NotImplementedError("Thompson sampling's slate distribution has no closed form;"
                                      " use `action`")
        slate, state = self._choose(time_step, policy_state, None)
        return point_slate(slate), state

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        if self._algorithm == "thompson":
            seed = self.stateless_seed(seed)
        slate, state = self._choose(time_step, policy_state, seed)
        return policy_step.PolicyStep(tf.cast(slate, self.action_spec.dtype), state, ())

    def _choose(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: tf.Tensor | None) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """Each user's slate and the updated statistics."""
        observation = time_step.observation
        response = observation[RESPONSE]
        state = update_cluster_statistics(policy_state, time_step.is_first(),
                                          response["cluster_id"], response["click"])
        statistics = Value(pulls=state["impressions"], reward_sums=state["clicks"])
        if self._algorithm == "ucb1":
            scores = ucb1_scores(statistics, self._ci_scaling)
        else:
            scores = thompson_scores(statistics, seed, self._ci_scaling)
        candidates = observation[CANDIDATES]
        slate = cluster_slates(cluster_scores(statistics, scores),
                               tf.cast(candidates["cluster_id"], tf.int32),
                               candidates["quality"], self.slate_size)
        return slate, state
