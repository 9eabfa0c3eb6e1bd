"""`RandomSlatePolicy`: v1's `RandomAgent` as a TF-Agents policy with stateless seeds."""

from __future__ import annotations

import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step, time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.rl.agents.slate_spec import slate_shape


class RandomSlatePolicy(tf_policy.TFPolicy):
    """A uniformly random ordered slate of distinct candidates for every user (batch row).

    The action spec is a bounded int spec `[slate_size]` over candidates `minimum..maximum`.
    Each call samples with a stateless seed: the `seed` passed to `action` (an int or a shape-[2]
    integer tensor) if given, else `fold_in(seed, n)` for the policy's n-th unseeded call.
    """

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 seed: seeds.Seed = 0):
        self._shape = slate_shape(action_spec)
        self._seed = seeds.as_seed(seed)
        self._calls = tf.Variable(0, dtype=tf.int32, trainable=False)
        super().__init__(time_step_spec, action_spec)

    def _variables(self) -> list[tf.Variable]:
        return []

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        if seed is None:
            seed = seeds.fold_in(self._seed, self._calls.assign_add(1) - 1)
        minimum, num_candidates, slate_size = self._shape
        batch = tf.shape(time_step.step_type)[0]
        keys = tf.random.stateless_uniform([batch, num_candidates], seeds.as_seed(seed))
        # The top k of i.i.d. uniform keys is a uniformly random ordered k-subset.
        slate = tf.math.top_k(keys, slate_size, sorted=True).indices + minimum
        return policy_step.PolicyStep(tf.cast(slate, self.action_spec.dtype), policy_state, ())

    def _distribution(self, time_step: ts.TimeStep,
                      policy_state: types.NestedTensorSpec) -> policy_step.PolicyStep:
        raise NotImplementedError("RandomSlatePolicy samples slates directly; use `action`")
