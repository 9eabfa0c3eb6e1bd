"""`SlateReinforceAgent`: REINFORCE (Williams 1992) with a Plackett-Luce slate policy, as a
TF-Agents `ReinforceAgent`.

The policy scores every candidate with the shared tower of `SlateActorNetwork` and draws the
slate from `PlackettLuceSlate` (k softmax draws without replacement); its greedy policy serves
the k best-scored candidates. Training is TF-Agents' REINFORCE on whole episodes (e.g. collected
by `recsim_ng.rl.collect.EpisodeLearner`): it ascends sum_t log pi(A_t | s_t) A_t over the steps
of the episodes that end in the batch. Only the advantage A_t differs from the stock agent's: the
return to go G_t minus a baseline, the mean return to go of the users at the same step of their
episode (for users who start together, the users still playing at step t), which needs no value
network; then divided by the standard deviation over the batch's steps. And as Plackett-Luce
slates have no closed-form entropy, the optional entropy bonus is the first position's.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.reinforce import reinforce_agent
from tf_agents.policies import greedy_policy
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory
from tf_agents.typing import types

from recsim_ng.entities.choice_models import PlackettLuceSlate
from recsim_ng.lib import seeds
from recsim_ng.lib.checks import is_size
from recsim_ng.lib.optimizers import Adam
from recsim_ng.rl.agents.slate_actor_network import SlateActorNetwork
from recsim_ng.rl.agents.slate_policy import PlackettLuceSlatePolicy
from recsim_ng.rl.agents.train_step import own_train_step_counter

BASELINES = ("mean", "none")


@dataclasses.dataclass(frozen=True)
class ReinforceConfig:
    """REINFORCE hyperparameters.

    `gamma` defaults to 1: the environments are episodic and evaluated by the undiscounted
    return. `baseline` is "mean" (the mean return to go of the users at the same step of their
    episode) or "none". `normalize_advantages` divides the advantages by their standard
    deviation over the batch's trained steps. `entropy_bonus` weighs the entropy of the first
    slate position's softmax. Where episodes never end (interest exploration), cap them in the
    environment (`max_episode_steps`).
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
                  "hidden": all(is_size(size) for size in self.hidden)}
        for name, valid in checks.items():
            if not valid:
                raise ValueError(f"ReinforceConfig.{name} is out of range: got"
                                 f" {getattr(self, name)!r}")
        if self.baseline not in BASELINES:
            raise ValueError(f"ReinforceConfig.baseline must be one of {BASELINES}, got"
                             f" {self.baseline!r}")


class SlateReinforceAgent(reinforce_agent.ReinforceAgent):
    """TF-Agents' `ReinforceAgent` over slates, with the mean-return baseline of the module
    docstring and Adam (`config.learning_rate`).

    The actor network is a `SlateActorNetwork` of `config.hidden`, its weights drawn from
    `seed`. `collect_policy` is a `PlackettLuceSlatePolicy` over its logits (stateless draws
    from `seed`, so a run restored from `tf.train.Checkpoint(agent=...)` continues exactly);
    `policy` is its greedy version.
    """

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 config: ReinforceConfig = ReinforceConfig(), seed: seeds.Seed = 0,
                 train_step_counter: tf.Variable | None = None, name: str | None = None):
        run_seed = seeds.as_seed(seed)
        actor_network = SlateActorNetwork(time_step_spec.observation, action_spec,
                                          config.hidden, seeds.fold_in(run_seed, 0))
        actor_network.create_variables()
        super().__init__(
            time_step_spec, action_spec, actor_network,
            Adam(actor_network.trainable_weights, config.learning_rate), gamma=config.gamma,
            normalize_returns=False,  # `total_loss` normalises the advantages itself.
            entropy_regularization=config.entropy_bonus or None,
            train_step_counter=own_train_step_counter(train_step_counter), name=name)
        self._config = config
        self._collect_policy = PlackettLuceSlatePolicy(
            time_step_spec, action_spec, lambda observation: actor_network(observation)[0].logits,
            tuple(actor_network.variables), seeds.fold_in(run_seed, 1))
        self._policy = greedy_policy.GreedyPolicy(self._collect_policy)

    def total_loss(self, experience: trajectory.Trajectory, returns: types.Tensor,
                   weights: types.Tensor | None, training: bool = False) -> tf_agent.LossInfo:
        """The stock loss with the advantages `[B, T]` of `returns` in place of `returns`."""
        return super().total_loss(experience, self.advantages(experience, returns), weights,
                                  training)

    def advantages(self, experience: trajectory.Trajectory, returns: tf.Tensor) -> tf.Tensor:
        """`[B, T]`: `returns` to go minus the mean return to go of the trained steps at the same
        step of their episode (`config.baseline="mean"`), then divided by their standard
        deviation over the trained steps (`normalize_advantages`). The trained steps are the
        stock agent's: no boundary step, and none after a row's last complete episode; a row
        that starts mid-episode counts its steps from the row's start."""
        trained = ~experience.is_boundary() & (tf.math.cumsum(
            tf.cast(experience.is_last(), tf.int32), axis=1, reverse=True) > 0)
        trained = tf.cast(trained, returns.dtype)
        count = tf.maximum(tf.reduce_sum(trained), 1.0)
        advantages = returns
        if self._config.baseline == "mean":
            index = _episode_step(experience.step_type)
            length = tf.shape(returns)[1]
            totals = tf.math.unsorted_segment_sum(trained * returns, index, length)
            counts = tf.math.unsorted_segment_sum(trained, index, length)
            advantages = returns - tf.gather(totals / tf.maximum(counts, 1.0), index)
        if self._config.normalize_advantages:
            mean = tf.reduce_sum(trained * advantages) / count
            spread = tf.sqrt(tf.reduce_sum(trained * tf.square(advantages - mean)) / count)
            advantages = advantages / (spread + 1e-6)
        return tf.stop_gradient(trained * advantages)

    def entropy_regularization_loss(self, actions_distribution: PlackettLuceSlate,
                                    weights: types.Tensor | None = None) -> tf.Tensor:
        """-`entropy_bonus` times the mean entropy of the first slate position's softmax over
        the weighted steps (Plackett-Luce slates have no closed-form entropy)."""
        if not self._entropy_regularization:
            return tf.constant(0.0)
        logits = actions_distribution.logits
        entropy = -tf.reduce_sum(tf.nn.softmax(logits) * tf.nn.log_softmax(logits), -1)
        if weights is not None:
            entropy *= weights
        return -self._entropy_regularization * tf.reduce_mean(entropy)


def _episode_step(step_type: tf.Tensor) -> tf.Tensor:
    """`[B, T]` int32: each step's index in its episode (0 at `FIRST`); a row's steps before its
    first `FIRST` count from the row's start."""
    first = tf.transpose(tf.equal(step_type, ts.StepType.FIRST))  # [T, B]
    index = tf.scan(lambda previous, restart: tf.where(restart, 0, previous + 1), first,
                    initializer=-tf.ones_like(first[0], tf.int32))
    return tf.transpose(index)
