"""`ArmedEntity`: the shared shape of bandit problems and algorithms."""

from __future__ import annotations

from recsim_ng.lib.entity import Entity


class ArmedEntity(Entity):
    """An entity over `num_bandits` independent bandits with `num_arms` arms each."""

    def __init__(self, num_bandits: int, num_arms: int, name: str):
        super().__init__(name=name)
        if num_bandits < 1 or num_arms < 2:
            raise ValueError(f"{type(self).__name__} needs num_bandits >= 1 and num_arms >= 2,"
                             f" got {num_bandits} and {num_arms}")
        self.num_bandits = num_bandits
        self.num_arms = num_arms
