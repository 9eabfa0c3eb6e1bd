"""SlateQ (Ie et al. 2019): slate values from an item-level Q network and the choice model.

The slate value decomposes as Q(s, A) = sum_{i in A} P(i | s, A) Q(s, i). The agent knows the
environment's conditional choice model, P(i | s, A) = v_i / (sum_{j in A} v_j + v_0), and reads
it off a `ClickProbability` on one-item slates: P(click | {j}) = v_j / (v_j + v_0), so the
attractiveness relative to no click is r_j = v_j / v_0 = p_j / (1 - p_j) and
P(i | s, A) = r_i / (sum_{j in A} r_j + 1). Slates are the top k of r_j Q(s, j) (v1's
`select_slate_topk`), and the Q-learning target uses the next state's top-k slate under the
target network (v1's `compute_target_topk_q`, fed the next states). Only transitions with a click
train the network, as in v1: the clicked item's target is its watch time plus the discounted
next slate value.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step, time_step as ts
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.lib.optimizers import Adam
from recsim_ng.rl.agents.myopic_policy import ClickProbability
from recsim_ng.rl.agents.random_policy import RandomSlatePolicy
from recsim_ng.rl.agents.slate_spec import slate_shape
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment


class ItemQNetwork(tf.Module):
    """Q(s, i) = MLP(user observation, doc_i observation), one tower shared by all candidates.

    Reads the RecSim v1 observation `{"observation": {"user": [B, U], "doc": [B, N, D]}, ...}`.
    """

    def __init__(self, user_dim: int, doc_dim: int, hidden: Sequence[int] = (64, 32),
                 seed: seeds.Seed = 0, name: str | None = None):
        super().__init__(name=name)
        sizes = [user_dim + doc_dim, *hidden, 1]
        run_seed = seeds.as_seed(seed)
        self.weights = [tf.Variable(tf.random.stateless_normal(
            [fan_in, fan_out], seeds.fold_in(run_seed, layer)) * np.sqrt(2.0 / fan_in))
            for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]))]
        self.biases = [tf.Variable(tf.zeros([fan_out])) for fan_out in sizes[1:]]

    def __call__(self, observation: types.NestedTensor) -> tf.Tensor:
        """`[B, N]`: Q(s, i) for every candidate i."""
        user, doc = observation["observation"]["user"], observation["observation"]["doc"]
        users = tf.repeat(user[:, tf.newaxis], tf.shape(doc)[1], axis=1)
        layer = tf.concat([users, doc], axis=-1)
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            layer = tf.tensordot(layer, weight, 1) + bias
            if index < len(self.weights) - 1:
                layer = tf.nn.relu(layer)
        return layer[..., 0]


def attractiveness(click_probability: ClickProbability, observation: types.NestedTensor,
                   num_candidates: int) -> tf.Tensor:
    """`[B, N]`: r_j = v_j / v_0 of every candidate, from its one-item click probability."""
    batch = tf.shape(tf.nest.flatten(observation)[0])[0]
    singletons = tf.tile(tf.range(num_candidates)[tf.newaxis, :, tf.newaxis], [batch, 1, 1])
    probs = click_probability(observation, singletons)
    return probs / (1.0 - probs)


def slate_values(item_attractiveness: tf.Tensor, item_q: tf.Tensor,
                 slates: tf.Tensor) -> tf.Tensor:
    """`[B, M]`: sum_{i in A} P(i | s, A) Q(s, i) for slates `[B, M, k]` of candidate indices,
    given r `[B, N]` and Q `[B, N]`."""
    r = tf.gather(item_attractiveness, slates, batch_dims=1)
    q = tf.gather(item_q, slates, batch_dims=1)
    return tf.reduce_sum(r * q, -1) / (tf.reduce_sum(r, -1) + 1.0)


def top_k_slate(item_attractiveness: tf.Tensor, item_q: tf.Tensor, slate_size: int) -> tf.Tensor:
    """`[B, k]`: the k candidates with the largest r_j Q(s, j), best first."""
    return tf.math.top_k(item_attractiveness * item_q, slate_size).indices


class SlateQPolicy(tf_policy.TFPolicy):
    """The top-k SlateQ slate, replaced by a uniformly random slate with probability `epsilon`
    per user. Exploration needs the stateless `seed` passed to `action`."""

    def __init__(self, time_step_spec: ts.TimeStep, action_spec: types.BoundedTensorSpec,
                 q_network: ItemQNetwork, click_probability: ClickProbability,
                 epsilon: float = 0.0):
        self._shape = slate_shape(action_spec)
        self._q_network = q_network
        self._click_probability = click_probability
        self._epsilon = epsilon
        self._random = RandomSlatePolicy(time_step_spec, action_spec)
        super().__init__(time_step_spec, action_spec)

    def _variables(self) -> list[tf.Variable]:
        return list(self._q_network.trainable_variables)

    def _action(self, time_step: ts.TimeStep, policy_state: types.NestedTensor,
                seed: types.Seed | None) -> policy_step.PolicyStep:
        minimum, num_candidates, slate_size = self._shape
        observation = time_step.observation
        slate = top_k_slate(attractiveness(self._click_probability, observation, num_candidates),
                            self._q_network(observation), slate_size) + minimum
        slate = tf.cast(slate, self.action_spec.dtype)
        if self._epsilon > 0.0:
            if seed is None:
                raise ValueError("an exploring SlateQPolicy needs a seed")
            seed = seeds.as_seed(seed)
            random = self._random.action(time_step, seed=seeds.fold_in(seed, 0)).action
            explore = tf.random.stateless_uniform(tf.shape(time_step.step_type),
                                                  seeds.fold_in(seed, 1)) < self._epsilon
            slate = tf.where(explore[:, tf.newaxis], random, slate)
        return policy_step.PolicyStep(slate, policy_state, ())

    def _distribution(self, time_step: ts.TimeStep,
                      policy_state: types.NestedTensorSpec) -> policy_step.PolicyStep:
        raise NotImplementedError("SlateQPolicy is deterministic given its seed; use `action`")


class SlateQConfig(NamedTuple):
    """SlateQ hyperparameters."""

    gamma: float = 0.99  # v1's discount
    learning_rate: float = 1e-3  # Adam
    epsilon: float = 0.1  # exploration rate of the collect policy
    target_update_period: int = 100  # training steps between target network copies
    hidden: tuple[int, ...] = (64, 32)


class SlateQLearner:
    """Q-learning SlateQ on a batched RecSim v1 `TFAgentsEnvironment`, one user a batch row.

    Every `train` step acts with the epsilon-greedy policy in every user's episode and takes one
    Adam step on the squared error of the clicked items of that batch of transitions; the target
    network is copied from the online one every `target_update_period` steps. `policy` is the
    greedy policy of the online network.
    """

    def __init__(self, env: TFAgentsEnvironment, click_probability: ClickProbability,
                 config: SlateQConfig = SlateQConfig(), seed: seeds.Seed = 0):
        observation = env.time_step_spec().observation["observation"]
        user_dim, doc_dim = observation["user"].shape[-1], observation["doc"].shape[-1]
        self._env = env
        self._shape = slate_shape(env.action_spec())
        self._click_probability = click_probability
        self._config = config
        self._seed = seeds.as_seed(seed)
        self.q_network = ItemQNetwork(user_dim, doc_dim, config.hidden,
                                      seeds.fold_in(self._seed, 0))
        self._target = ItemQNetwork(user_dim, doc_dim, config.hidden)
        self._copy_to_target()
        self._optimizer = Adam(self.q_network.trainable_variables, config.learning_rate)
        self._steps = tf.Variable(0, trainable=False)
        specs = (env.time_step_spec(), env.action_spec())
        self.policy = SlateQPolicy(*specs, self.q_network, click_probability)
        self._collect_policy = SlateQPolicy(*specs, self.q_network, click_probability,
                                            config.epsilon)

    def _copy_to_target(self) -> None:
        for target, online in zip(self._target.trainable_variables,
                                  self.q_network.trainable_variables):
            target.assign(online)

    def train(self, num_steps: int) -> float:
        """Runs `num_steps` environment and training steps; returns the last step's loss."""
        loss = tf.constant(0.0)
        for _ in range(num_steps):
            loss = self._train_step()
        return float(loss)

    @tf.function
    def _train_step(self) -> tf.Tensor:
        minimum, num_candidates, slate_size = self._shape
        step = self._steps.assign_add(1)
        time_step = self._env.current_time_step()
        slate = self._collect_policy.action(time_step, seed=seeds.fold_in(self._seed, step)).action
        next_step = self._env.step(slate)
        choice = next_step.observation["response"]["choice"]
        clicked = tf.logical_and(~time_step.is_last(), choice < slate_size)
        position = tf.minimum(choice, slate_size - 1)[:, tf.newaxis]
        item = tf.gather(tf.cast(slate, tf.int32) - minimum, position, batch_dims=1)[:, 0]
        next_r = attractiveness(self._click_probability, next_step.observation, num_candidates)
        next_q = self._target(next_step.observation)
        next_slate = top_k_slate(next_r, next_q, slate_size)[:, tf.newaxis]
        next_value = slate_values(next_r, next_q, next_slate)[:, 0]
        target = tf.stop_gradient(
            next_step.reward + self._config.gamma * next_step.discount * next_value)
        weights = tf.cast(clicked, tf.float32)
        with tf.GradientTape() as tape:
            q = tf.gather(self.q_network(time_step.observation), item, batch_dims=1)
            loss = tf.reduce_sum(weights * tf.square(q - target)) / tf.maximum(
                tf.reduce_sum(weights), 1.0)
        variables = self.q_network.trainable_variables
        self._optimizer.apply(tape.gradient(loss, variables))
        if step % self._config.target_update_period == 0:
            self._copy_to_target()
        return loss
