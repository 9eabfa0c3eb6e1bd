"""`ArmedEntity`: the shared shape of bandit problems and algorithms."""

from __future__ import annotations

from recsim_ng.lib.checks import check_size
from recsim_ng.lib.entity import Entity


class ArmedEntity(Entity):
    """An entity over `num_bandits` independent bandits with `num_arms` arms each."""

    def __init__(self, num_bandits: int, num_arms: int, name: str):
        super().__init__(name=name)
        self.num_bandits = check_size(f"{type(self).__name__} num_bandits", num_bandits)
        self.num_arms = check_size(f"{type(self).__name__} num_arms", num_arms, minimum=2)
