"""`MyopicPolicy`: the slate that greedily maximises the click probability the choice model
predicts from the observation (v1's `GreedyPCTRAgent`).

For interest evolution the observation holds everything v1's own choice model needs: `user` is
the user's true interest vector u (v1's `IEvUserState.create_observation`) and each candidate's
`doc` is the one-hot of its cluster c, so a candidate's score is u_c. Quality is not observed and
not used. With v1's multinomial proportional model, P(click | slate) = S / (S + 2) with
S = sum_i (u_{c_i} + 1), so greedy selection takes the candidates with the highest u_c, best first,
exactly as GreedyPCTR ranks by score (ties go to the lower candidate index).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step, time_step as ts
from tf_agents.typing import types

from recsim_ng.applications.recsim_v1.interest_evolution import InterestEvolution
from recsim_ng.rl.agents.slate_spec import slate_shape

# (observation, slates [B, M, j] of candidate indices) -> P(some click) [B, M].
ClickProbability = Callable[[types.NestedTensor, tf.Tensor], tf.Tensor]


class MyopicPolicy(tf_policy.TFPolicy):
    """Builds each user's slate position by position, adding the candidate that maximises the
    slate's predicted click probability given the candidates already chosen.

    The action spec is a bounded int spec `[slate_size]` over candidates `minimum..maximum`;
    `click_probability` scores candidate slates of indices `0..N-1` (N candidates).
    """

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 click_probability: ClickProbability):
        self._shape = slate_shape(action_spec)
        self._click_probability = click_probability
        super().__init__(time_step_spec, action_spec)

    def _variables(self) -> list[tf.Variable]:
        return []

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        minimum, num_candidates, slate_size = self._shape
        batch = tf.shape(time_step.step_type)[0]
        candidates = tf.tile(tf.range(num_candidates)[tf.newaxis, :, tf.newaxis], [batch, 1, 1])
        chosen = tf.zeros([batch, 0], tf.int32)
        taken = tf.zeros([batch, num_candidates], tf.bool)
        for _ in range(slate_size):
            prefix = tf.tile(chosen[:, tf.newaxis], [1, num_candidates, 1])
            probs = self._click_probability(time_step.observation,
                                            tf.concat([prefix, candidates], -1))
            best = tf.argmax(tf.where(taken, -np.inf, probs), axis=-1, output_type=tf.int32)
            chosen = tf.concat([chosen, best[:, tf.newaxis]], -1)
            taken |= tf.one_hot(best, num_candidates, on_value=True, off_value=False)
        action = tf.cast(chosen + minimum, self.action_spec.dtype)
        return policy_step.PolicyStep(action, policy_state, ())

    def _distribution(self, time_step: ts.TimeStep,
                      policy_state: types.NestedTensorSpec) -> policy_step.PolicyStep:
        raise NotImplementedError("MyopicPolicy is deterministic; use `action`")


def interest_evolution_click_probability(model: InterestEvolution) -> ClickProbability:
    """P(click) from `model.choice_probs`, reading the TF-Agents observation
    `{"observation": {"user": u, "doc": one-hot clusters}, ...}`."""

    def click_probability(observation: types.NestedTensor, slates: tf.Tensor) -> tf.Tensor:
        interests = observation["observation"]["user"]
        clusters = tf.argmax(observation["observation"]["doc"], axis=-1, output_type=tf.int32)
        slate_clusters = tf.gather(clusters, slates, batch_dims=1)  # [B, M, j]
        shape = tf.shape(slate_clusters)
        repeated = tf.repeat(interests, shape[1], axis=0)  # row b * M + m: user b
        flat = tf.reshape(slate_clusters, [shape[0] * shape[1], shape[2]])
        probs = model.choice_probs(repeated, flat)
        return tf.reshape(1.0 - probs[:, -1], shape[:2])

    return click_probability
