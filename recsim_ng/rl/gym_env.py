"""Gymnasium adapters: `GymEnv` for one user, `GymVectorEnv` for a batch of users.

Observations are `{group: {name: array}}` for the selected fields (`{variable: {field: array}}`
when the selection names fields by variable, see `FieldSelection`; shared fields such as a
candidate corpus appear whole in each user's observation), the action is the per-user value of
the action variable's field, and spaces derive from the network's `FieldSpec`s.

Episodes follow `recsim_ng.rl.episodes`: a user whose `done` turns true is terminated.
`GymVectorEnv` restarts users one by one, by Gymnasium's autoreset mode of the instance
(`metadata["autoreset_mode"]`): `NEXT_STEP` (the default; the step after a user's episode ended
starts its next one), `SAME_STEP` (the ending step returns the next episode's first observation,
the final one in `info["final_obs"]`) or `DISABLED` (the caller restarts ended users with
`reset(options={"reset_mask": mask})`; until then a terminated user stays terminated, with
reward 0). Seeding: `reset` with a seed restarts the episode seed sequences; `reset()` without
one starts the next episode of the sequence for every user (the first from the constructor's
`seed`), and each per-user restart draws the next of its own sequence.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import gymnasium
import numpy as np
import tensorflow as tf
from gymnasium import spaces
from gymnasium.vector.utils import batch_space
from gymnasium.vector.vector_env import AutoresetMode

from recsim_ng.core import Network
from recsim_ng.lib import seeds
from recsim_ng.rl.episodes import EpisodeRunner, EpisodeStep, FieldSelection
from recsim_ng.rl.specs import FieldRef, field_spec, to_gym_space


class _Adapter:
    """The conversions both environments share: spaces, actions in, observations out."""

    def __init__(self, network: Network, observation: FieldSelection, reward: FieldRef,
                 done: FieldRef | None, action: str, action_field: str | None,
                 shared_observation: FieldSelection | None, seed: seeds.Seed,
                 shared_state: Sequence[str]):
        self.runner = EpisodeRunner(network, observation, reward, done, action, action_field,
                                    shared_observation, seed, shared_state=shared_state)
        fields, self.action_space = self.runner.describe(to_gym_space)
        self.observation_space = spaces.Dict({name: spaces.Dict(space)
                                              for name, space in fields.items()})
        self.action_dtype = field_spec(network, self.runner.action_ref).dtype.as_numpy_dtype

    def action(self, action: Any, space: gymnasium.Space, shape: tuple[int, ...]) -> tf.Tensor:
        """`action` as the batched tensor the network takes, or a `ValueError`."""
        array = np.asarray(action)
        if not space.contains(array.astype(space.dtype)) or array.astype(
                self.action_dtype).tolist() != array.tolist():
            raise ValueError(f"action {action!r} is not in the action space {space}")
        return tf.reshape(tf.convert_to_tensor(array, self.action_dtype), shape)

    def observation(self, step: EpisodeStep, user: int | None) -> dict[str, dict[str, Any]]:
        """The numpy observation of one user, or of all users when `user` is None."""
        return {name: {field: np.asarray(tensor.numpy() if user is None else tensor.numpy()[user],
                                         self.observation_space[name][field].dtype)
                       for field, tensor in fields.items()}
                for name, fields in step.observation.items()}


class GymEnv(gymnasium.Env):
    """A single-user Gymnasium environment over a network built for one user.

    Arguments as for `recsim_ng.rl.episodes.EpisodeRunner`; `done` gives `terminated`, and
    `truncated` is always False (wrap in `TimeLimit`, or register with `max_episode_steps`).
    """

    metadata = {"render_modes": []}

    def __init__(self, network: Network, observation: FieldSelection, reward: FieldRef,
                 done: FieldRef | None, action: str = "slate", action_field: str | None = None,
                 shared_observation: FieldSelection | None = None, seed: seeds.Seed = 0,
                 shared_state: Sequence[str] = ()):
        self._adapter = _Adapter(network, observation, reward, done, action, action_field,
                                 shared_observation, seed, shared_state)
        if self._adapter.runner.num_users != 1:
            raise ValueError(f"GymEnv needs a network of one user, got"
                             f" {self._adapter.runner.num_users}; use GymVectorEnv")
        self.observation_space = self._adapter.observation_space
        self.action_space = self._adapter.action_space

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        super().reset(seed=seed)
        del options
        if seed is not None:
            self._adapter.runner.seed(seed)
        observation = self._adapter.observation(self._adapter.runner.reset(), 0)
        return _item(observation, self.observation_space), {}

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        batched = self._adapter.action(action, self.action_space, (1, *self.action_space.shape))
        step = self._adapter.runner.step(batched)
        return (_item(self._adapter.observation(step, 0), self.observation_space),
                float(step.reward[0]),
                bool(step.terminated[0]), False, {})


class GymVectorEnv(gymnasium.vector.VectorEnv):
    """A `VectorEnv` whose sub-environments are the users of one batched network.

    All users step as one compiled simulation. Arguments as for `GymEnv`, plus
    `max_episode_steps` (a user not terminated by its episode's step `max_episode_steps` is
    truncated there) and `autoreset_mode` (an `AutoresetMode` or its value, e.g. "SameStep";
    see the module docstring). As Gymnasium's own vector environments do: under `NEXT_STEP` the
    step after a user's episode ended ignores that user's action and returns its new episode's
    first observation, reward 0, not terminated or truncated; under `SAME_STEP`, `info` holds
    `final_obs` (an object array with the ended users' final observations, None elsewhere),
    `final_info` and their masks `_final_obs`, `_final_info`. In every mode `reset` with
    `options={"reset_mask": mask}` (bool, one per user) restarts only the masked users.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, network: Network, observation: FieldSelection, reward: FieldRef,
                 done: FieldRef | None, action: str = "slate", action_field: str | None = None,
                 shared_observation: FieldSelection | None = None, seed: seeds.Seed = 0,
                 max_episode_steps: int | None = None,
                 autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 shared_state: Sequence[str] = ()):
        if max_episode_steps is not None and max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be positive, got {max_episode_steps}")
        try:
            self.autoreset_mode = AutoresetMode(autoreset_mode)
        except ValueError:
            raise ValueError(f"autoreset_mode must be one of {[m.value for m in AutoresetMode]},"
                             f" got {autoreset_mode!r}") from None
        self.metadata = {**GymVectorEnv.metadata, "autoreset_mode": self.autoreset_mode}
        self._adapter = _Adapter(network, observation, reward, done, action, action_field,
                                 shared_observation, seed, shared_state)
        self._max_episode_steps = max_episode_steps
        self.num_envs = self._adapter.runner.num_users
        self._elapsed = np.zeros(self.num_envs, np.int64)  # steps of each user's episode
        self._autoreset = np.zeros(self.num_envs, bool)  # NEXT_STEP: restarts at the next step
        self.single_observation_space = self._adapter.observation_space
        self.single_action_space = self._adapter.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        runner = self._adapter.runner
        if seed is not None:
            self._np_random, self._np_random_seed = gymnasium.utils.seeding.np_random(seed)
            runner.seed(seed)
        mask = (options or {}).get("reset_mask")
        if mask is None:
            mask = np.ones(self.num_envs, bool)
            step = runner.reset()
        else:
            mask = np.asarray(mask)
            if mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
                raise ValueError(f"reset_mask must be a bool array of shape ({self.num_envs},),"
                                 f" got {mask.dtype} {mask.shape}")
            step = runner.restart(mask)
        self._elapsed[mask] = 0
        self._autoreset[mask] = False
        return self._adapter.observation(step, None), {}

    def step(self, actions: Any) -> tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray,
                                          dict[str, Any]]:
        batched = self._adapter.action(actions, self.action_space, self.action_space.shape)
        runner = self._adapter.runner
        step = runner.step(batched, restart=self._autoreset)
        self._elapsed = np.where(self._autoreset, 0, self._elapsed + 1)
        terminated = step.terminated.numpy()
        truncated = (np.zeros_like(terminated) if self._max_episode_steps is None
                     else ~terminated & (self._elapsed >= self._max_episode_steps))
        ended = terminated | truncated
        observation, info = self._adapter.observation(step, None), {}
        if self.autoreset_mode == AutoresetMode.SAME_STEP and ended.any():
            final = np.full(self.num_envs, None, object)
            for user in np.flatnonzero(ended):
                final[user] = _item(self._adapter.observation(step, user),
                                    self.single_observation_space)
            observation = self._adapter.observation(runner.restart(ended), None)
            self._elapsed[ended] = 0
            info = {"final_obs": final, "_final_obs": ended, "final_info": {},
                    "_final_info": ended.copy()}
        self._autoreset = ended & (self.autoreset_mode == AutoresetMode.NEXT_STEP)
        return (observation, step.reward.numpy().astype(np.float64), terminated, truncated,
                info)


def _item(observation: dict[str, dict[str, np.ndarray]],
          space: spaces.Dict) -> dict[str, dict[str, Any]]:
    """`Discrete` fields as numpy scalars, as Gymnasium expects; every other field (a
    zero-dimensional `Box` included, whose `contains` warns on anything but an array) as is."""
    return {name: {field: array[()] if isinstance(space[name][field], spaces.Discrete) else array
                   for field, array in fields.items()}
            for name, fields in observation.items()}


def register_env(env_id: str, make_network: Callable[[int], Network], observation: FieldSelection,
                 reward: FieldRef, done: FieldRef, max_episode_steps: int | None = None,
                 **env_kwargs: Any) -> None:
    """Registers `env_id` for `gymnasium.make` (one user) and `gymnasium.make_vec`.

    `make_network(num_users)` builds the network; `make_vec(env_id, num_envs,
    vectorization_mode="vector_entry_point")` gives a `GymVectorEnv` of `num_envs` users.
    """
    def single(**kwargs: Any) -> GymEnv:
        return GymEnv(make_network(1), **kwargs)

    def vector(num_envs: int, **kwargs: Any) -> GymVectorEnv:
        return GymVectorEnv(make_network(num_envs), **kwargs)

    gymnasium.register(id=env_id, entry_point=single, vector_entry_point=vector,
                       max_episode_steps=max_episode_steps,
                       kwargs=dict(observation=observation, reward=reward, done=done,
                                   **env_kwargs))
