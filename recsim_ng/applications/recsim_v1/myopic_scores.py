"""Myopic scores of the RecSim v1 environments, for `recsim_ng.rl.agents.MyopicPolicy`
(and SlateQ's choice model):

- interest evolution (`interest_evolution_click_probability`): the observation holds everything
  v1's own choice model needs: `user` is the user's true interest vector u (v1's
  `IEvUserState.create_observation`) and each candidate's `doc` is the one-hot of its cluster c,
  so a candidate's score is u_c. Quality is not observed and not used. With v1's multinomial
  proportional model, P(click | slate) = S / (S + 2) with S = sum_i (u_{c_i} + 1), so greedy
  selection takes the candidates with the highest u_c, best first, exactly as GreedyPCTR ranks by
  score (ties go to the lower candidate index).
- interest exploration (`interest_exploration_click_probability`): the user's affinities are
  hidden, so, as v1's GreedyPCTRAgent with `user_model.avg_user_state`, the multinomial logit
  model (no-click logit 5) is evaluated at v1's average user, whose affinity for topic t is
  sum_type P(type) M[type, t] = (0.52, 0.28) (`V1_AVERAGE_AFFINITY`). That is the mixture mean of
  the log-normals' *log*-means; the true mean affinity sum_type P(type) exp(M[type, t] +
  S[type, t]^2 / 2) is about (1.75, 1.38). P(click | slate) = sum over the
  slate of softmax(scores, 5) with score avg_affinity[cluster] + quality, so greedy selection
  ranks candidates by avg_affinity[cluster] + quality, best first, as GreedyPCTR does.
- long-term satisfaction (`long_term_satisfaction_immediate_reward`): the user always clicks
  position 0, so P(click) is 1 for every slate. The myopic policy instead maximises the expected
  immediate reward E[exp(X)] = exp(mu + sigma^2 / 2) of the position-0 document, X ~ N((5c +
  4(1 - c)) SAT, sigma(c)^2), at the prior-mean satisfaction (the user state is hidden): SAT_0 =
  sigmoid(s NPE_0) with NPE_0 uniform and symmetric about 0, and sigmoid(x) - 1/2 is odd, so
  E[SAT_0] = 1/2 exactly, whatever the sensitivity s. The score increases with clickbait c, so
  the myopic slate puts the most clickbaity candidate first (later positions are never clicked;
  they get the remaining candidates in index order).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import tensorflow as tf
from tf_agents.typing import types

from recsim_ng.applications.recsim_v1.interest_exploration import (
    USER_AFFINITY_MEAN, USER_TYPE_DISTRIBUTION, InterestExploration)
from recsim_ng.applications.recsim_v1.interest_evolution import InterestEvolution
from recsim_ng.applications.recsim_v1.long_term_satisfaction import LongTermSatisfaction
from recsim_ng.rl.agents.myopic_policy import ClickProbability, SlateScore
from recsim_ng.rl.slate_observation import CANDIDATES, USER

_TYPE_PROBS = np.array(USER_TYPE_DISTRIBUTION)
_AFFINITY_MEAN = np.array(USER_AFFINITY_MEAN)
# v1's `IEUserModel.avg_user_state`: the type mixture of the affinities' log-means, (0.52, 0.28).
V1_AVERAGE_AFFINITY: tuple[float, ...] = tuple((_TYPE_PROBS @ _AFFINITY_MEAN).tolist())
# The prior mean of long-term satisfaction's hidden SAT_0 = sigmoid(s NPE_0), NPE_0 ~ U(-a, a).
PRIOR_MEAN_SATISFACTION = 0.5


def _click_probability(user: tf.Tensor, doc_features: Sequence[tf.Tensor], slates: tf.Tensor,
                       choice_probs: Callable[..., tf.Tensor]) -> tf.Tensor:
    """`[B, M]`: 1 - P(no click) of each slate, from `choice_probs(user rows, *slate features)`
    (`[R, j + 1]`, no click last) on the `B * M` slates flattened to rows (row b * M + m: user b,
    slate m). `doc_features` are `[B, N]` per candidate; `slates` are `[B, M, j]` indices."""
    shape = tf.shape(slates)
    rows = shape[0] * shape[1]
    flat = [tf.reshape(tf.gather(feature, slates, batch_dims=1), [rows, shape[2]])
            for feature in doc_features]
    probs = choice_probs(tf.repeat(user, shape[1], axis=0), *flat)
    return tf.reshape(1.0 - probs[:, -1], shape[:2])


def interest_evolution_click_probability(model: InterestEvolution) -> ClickProbability:
    """P(click) from `model.choice_probs`, reading the slate observation's `user["user"]`, the
    interests u, and `candidates["doc"]`, the one-hot clusters."""

    def click_probability(observation: types.NestedTensor, slates: tf.Tensor) -> tf.Tensor:
        interests = observation[USER]["user"]
        clusters = tf.argmax(observation[CANDIDATES]["doc"], axis=-1, output_type=tf.int32)
        return _click_probability(interests, [clusters], slates, model.choice_probs)

    return click_probability


def interest_exploration_click_probability(
        model: InterestExploration,
        affinity: Sequence[float] = V1_AVERAGE_AFFINITY) -> ClickProbability:
    """P(click) from `model`'s logit choice model (`choice_probs`) at the average user
    `affinity` (v1's `avg_user_state` by default), reading the candidate features `cluster_id`
    and `quality` (`[B, N]`) of the slate observation."""
    average = tf.constant([affinity], tf.float32)  # [1, clusters]

    def click_probability(observation: types.NestedTensor, slates: tf.Tensor) -> tf.Tensor:
        user = tf.tile(average, [tf.shape(slates)[0], 1])
        features = [observation[CANDIDATES][name] for name in ("cluster_id", "quality")]
        return _click_probability(user, features, slates, model.choice_probs)

    return click_probability


def long_term_satisfaction_immediate_reward(
        model: LongTermSatisfaction,
        satisfaction: float = PRIOR_MEAN_SATISFACTION) -> SlateScore:
    """E[reward | slate] = E[exp(X)] = exp(mu + sigma^2 / 2) for the position-0 document, with
    X ~ `model.engagement_distribution(satisfaction, clickbait)` (the user always clicks
    position 0), reading the slate observation's `candidates["doc"]`, `[B, N, 1]` clickbait. The hidden satisfaction is its prior mean, 1/2, by default."""

    def immediate_reward(observation: types.NestedTensor, slates: tf.Tensor) -> tf.Tensor:
        clickbait = observation[CANDIDATES]["doc"][..., 0]
        first = tf.gather(clickbait, slates[..., 0], batch_dims=1)  # [B, M]
        log_engagement = model.engagement_distribution(tf.constant(satisfaction), first)
        return tf.exp(log_engagement.mean() + log_engagement.variance() / 2.0)

    return immediate_reward
