"""The slate observation contract every slate agent reads, and where a story's network holds it.

A slate agent sees, for each user (one batch row), three groups of named tensors:

- `"user"`: the user's features, e.g. an observed interest vector;
- `"candidates"`: the candidate documents' features, each with the candidate axis first
  (`[num_candidates, ...]`): the documents the slate's indices point into;
- `"response"`: the user's response to the previous slate (at an episode's first step, whatever
  the network holds before any slate). Where it has a `"choice"` field, that is the slate
  position the user picked, `slate_size` for none: SlateQ learns from it.

and acts with a slate, `[slate_size]` distinct integer indices into the candidates. The reward
and the end of an episode are per-user fields too.

`SlateFields` says where in a network (any story whose recommender is replaced by an input
variable holding the slate) each named feature lives; `slate_environment` builds the TF-Agents
environment that serves the contract, and `SlateFields.adapter_arguments()` the arguments of
the TF-Agents and Gymnasium adapters.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Mapping

from recsim_ng.core import Network
from recsim_ng.lib import seeds
from recsim_ng.rl.specs import FieldRef

if TYPE_CHECKING:  # TF-Agents is the `rl` extra: imported only when an environment is built.
    from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

USER, CANDIDATES, RESPONSE = "user", "candidates", "response"
CHOICE = "choice"  # the response field holding the picked slate position (slate_size: none)


@dataclasses.dataclass(frozen=True)
class SlateFields:
    """Where a network holds the slate observation, the reward and the episode's end.

    `user`, `candidates` and `response` map a feature's name in the observation to its
    `(variable, field)`. Every field leads with the user axis, except the candidates' when
    `shared_candidates` (one corpus `[num_candidates, ...]` that every user sees). `reward` is a
    float field `[num_users]`; `done` a boolean one, or None for a story whose episodes never
    end (then give the environment a `max_episode_steps`). `action` is the input variable that
    takes the slate (its only field, or `action_field`). `shared_state` names the variables
    shared by all users (e.g. a corpus), which a user starting a new episode alone leaves as
    they are; every other variable's fields lead with the user axis.
    """

    user: Mapping[str, FieldRef]
    candidates: Mapping[str, FieldRef]
    reward: FieldRef
    response: Mapping[str, FieldRef] = dataclasses.field(default_factory=dict)
    done: FieldRef | None = None
    action: str = "slate"
    action_field: str | None = None
    shared_candidates: bool = False
    shared_state: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.candidates:
            raise ValueError("SlateFields.candidates must name at least one candidate feature")
        for group in (USER, CANDIDATES, RESPONSE):
            for name, ref in getattr(self, group).items():
                if not (isinstance(ref, tuple) and len(ref) == 2
                        and all(isinstance(part, str) for part in ref)):
                    raise ValueError(f"SlateFields.{group}[{name!r}] must be a (variable, field)"
                                     f" pair of strings, got {ref!r}")

    def adapter_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `EpisodeRunner` (and the TF-Agents and Gymnasium adapters)
        that serve the contract's observation."""
        observation = {USER: dict(self.user), RESPONSE: dict(self.response)}
        shared = {}
        (shared if self.shared_candidates else observation)[CANDIDATES] = dict(self.candidates)
        return {"observation": observation, "shared_observation": shared,
                "reward": self.reward, "done": self.done, "action": self.action,
                "action_field": self.action_field, "shared_state": self.shared_state}


def slate_environment(network: Network, fields: SlateFields, seed: seeds.Seed = 0,
                      max_episode_steps: int | None = None, jit_compile: bool = False,
                      restart: str = "per_user") -> TFAgentsEnvironment:
    """The batched TF-Agents environment (one user a batch row) of `network` that serves the
    slate observation contract; see `recsim_ng.rl.tf_agents_env.TFAgentsEnvironment`."""
    from recsim_ng.rl.tf_agents_env import (  # pylint: disable=import-outside-toplevel
        TFAgentsEnvironment)  # (Needs TF-Agents, the `rl` extra.)

    return TFAgentsEnvironment(network, **fields.adapter_arguments(), seed=seed,
                               jit_compile=jit_compile, max_episode_steps=max_episode_steps,
                               restart=restart)
