"""Slate policies built from a slate function, and epsilon-greedy exploration around one."""

from __future__ import annotations

from typing import Callable

import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step, time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.rl.agents.random_policy import RandomSlatePolicy
from recsim_ng.rl.agents.slate_spec import slate_shape

# observation -> [B, k] int32 candidate indices 0..N-1
SlateFunction = Callable[[types.NestedTensor], tf.Tensor]


class SlateFunctionPolicy(tf_policy.TFPolicy):
    """The deterministic slate `slate_function(observation)` for every user."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 slate_function: SlateFunction, variables: tuple[tf.Variable, ...] = ()):
        self._minimum = slate_shape(action_spec).minimum
        self._slate_function = slate_function
        self._policy_variables = list(variables)
        super().__init__(time_step_spec, action_spec)

    def _variables(self) -> list[tf.Variable]:
        return self._policy_variables

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        slate = self._slate_function(time_step.observation) + self._minimum
        return policy_step.PolicyStep(tf.cast(slate, self.action_spec.dtype), policy_state, ())

    def _distribution(self, time_step: ts.TimeStep,
                      policy_state: types.NestedTensorSpec) -> policy_step.PolicyStep:
        raise NotImplementedError("a slate-function policy is deterministic; use `action`")


class EpsilonGreedySlatePolicy(tf_policy.TFPolicy):
    """`policy`'s slate, replaced by a uniformly random slate with probability `epsilon` per user.

    Needs the stateless `seed` passed to `action`.
    """

    def __init__(self, policy: tf_policy.TFPolicy, epsilon: float):
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
        self._greedy = policy
        self._random = RandomSlatePolicy(policy.time_step_spec, policy.action_spec)
        self._epsilon = epsilon
        super().__init__(policy.time_step_spec, policy.action_spec)

    def _variables(self) -> list[tf.Variable]:
        return self._greedy.variables()

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        if seed is None:
            raise ValueError("an epsilon-greedy policy needs the `seed` argument of `action`"
                             " (an int or a shape-[2] integer tensor)")
        seed = seeds.as_seed(seed)
        slate = self._greedy.action(time_step).action
        random = self._random.action(time_step, seed=seeds.fold_in(seed, 0)).action
        explore = tf.random.stateless_uniform(tf.shape(time_step.step_type),
                                              seeds.fold_in(seed, 1)) < self._epsilon
        return policy_step.PolicyStep(tf.where(explore[:, tf.newaxis], random, slate),
                                      policy_state, ())

    def _distribution(self, time_step: ts.TimeStep,
                      policy_state: types.NestedTensorSpec) -> policy_step.PolicyStep:
        raise NotImplementedError("EpsilonGreedySlatePolicy samples slates; use `action`")
