"""Slate policies defined by their action distribution, so TF-Agents' wrappers work on them.

A `SlatePolicy` returns, from `distribution`, a distribution over ordered slates of candidate
indices (`[B, slate_size]`, int32, from 0): a `PlackettLuceSlate` for a stochastic policy (uniform
when every logit is equal), a point mass for a deterministic one, a mixture of the two for
epsilon-greedy exploration. TF-Agents' `GreedyPolicy` then serves the distribution's mode, its
metrics and savers work unchanged, and `action` samples it with a stateless seed: the `seed`
passed to `action` if given, else `fold_in(seed, n)` for the policy's n-th unseeded call (drivers
pass none), so runs are reproducible and a restored policy continues its sequence.
"""

from __future__ import annotations

import abc
from typing import Any, Callable

import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.policies import tf_policy
from tf_agents.policies.greedy_policy import DeterministicWithLogProb
from tf_agents.trajectories import policy_step, time_step as ts
from tf_agents.typing import types

from recsim_ng.entities.choice_models import PlackettLuceSlate
from recsim_ng.lib import seeds
from recsim_ng.lib.checks import checked_in_graph
from recsim_ng.rl.agents.slate_spec import slate_shape

tfd = tfp.distributions

# observation -> [B, k] int32 candidate indices 0..N-1
SlateFunction = Callable[[types.NestedTensor], tf.Tensor]
# observation -> [B, N] candidate logits
CandidateLogits = Callable[[types.NestedTensor], tf.Tensor]


def point_slate(slate: tf.Tensor) -> tfd.Distribution:
    """The point mass on `slate` `[B, k]` (event shape `[k]`), with a log-prob (0 or -inf)."""
    return tfd.Independent(DeterministicWithLogProb(loc=tf.cast(slate, tf.int32)), 1)


class SlatePolicy(tf_policy.TFPolicy, abc.ABC):
    """A policy over slates `[slate_size]` of candidates `0..N-1`, defined by `slate_distribution`.

    The action spec is a bounded int spec `[slate_size]` with minimum 0. `variables` are the
    policy's model variables (for savers and `update`).
    """

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 seed: seeds.Seed = 0, variables: tuple[tf.Variable, ...] = (),
                 policy_state_spec: types.NestedTensorSpec = (),
                 info_spec: types.NestedTensorSpec = ()):
        self._shape = slate_shape(action_spec)
        if self._shape.minimum != 0:
            raise ValueError(f"slate policies index candidates from 0; the action spec starts"
                             f" at {self._shape.minimum}")
        self._seed = seeds.as_seed(seed)
        self._unseeded_calls = tf.Variable(0, dtype=tf.int32, trainable=False,
                                           name="unseeded_calls")
        self._policy_variables = list(variables)
        super().__init__(time_step_spec, action_spec, policy_state_spec=policy_state_spec,
                         info_spec=info_spec)

    @property
    def num_candidates(self) -> int:
        return self._shape.num_candidates

    @property
    def slate_size(self) -> int:
        return self._shape.slate_size

    @abc.abstractmethod
    def slate_distribution(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
                           ) -> tuple[tfd.Distribution, types.NestedTensor]:
        """The distribution of each user's slate (batch `[B]`, event `[slate_size]`) and the
        next policy state."""

    def _variables(self) -> list[tf.Variable]:
        return self._policy_variables

    def _distribution(self, time_step: ts.TimeStep,
                      policy_state: types.NestedTensor) -> policy_step.PolicyStep:
        distribution, state = self.slate_distribution(time_step, policy_state)
        return policy_step.PolicyStep(distribution, state, ())

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        distribution, state = self.slate_distribution(time_step, policy_state)
        slate = distribution.sample(seed=self.stateless_seed(seed))
        return policy_step.PolicyStep(tf.cast(slate, self.action_spec.dtype), state, ())

    def stateless_seed(self, seed: types.Seed | None) -> tf.Tensor:
        """`seed` as a stateless seed, or for `None` the next of the policy's own sequence."""
        if seed is None:
            seed = seeds.fold_in(self._seed, self._unseeded_calls.assign_add(1) - 1)
        return seeds.as_seed(seed)


class StatelessSampledPolicy(SlatePolicy):
    """Any TF-Agents policy over slates (e.g. a stock agent's `ActorPolicy` or `PPOPolicy`) with
    its actions drawn from stateless seeds, as every `SlatePolicy` draws them, instead of from
    TensorFlow's global generator (drivers pass no seed): its distribution, state and info are
    the wrapped policy's, and so is any other attribute its agent asks for (e.g. PPO's
    `get_initial_value_state`)."""

    def __init__(self, policy: tf_policy.TFPolicy, seed: seeds.Seed = 0):
        self._wrapped = policy
        super().__init__(policy.time_step_spec, policy.action_spec, seed,
                         tuple(policy.variables()), policy.policy_state_spec, policy.info_spec)

    def __getattr__(self, name: str):
        if name == "_wrapped":  # Not set yet: no policy to ask.
            raise AttributeError(name)
        return getattr(self._wrapped, name)

    def slate_distribution(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
                           ) -> tuple[tfd.Distribution, types.NestedTensor]:
        step = self._wrapped.distribution(time_step, policy_state)
        return step.action, step.state

    def _distribution(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                      **options: Any) -> policy_step.PolicyStep:
        # The wrapped `_distribution` with the caller's options: PPO's loss passes `training`,
        # which the public `distribution` would drop.
        return self._wrapped._distribution(time_step, policy_state, **options)

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        step = self._wrapped.distribution(time_step, policy_state)
        slate = step.action.sample(seed=self.stateless_seed(seed))
        return step._replace(action=tf.cast(slate, self.action_spec.dtype))


class DeterministicSlatePolicy(SlatePolicy):
    """A policy whose slate is a function of the observation (and its state): a point mass."""

    @abc.abstractmethod
    def slate(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
              ) -> tuple[tf.Tensor, types.NestedTensor]:
        """`[B, k]` candidate indices and the next policy state."""

    def slate_distribution(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
                           ) -> tuple[tfd.Distribution, types.NestedTensor]:
        slate, state = self.slate(time_step, policy_state)
        return point_slate(slate), state

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        slate, state = self.slate(time_step, policy_state)  # No draw: no seed needed.
        return policy_step.PolicyStep(tf.cast(slate, self.action_spec.dtype), state, ())


class SlateFunctionPolicy(DeterministicSlatePolicy):
    """The slate `slate_function(observation)` for every user."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 slate_function: SlateFunction, variables: tuple[tf.Variable, ...] = ()):
        self._slate_function = slate_function
        super().__init__(time_step_spec, action_spec, variables=variables)

    def slate(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
              ) -> tuple[tf.Tensor, types.NestedTensor]:
        return self._slate_function(time_step.observation), policy_state


class PlackettLuceSlatePolicy(SlatePolicy):
    """Plackett-Luce slates from candidate logits `logits(observation)` `[B, N]`: k draws
    without replacement from their softmax; its mode (TF-Agents' `GreedyPolicy`) is the k
    best-scored candidates, best first."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 logits: CandidateLogits, variables: tuple[tf.Variable, ...] = (),
                 seed: seeds.Seed = 0):
        self._logits = logits
        super().__init__(time_step_spec, action_spec, seed, variables)

    def slate_distribution(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
                           ) -> tuple[tfd.Distribution, types.NestedTensor]:
        logits = self._logits(time_step.observation)
        return PlackettLuceSlate(logits, self.slate_size), policy_state


class RandomSlatePolicy(PlackettLuceSlatePolicy):
    """A uniformly random ordered slate of distinct candidates for every user (v1's
    `RandomAgent`): Plackett-Luce with equal logits."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 seed: seeds.Seed = 0):
        num_candidates = slate_shape(action_spec).num_candidates

        def equal_logits(observation: types.NestedTensor) -> tf.Tensor:
            batch = tf.shape(tf.nest.flatten(observation)[0])[0]
            return tf.zeros(tf.stack([batch, num_candidates]))

        super().__init__(time_step_spec, action_spec, equal_logits, seed=seed)


Epsilon = float | Callable[[], types.Float]


class EpsilonGreedySlatePolicy(SlatePolicy):
    """`policy`'s slate, replaced by a uniformly random slate with probability `epsilon` per
    user: the mixture (1 - epsilon) `policy` + epsilon uniform. `epsilon` is a number in [0, 1]
    or a callable giving it (e.g. a decay schedule of the training step, as v1's DQN agents had;
    see `linear_epsilon`)."""

    def __init__(self, policy: SlatePolicy, epsilon: Epsilon, seed: seeds.Seed = 0):
        if not callable(epsilon) and not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
        self._greedy = policy
        self._random = RandomSlatePolicy(policy.time_step_spec, policy.action_spec)
        self._epsilon = epsilon
        super().__init__(policy.time_step_spec, policy.action_spec, seed,
                         policy_state_spec=policy.policy_state_spec)

    def _variables(self) -> list[tf.Variable]:
        return self._greedy.variables()

    def slate_distribution(self, time_step: ts.TimeStep, policy_state: types.NestedTensor
                           ) -> tuple[tfd.Distribution, types.NestedTensor]:
        greedy, state = self._greedy.slate_distribution(time_step, policy_state)
        uniform, _ = self._random.slate_distribution(time_step, ())
        epsilon = tf.cast(self._epsilon() if callable(self._epsilon) else self._epsilon,
                          tf.float32)
        epsilon = checked_in_graph("epsilon", epsilon, (epsilon >= 0.0) & (epsilon <= 1.0),
                                   "in [0, 1]")
        batch = tf.shape(time_step.step_type)[:1]
        mixing = tf.broadcast_to(tf.stack([1.0 - epsilon, epsilon]), tf.concat([batch, [2]], 0))
        return tfd.Mixture(tfd.Categorical(probs=mixing), [greedy, uniform]), state


def linear_epsilon(step: tf.Variable, start: float, end: float,
                   decay_steps: int) -> Callable[[], tf.Tensor]:
    """epsilon decaying linearly from `start` to `end` over `decay_steps` of `step` (e.g. an
    agent's train step counter), then `end`: Dopamine's `linearly_decaying_epsilon`, which v1's
    DQN-style agents used."""
    for name, value in (("start", start), ("end", end)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"linear_epsilon {name} must lie in [0, 1], got {value}")
    if decay_steps < 0:
        raise ValueError(f"linear_epsilon decay_steps must be >= 0, got {decay_steps}")

    def epsilon() -> tf.Tensor:
        done = tf.minimum(tf.cast(step, tf.float32) / max(decay_steps, 1), 1.0)
        return start + (end - start) * done

    return epsilon
