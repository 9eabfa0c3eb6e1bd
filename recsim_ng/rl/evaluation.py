"""`evaluate`, `Evaluator`: a policy's mean episode return over a batch of users, with a 95%
interval."""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
import tensorflow as tf
from tf_agents.policies import tf_policy

from recsim_ng.lib import seeds
from recsim_ng.rl.agents.slate_policy import SlatePolicy
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

EnvironmentFactory = Callable[[int], TFAgentsEnvironment]  # num_users -> environment


class EvaluationResult(NamedTuple):
    """Mean episode return across users and the half-width of its 95% normal interval."""

    mean_return: float
    ci95_half_width: float  # 1.96 standard errors across users
    num_users: int

    @classmethod
    def of(cls, step_rewards: np.ndarray) -> EvaluationResult:
        """The result of `Evaluator.step_rewards`' `[steps, users]` rewards."""
        returns = np.nansum(step_rewards, axis=0)
        users = returns.size
        spread = returns.std(ddof=1) if users > 1 else math.inf
        return cls(float(returns.mean()), 1.96 * spread / math.sqrt(users), users)


class Evaluator:
    """Evaluates policies on the same `num_users` users, episode after episode.

    `environment` builds the `TFAgentsEnvironment` of `num_users` users. Every call starts
    episode 0 of `fold_in(seed, 0)` for every user together and counts each user's rewards until
    its episode's last step (a user restarted alone afterwards counts no more). A slate policy
    (`recsim_ng.rl.agents.slate_policy.SlatePolicy`) draws its action at step t from the
    stateless seed `fold_in(fold_in(seed, 1), t)`, so equal seeds give equal users, documents
    and draws across policies and calls; any other TF-Agents policy gets no seed (TF-Agents'
    own policies take only integer seeds and draw from stateful generators). Episodes still
    running after `max_steps` steps (if given) count as they stand. The environment is built
    once, and the compiled episode loop of the last policy is reused, so evaluating a learner's
    policy during training traces once.
    """

    def __init__(self, environment: EnvironmentFactory, num_users: int, seed: seeds.Seed = 0,
                 max_steps: int | None = None):
        self._env = environment(num_users)
        if self._env.batch_size != num_users:
            raise ValueError(f"the environment has {self._env.batch_size} users, expected"
                             f" {num_users}")
        self._num_users = num_users
        self._seed = seeds.as_seed(seed)
        self._limit = max_steps if max_steps is not None else np.iinfo(np.int32).max
        self._policy: tf_policy.TFPolicy | None = None
        self._step_rewards: Callable[[], tf.Tensor] | None = None

    def __call__(self, policy: tf_policy.TFPolicy) -> EvaluationResult:
        return EvaluationResult.of(self.step_rewards(policy))

    def step_rewards(self, policy: tf_policy.TFPolicy) -> np.ndarray:
        """`[steps, users]` float64: each user's reward at each step of its episode, NaN after
        its episode's last step."""
        if policy is not self._policy or self._step_rewards is None:
            self._policy, self._step_rewards = policy, self._compile(policy)
        self._env.seed(seeds.fold_in(self._seed, 0))
        return self._step_rewards().numpy().astype(np.float64)

    def _compile(self, policy: tf_policy.TFPolicy) -> Callable[[], tf.Tensor]:
        env, users, limit = self._env, self._num_users, self._limit
        policy_seed = seeds.fold_in(self._seed, 1)
        stateless = isinstance(policy, SlatePolicy)

        def running(step, time_step, policy_state, ended, rewards):
            del time_step, policy_state, rewards
            return tf.logical_and(step < limit, ~tf.reduce_all(ended))

        def advance(step, time_step, policy_state, ended, rewards):
            seed = seeds.fold_in(policy_seed, step) if stateless else None
            decision = policy.action(time_step, policy_state, seed=seed)
            time_step = env.step(decision.action)
            rewards = rewards.write(step, tf.where(ended, math.nan, time_step.reward))
            return step + 1, time_step, decision.state, ended | time_step.is_last(), rewards

        @tf.function
        def step_rewards() -> tf.Tensor:
            start = (tf.constant(0), env.current_time_step(), policy.get_initial_state(users),
                     tf.zeros([users], tf.bool), tf.TensorArray(tf.float32, size=0,
                                                                dynamic_size=True))
            return tf.while_loop(running, advance, start)[-1].stack()

        return step_rewards


def evaluate(environment: EnvironmentFactory, policy: tf_policy.TFPolicy,
             num_users: int, seed: seeds.Seed = 0,
             max_steps: int | None = None) -> EvaluationResult:
    """One episode of `num_users` users under `policy`: `Evaluator(...)(policy)`."""
    return Evaluator(environment, num_users, seed, max_steps)(policy)
