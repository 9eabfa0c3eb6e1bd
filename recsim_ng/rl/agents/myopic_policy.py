"""`MyopicPolicy`: the slate that greedily maximises a one-step score of the slate, e.g. the click
probability the choice model predicts from the observation (v1's `GreedyPCTRAgent`).

The scores of the RecSim v1 environments are in the RecSim v1 port's `myopic_scores` module.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.typing import types

from recsim_ng.rl.agents.slate_policy import DeterministicSlatePolicy

# (observation, slates [B, M, j] of candidate indices) -> a score to maximise [B, M].
SlateScore = Callable[[types.NestedTensor, tf.Tensor], tf.Tensor]
# A `SlateScore` that is P(some click | slate).
ClickProbability = SlateScore


class MyopicPolicy(DeterministicSlatePolicy):
    """Builds each user's slate position by position, adding the candidate that maximises the
    slate's score (e.g. its predicted click probability) given the candidates already chosen.

    `slate_score` scores candidate slates of indices `0..N-1` (N candidates). Ties go to the
    lower candidate index.
    """

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 slate_score: SlateScore):
        self._slate_score = slate_score
        super().__init__(time_step_spec, action_spec)

    def slate(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
              ) -> tuple[tf.Tensor, types.NestedTensor]:
        num_candidates = self.num_candidates
        batch = tf.shape(time_step.step_type)[0]
        candidates = tf.tile(tf.range(num_candidates)[tf.newaxis, :, tf.newaxis], [batch, 1, 1])
        chosen = tf.zeros([batch, 0], tf.int32)
        taken = tf.zeros([batch, num_candidates], tf.bool)
        for _ in range(self.slate_size):
            prefix = tf.tile(chosen[:, tf.newaxis], [1, num_candidates, 1])
            scores = self._slate_score(time_step.observation, tf.concat([prefix, candidates], -1))
            best = tf.argmax(tf.where(taken, -np.inf, scores), axis=-1, output_type=tf.int32)
            chosen = tf.concat([chosen, best[:, tf.newaxis]], -1)
            taken |= tf.one_hot(best, num_candidates, on_value=True, off_value=False)
        return chosen, policy_state
