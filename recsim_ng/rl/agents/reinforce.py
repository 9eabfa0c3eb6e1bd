"""REINFORCE (Williams 1992) with a Plackett-Luce slate policy over an item-level scoring tower.

The policy scores every candidate with a shared `ItemNetwork` tower, logits `[B, N]`, and draws
the slate as k draws without replacement from the softmax (Plackett-Luce), sampled exactly as the
top k of the logits plus i.i.d. Gumbel noise. The log-probability of an ordered slate
(s_1, ..., s_k) is sum_j [l_{s_j} - logsumexp_{i not in {s_1..s_{j-1}}} l_i].

`ReinforceLearner` plays one whole episode for every user of a batched RecSim v1 environment per
training step and ascends sum_t log pi(A_t | s_t) (G_t - b_t), with G_t the discounted return
to go and b_t a baseline (by default the mean return to go of the users still playing at step
t: a variance reducer that needs no value network).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step, time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.lib.optimizers import Adam
from recsim_ng.rl.agents.features import ObservationFeatures
from recsim_ng.rl.agents.networks import ItemNetwork
from recsim_ng.rl.agents.slate_spec import slate_shape
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment


def plackett_luce_log_prob(logits: tf.Tensor, slates: tf.Tensor) -> tf.Tensor:
    """`[...]`: log P(slate) of ordered slates `[..., k]` of candidate indices (0-based, no
    action-spec offset) under Plackett-Luce with candidate logits `[..., N]`: the sum over
    positions of the log softmax over the candidates not chosen at earlier positions."""
    logits = tf.convert_to_tensor(logits)
    slates = tf.cast(slates, tf.int32)
    chosen = tf.gather(logits, slates, batch_dims=slates.shape.rank - 1)  # [..., k]
    taken = tf.math.cumsum(tf.one_hot(slates, tf.shape(logits)[-1], dtype=logits.dtype),
                           axis=-2, exclusive=True)  # [..., k, N]: chosen before position j
    remaining = tf.where(taken > 0.0, tf.constant(-np.inf, logits.dtype),
                         logits[..., tf.newaxis, :])
    return tf.reduce_sum(chosen - tf.reduce_logsumexp(remaining, axis=-1), axis=-1)


def sample_slates(logits: tf.Tensor, slate_size: int, seed: seeds.Seed) -> tf.Tensor:
    """`[B, k]` int32 Plackett-Luce slates (0-based): the top k of logits plus Gumbel noise."""
    uniform = tf.random.stateless_uniform(tf.shape(logits), seeds.as_seed(seed),
                                          minval=np.finfo(np.float32).tiny, maxval=1.0)
    gumbel = -tf.math.log(-tf.math.log(uniform))
    return tf.math.top_k(logits + gumbel, slate_size, sorted=True).indices


class PlackettLuceSlatePolicy(tf_policy.TFPolicy):
    """A Plackett-Luce slate from the softmax of `item_network`'s candidate scores, or with
    `greedy` the k best-scored candidates, best first. Sampling needs the stateless `seed`
    passed to `action`; slates are offset by the action spec's minimum."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 item_network: ItemNetwork, greedy: bool = False):
        self._shape = slate_shape(action_spec)
        self._item_network = item_network
        self._greedy = greedy
        super().__init__(time_step_spec, action_spec)

    def _variables(self) -> list[tf.Variable]:
        return list(self._item_network.trainable_variables)

    def logits(self, observation: types.NestedTensor) -> tf.Tensor:
        """`[B, N]`: the candidate logits."""
        return self._item_network(observation)

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        minimum, _, slate_size = self._shape
        logits = self.logits(time_step.observation)
        if self._greedy:
            slate = tf.math.top_k(logits, slate_size, sorted=True).indices
        else:
            if seed is None:
                raise ValueError("a sampling PlackettLuceSlatePolicy needs the `seed` argument"
                                 " of `action` (an int or a shape-[2] integer tensor)")
            slate = sample_slates(logits, slate_size, seed)
        return policy_step.PolicyStep(tf.cast(slate + minimum, self.action_spec.dtype),
                                      policy_state, ())

    def _distribution(self, time_step: ts.TimeStep,
                      policy_state: types.NestedTensorSpec) -> policy_step.PolicyStep:
        raise NotImplementedError("PlackettLuceSlatePolicy samples slates directly; use"
                                  " `action`, and `plackett_luce_log_prob` for probabilities")


@dataclasses.dataclass(frozen=True)
class ReinforceConfig:
    """REINFORCE hyperparameters.

    `gamma` defaults to 1: the environments are episodic and evaluated by the undiscounted
    return. `baseline` is "mean" (the mean return to go at step t of the users still playing)
    or "none". `normalize_advantages` divides the advantages by their standard deviation over
    the episode's active steps. `entropy_bonus` weighs the entropy of the first slate position's
    softmax. Where episodes never end (interest exploration), cap them in the environment
    (`v1_environment(..., max_episode_steps=100)`).
    """

    learning_rate: float = 1e-2  # Adam; tuned on interest evolution with 256 users
    gamma: float = 1.0
    hidden: Sequence[int] = (64, 32)
    entropy_bonus: float = 0.0
    baseline: str = "mean"
    normalize_advantages: bool = True

    def __post_init__(self):
        checks = {"learning_rate": 0.0 < self.learning_rate < math.inf,
                  "gamma": 0.0 <= self.gamma <= 1.0,
                  "entropy_bonus": 0.0 <= self.entropy_bonus < math.inf,
                  "hidden": all(size >= 1 for size in self.hidden)}
        for name, valid in checks.items():
            if not valid:
                raise ValueError(f"ReinforceConfig.{name} is out of range: got"
                                 f" {getattr(self, name)!r}")
        if self.baseline not in ("mean", "none"):
            raise ValueError(f"ReinforceConfig.baseline must be 'mean' or 'none', got"
                             f" {self.baseline!r}")


class ReinforceLearner:
    """REINFORCE on a batched RecSim v1 `TFAgentsEnvironment`, one user a batch row.

    Each `train_step` resets the environment, plays the episode of every user with
    `collect_policy` until all are done (or truncated), and takes one Adam step.
    Iteration i's sampling seeds derive from `fold_in(fold_in(seed, 1), i)`, so a learner
    restored from `checkpoint_objects()` continues identically. `policy` is greedy.
    """

    def __init__(self, env: TFAgentsEnvironment, config: ReinforceConfig = ReinforceConfig(),
                 seed: seeds.Seed = 0):
        self._env = env
        self._config = config
        self._seed = seeds.as_seed(seed)
        self._shape = slate_shape(env.action_spec())
        features = ObservationFeatures(env.time_step_spec().observation)
        self.item_network = ItemNetwork(features, config.hidden, seeds.fold_in(self._seed, 0))
        self.optimizer = Adam(self.item_network.trainable_variables, config.learning_rate)
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        self.environment_steps = tf.Variable(0, dtype=tf.int64, trainable=False,
                                             name="environment_steps")
        specs = (env.time_step_spec(), env.action_spec())
        self.policy = PlackettLuceSlatePolicy(*specs, self.item_network, greedy=True)
        self.collect_policy = PlackettLuceSlatePolicy(*specs, self.item_network, greedy=False)

    def checkpoint_objects(self) -> dict[str, tf.Module | tf.Variable]:
        """Everything to save (as `tf.train.Checkpoint(**objects)`) to resume exactly."""
        return {"item_network": self.item_network, "optimizer": self.optimizer,
                "iterations": self.iterations, "environment_steps": self.environment_steps,
                "environment": self._env.checkpoint_state}

    @tf.function
    def train_step(self) -> dict[str, tf.Tensor]:
        """One episode of every user and one Adam step; scalar metrics `loss`, `mean_return`
        (undiscounted, per user) and `episode_length` (mean steps per user)."""
        observations, slates, rewards, active = self._play_episode()
        config = self._config
        returns_to_go = tf.scan(lambda future, reward: reward + config.gamma * future, rewards,
                                initializer=tf.zeros_like(rewards[0]), reverse=True)  # [T, B]
        weights = tf.cast(active, tf.float32)
        count = tf.maximum(tf.reduce_sum(weights), 1.0)
        advantages = returns_to_go
        if config.baseline == "mean":
            baseline = tf.reduce_sum(weights * returns_to_go, axis=1, keepdims=True) / tf.maximum(
                tf.reduce_sum(weights, axis=1, keepdims=True), 1.0)
            advantages = returns_to_go - baseline
        if config.normalize_advantages:
            mean = tf.reduce_sum(weights * advantages) / count
            spread = tf.sqrt(tf.reduce_sum(weights * tf.square(advantages - mean)) / count)
            advantages = advantages / (spread + 1e-6)
        advantages = tf.stop_gradient(weights * advantages)
        variables = self.item_network.trainable_variables
        with tf.GradientTape() as tape:
            logits = self._logits(observations)  # [T, B, N]
            log_probs = plackett_luce_log_prob(logits, slates)  # [T, B]
            loss = -tf.reduce_sum(advantages * log_probs) / count
            if config.entropy_bonus:
                entropy = -tf.reduce_sum(tf.nn.softmax(logits) * tf.nn.log_softmax(logits), -1)
                loss -= config.entropy_bonus * tf.reduce_sum(weights * entropy) / count
        gradients = tape.gradient(loss, variables)
        missing = [v.name for v, g in zip(variables, gradients) if g is None]
        if missing:
            raise ValueError(f"no gradient reaches {missing}")
        self.optimizer.apply(gradients)
        self.iterations.assign_add(1)
        users = tf.cast(tf.shape(rewards)[1], tf.float32)
        return {"loss": loss, "mean_return": tf.reduce_sum(rewards) / users,
                "episode_length": tf.reduce_sum(weights) / users}

    def _logits(self, observations: types.NestedTensor) -> tf.Tensor:
        """`[T, B, N]` logits of stacked observations `{"observation": [T, B, ...]}`."""
        leaves = tf.nest.flatten(observations)
        time, batch = tf.shape(leaves[0])[0], tf.shape(leaves[0])[1]
        merged = tf.nest.map_structure(
            lambda x: tf.reshape(x, tf.concat([[time * batch], tf.shape(x)[2:]], 0)),
            observations)
        logits = self.item_network(merged)
        return tf.reshape(logits, [time, batch, self._shape.num_candidates])

    def _play_episode(self) -> tuple[types.NestedTensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        """Resets and plays every user's episode with the sampling policy: the observations
        (`{"observation": ...}` leaves `[T, B, ...]`), the 0-based slates `[T, B, k]`, the
        rewards `[T, B]` and whether each user was still playing `[T, B]`."""
        minimum, _, slate_size = self._shape
        iteration_seed = seeds.fold_in(seeds.fold_in(self._seed, 1), self.iterations)
        batch = self._env.batch_size
        time_step = self._env.reset()
        observed = {"observation": time_step.observation["observation"]}
        arrays = (tf.nest.map_structure(
            lambda x: tf.TensorArray(x.dtype, size=0, dynamic_size=True,
                                     element_shape=x.shape), observed),
                  tf.TensorArray(tf.int32, size=0, dynamic_size=True,
                                 element_shape=[batch, slate_size]),
                  tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[batch]),
                  tf.TensorArray(tf.bool, size=0, dynamic_size=True, element_shape=[batch]))

        def running(step, time_step, arrays):
            del step, arrays
            return ~tf.reduce_all(time_step.is_last())

        def advance(step, time_step, arrays):
            observations, slates, rewards, active = arrays
            slate = self.collect_policy.action(
                time_step, seed=seeds.fold_in(iteration_seed, step)).action
            next_step = self._env.step(slate)
            observations = tf.nest.map_structure(
                lambda array, x: array.write(step, x), observations,
                {"observation": time_step.observation["observation"]})
            arrays = (observations, slates.write(step, tf.cast(slate, tf.int32) - minimum),
                      rewards.write(step, next_step.reward),
                      active.write(step, ~time_step.is_last()))
            return step + 1, next_step, arrays

        steps, _, arrays = tf.while_loop(running, advance, (tf.constant(0), time_step, arrays))
        self.environment_steps.assign_add(tf.cast(steps, tf.int64))
        observations, slates, rewards, active = arrays
        return (tf.nest.map_structure(lambda array: array.stack(), observations),
                slates.stack(), rewards.stack(), active.stack())
