"""RL adapters: a network stepped by an agent's action, as TF-Agents or Gymnasium environments.

The adapters live in their own modules so that each needs only its own extra installed:
`recsim_ng.rl.tf_agents_env.TFAgentsEnvironment` (extra `rl`) and
`recsim_ng.rl.gym_env.GymEnv`, `GymVectorEnv`, `register_env` (extra `gym`).
"""

from recsim_ng.rl.episodes import EpisodeRunner, EpisodeStep, FieldSelection
from recsim_ng.rl.specs import FieldRef

__all__ = ["EpisodeRunner", "EpisodeStep", "FieldRef", "FieldSelection"]
