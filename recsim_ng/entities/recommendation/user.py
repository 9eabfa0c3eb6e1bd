"""`User`: the interface of a simulated user population (batched over `num_users`)."""

from __future__ import annotations

import abc
from typing import Callable

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.recommendation.base import Config, StatefulRecsEntity


class User(StatefulRecsEntity):
    """Users with a latent state who respond to slates and emit observations.

    `specs()` holds three prefixes: `state`, `response` and `observation`. By convention a
    response's `choice` field uses the slate size as its no-choice index.
    """

    def __init__(self, config: Config, name: str = "User"):
        super().__init__(config, name)
        self._num_users = self._config_value("num_users")

    @abc.abstractmethod
    def specs(self) -> ValueSpec:
        """`state`, `response` and `observation` specs under those prefixes."""

    @abc.abstractmethod
    def next_response(self, previous_state: Value, slate_docs: Value) -> Value:
        """The response to this step's slate (the state argument is this step's state)."""

    @abc.abstractmethod
    def observation(self, user_state: Value) -> Value:
        """What the recommender sees of the users' state."""


UserConstructor = Callable[[Config], User]
