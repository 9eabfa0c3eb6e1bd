"""TF-Agents' collect-then-train split for `recsim_ng.rl.training.train`: a driver collects
experience into a replay buffer, and the agent's `train(experience)` learns from it.

- `ReplayLearner` (off-policy agents: SlateQ, full-slate Q, DQN): every training step the
  collect policy takes one batched environment step (one action for every user) through a
  `DynamicStepDriver` into a uniform replay buffer, and the agent trains on every user's latest
  sequence of `train_sequence_length` steps (the default, a buffer holding just those) or on a
  uniform sample of `sample_batch_size` stored sequences.
- `EpisodeLearner` (on-policy agents: REINFORCE, PPO): every training step the collect policy
  takes `collect_steps` batched steps (or, with `whole_episodes`, steps until every user has
  ended an episode) into an empty buffer, and the agent trains on all of it (`gather_all`,
  `[num_users, steps]`), after which the buffer is cleared.

Both serve `policy`, TF-Agents' `GreedyPolicy` around the agent's policy, and count batched
environment steps in `environment_steps`. Replay sampling draws from stateless seeds (see
`StatelessUniformReplayBuffer`), and policies draw from stateless seeds too (see
`recsim_ng.rl.agents.slate_policy`), so a run restored from `checkpoint_objects()` continues
exactly as an uninterrupted one (TF-Agents' stock agents too: `recsim_ng.rl.agents.stock_agents`
makes their collect policies draw from stateless seeds).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.drivers import dynamic_step_driver
from tf_agents.policies import greedy_policy
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory
from tf_agents.typing import types

from recsim_ng.lib import seeds
from recsim_ng.lib.checks import check_size
from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment


class StatelessUniformReplayBuffer(tf_uniform_replay_buffer.TFUniformReplayBuffer):
    """TF-Agents' uniform replay buffer, sampled with stateless seeds: `sample(seed, ...)` draws
    the same items for the same seed and buffer contents, so sampling resumes exactly after a
    restore (`get_next` and `as_dataset` draw from stateful generators, which do not)."""

    def sample(self, seed: types.Seed, sample_batch_size: int,
               num_steps: int) -> trajectory.Trajectory:
        """`[sample_batch_size, num_steps, ...]`: sequences of consecutive items of one batch
        row each, starting uniformly among the stored ones that have `num_steps` items."""
        last_id = self._get_last_id()
        num_ids = tf.minimum(last_id + 1, self._max_length) - num_steps + 1
        tf.debugging.assert_positive(num_ids, f"the replay buffer holds fewer than {num_steps}"
                                     " items per row; collect more before training")
        first = last_id + 1 - num_ids - (num_steps - 1)
        seed = seeds.as_seed(seed)
        starts = first + tf.random.stateless_uniform(
            [sample_batch_size], seeds.fold_in(seed, 0), maxval=num_ids, dtype=tf.int64)
        rows = tf.random.stateless_uniform([sample_batch_size], seeds.fold_in(seed, 1),
                                           maxval=self._batch_size, dtype=tf.int64)
        ids = starts[:, tf.newaxis] + tf.range(num_steps, dtype=tf.int64)
        return self._read(rows, ids)

    def latest(self, num_steps: int) -> trajectory.Trajectory:
        """`[batch_size, num_steps, ...]`: every row's `num_steps` newest items, oldest first."""
        last_id = self._get_last_id()
        tf.debugging.assert_greater_equal(last_id + 1, tf.constant(num_steps, tf.int64),
                                          f"the replay buffer holds fewer than {num_steps}"
                                          " items per row; collect more before training")
        ids = last_id + 1 - num_steps + tf.range(num_steps, dtype=tf.int64)
        return self._read(tf.range(self._batch_size, dtype=tf.int64),
                          tf.broadcast_to(ids, [self._batch_size, num_steps]))

    def _read(self, rows: tf.Tensor, ids: tf.Tensor) -> trajectory.Trajectory:
        """The items `ids` `[S, T]` of `rows` `[S]`: `[S, T, ...]`."""
        return self._data_table.read(tf.math.mod(ids, self._max_length)
                                     + rows[:, tf.newaxis] * self._max_length)


class EpisodeStepWeights(tf.Module):
    """Training weights under which every step of the episode (first, second, ...) weighs the
    same in total, however few users reach it: a transition at episode step t weighs
    1 / (the transitions at step t trained so far, this one included).

    Synchronous episodes do this implicitly when a training step averages its loss over the users
    still playing; with per-user restarts every transition otherwise weighs the same, so the
    long sessions' late steps (few users reach them) weigh little. Observes each collected
    batched step (`observe`, a driver observer) and weighs the latest transition of every user
    (`weights`); episode steps from `bins - 1` on share the last bin.
    """

    def __init__(self, batch_size: int, bins: int = 4096):
        super().__init__(name="episode_step_weights")
        self._bins = check_size("bins", bins)
        # Each user's episode step of its current time step, and of its two newest stored ones.
        self._current = tf.Variable(tf.zeros([batch_size], tf.int32), trainable=False)
        self._stored = tf.Variable(tf.zeros([2, batch_size], tf.int32), trainable=False)
        self._counts = tf.Variable(tf.zeros([self._bins]), trainable=False)

    def observe(self, step: trajectory.Trajectory) -> None:
        """Records the episode step of the batched step `step` just stored."""
        self._stored.assign(tf.stack([self._stored[1], self._current]))
        self._current.assign(tf.where(step.next_step_type == ts.StepType.FIRST, 0,
                                      tf.minimum(self._current + 1, self._bins - 1)))

    def weights(self, latest: trajectory.Trajectory) -> tf.Tensor:
        """`[batch_size]`: the weights of the users' latest transitions `latest`
        (`[batch_size, 2, ...]`); 0 for one starting at a `LAST` step (it does not train)."""
        steps = self._stored[0]
        trained = ~latest.is_boundary()[:, 0]
        self._counts.assign_add(tf.math.unsorted_segment_sum(tf.cast(trained, tf.float32),
                                                             steps, self._bins))
        return tf.where(trained, 1.0 / tf.maximum(tf.gather(self._counts, steps), 1.0), 0.0)


class _DriverLearner:
    """What both learners share: the greedy policy, the step counter and one driver step (its
    observers: the buffer, the counter and any `observers`)."""

    def __init__(self, agent: tf_agent.TFAgent, env: TFAgentsEnvironment, capacity: int,
                 buffer_class: type = tf_uniform_replay_buffer.TFUniformReplayBuffer,
                 observers: tuple[Callable[[trajectory.Trajectory], None], ...] = ()):
        agent.initialize()
        self.agent, self._env = agent, env
        self.policy = greedy_policy.GreedyPolicy(agent.policy)
        self.environment_steps = tf.Variable(0, dtype=tf.int64, trainable=False,
                                             name="environment_steps")
        self.replay_buffer = buffer_class(agent.collect_data_spec, env.batch_size, capacity)
        self._driver = dynamic_step_driver.DynamicStepDriver(
            env, agent.collect_policy, [self.replay_buffer.add_batch, self._count, *observers])

    def _count(self, _: trajectory.Trajectory) -> None:
        self.environment_steps.assign_add(1)

    def _collect(self, steps: int, whole_episodes: bool = False) -> None:
        """`steps` batched environment steps of the collect policy into the buffer, boundary
        steps included, in one `tf.while_loop` (traced once, whatever `steps`); with
        `whole_episodes`, fewer once every user has ended an episode (had a `LAST` step)."""

        def running(step, time_step, policy_state, ended):
            del time_step, policy_state
            more = step < steps
            return more & ~tf.reduce_all(ended) if whole_episodes else more

        def advance(step, time_step, policy_state, ended):
            time_step, policy_state = self._driver.run(time_step, policy_state,
                                                       maximum_iterations=1)  # One batched step.
            return step + 1, time_step, policy_state, ended | time_step.is_last()

        batch = self._env.batch_size
        tf.while_loop(running, advance, (
            tf.constant(0), self._env.current_time_step(),
            self.agent.collect_policy.get_initial_state(batch), tf.zeros([batch], tf.bool)))

    def checkpoint_objects(self) -> Mapping[str, Any]:
        """Everything a `tf.train.Checkpoint` needs to resume this run exactly."""
        return {"agent": self.agent, "replay_buffer": self.replay_buffer,
                "environment_steps": self.environment_steps,
                "environment": self._env.checkpoint_state}


class ReplayLearner(_DriverLearner):
    """Off-policy training from a uniform replay buffer of `capacity` batched steps per user;
    the agent's `train_sequence_length` (2 for one-step targets) sets the sequences it trains on.

    The default `capacity` is the sequence length: the buffer holds only each user's latest
    sequence, and each training step trains on all of them, every user's once,
    as online Q-learning does. With a larger capacity, each training step trains on a uniform
    sample of `sample_batch_size` stored sequences (default: one per user).
    `weigh_episode_steps` (latest sequences of two steps only) weighs them by
    `EpisodeStepWeights`, so every step of the episode weighs the same in training.
    """

    def __init__(self, agent: tf_agent.TFAgent, env: TFAgentsEnvironment,
                 sample_batch_size: int | None = None, capacity: int | None = None,
                 seed: seeds.Seed = 0, weigh_episode_steps: bool = False):
        self._sequence_length = agent.train_sequence_length or 2
        capacity = check_size("capacity", self._sequence_length if capacity is None
                              else capacity, minimum=self._sequence_length)
        self._latest_only = capacity == self._sequence_length
        if weigh_episode_steps and not (self._latest_only and self._sequence_length == 2):
            raise ValueError("weigh_episode_steps needs the default capacity and an agent"
                             " trained on sequences of 2 steps (each user's latest transition)")
        self._step_weights = (EpisodeStepWeights(env.batch_size) if weigh_episode_steps
                              else None)
        super().__init__(agent, env, capacity, StatelessUniformReplayBuffer,
                         (self._step_weights.observe,) if weigh_episode_steps else ())
        if self._latest_only and sample_batch_size is not None:
            raise ValueError("sample_batch_size needs a capacity above the agent's sequence"
                             f" length {self._sequence_length}: the buffer holds only each"
                             " user's latest sequence, and training takes all of them")
        self._sample_batch_size = check_size(
            "sample_batch_size", env.batch_size if sample_batch_size is None else sample_batch_size)
        self._seed = seeds.as_seed(seed)

    @tf.function
    def train_step(self) -> dict[str, tf.Tensor]:
        """One batched environment step and one `agent.train` on the latest sequences or a
        replay sample (from the step that fills the buffer with a whole sequence on)."""
        self._collect(1)
        steps = self.environment_steps.value()
        if steps < self._sequence_length:
            return {"loss": tf.constant(0.0)}
        if self._latest_only:
            experience = self.replay_buffer.latest(self._sequence_length)
        else:
            experience = self.replay_buffer.sample(seeds.fold_in(self._seed, steps),
                                                   self._sample_batch_size,
                                                   self._sequence_length)
        weights = None if self._step_weights is None else self._step_weights.weights(experience)
        return {"loss": self.agent.train(experience, weights=weights).loss}

    def checkpoint_objects(self) -> Mapping[str, Any]:
        """Everything a `tf.train.Checkpoint` needs to resume this run exactly."""
        if self._step_weights is None:
            return super().checkpoint_objects()
        return {**super().checkpoint_objects(), "episode_step_weights": self._step_weights}


class EpisodeLearner(_DriverLearner):
    """On-policy training: `collect_steps` batched steps per training step, all trained on.

    With `whole_episodes`, a training step collects until every user has ended an episode (at
    most `collect_steps` steps, the buffer's capacity), resetting the environment first (no
    step taken) if every user stands at a `LAST` step: under `restart="together"` every
    training step then trains on one whole episode of every user, from its first step.
    """

    def __init__(self, agent: tf_agent.TFAgent, env: TFAgentsEnvironment, collect_steps: int,
                 whole_episodes: bool = False):
        self._collect_steps = check_size("collect_steps", collect_steps)
        self._whole_episodes = whole_episodes
        super().__init__(agent, env, collect_steps)

    @tf.function
    def train_step(self) -> dict[str, tf.Tensor]:
        """The batched environment steps of one collection and one `agent.train` on them."""
        if self._whole_episodes and tf.reduce_all(self._env.current_time_step().is_last()):
            self._env.reset()
        self._collect(self._collect_steps, self._whole_episodes)
        experience = self.replay_buffer.gather_all()
        loss = self.agent.train(experience).loss
        self.replay_buffer.clear()
        return {"loss": loss}
