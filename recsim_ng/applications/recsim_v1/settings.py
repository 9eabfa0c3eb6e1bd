"""The sizes each v1 environment is run at here (and in the RL literature), in one place.

RESULTS.md's tasks (`recsim_ng.applications.recsim_v1.experiments`) and the registered Gymnasium
ids (`recsim_ng.applications.recsim_v1.gym_registration`) both read them.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from recsim_ng.applications.recsim_v1.interest_evolution import interest_evolution
from recsim_ng.applications.recsim_v1.interest_exploration import interest_exploration
from recsim_ng.applications.recsim_v1.long_term_satisfaction import long_term_satisfaction
from recsim_ng.core import Network


class V1Setting(NamedTuple):
    """One environment at fixed sizes: `network(num_users, num_candidates, slate_size)`."""

    network: Callable[..., Network]
    num_candidates: int
    slate_size: int
    max_episode_steps: int | None  # a time limit; None where the environment ends episodes


V1_SETTINGS: dict[str, V1Setting] = {
    # Episodes end when the user's time budget (200) runs out; the SlateQ paper's sizes.
    "interest_evolution": V1Setting(interest_evolution, 10, 3, None),
    # v1 never terminates interest exploration; episodes are truncated after 100 steps.
    "interest_exploration": V1Setting(interest_exploration, 10, 2, 100),
    # The budget of 60 steps ends every episode after exactly 60 steps.
    "long_term_satisfaction": V1Setting(long_term_satisfaction, 10, 2, None),
}
