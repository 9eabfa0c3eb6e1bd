"""`BaseRecommender`: the interface of a recommender that builds slates."""

from __future__ import annotations

import abc
from typing import Callable

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.recommendation.base import Config, StatefulRecsEntity


class BaseRecommender(StatefulRecsEntity):
    """Keeps a state learned from responses and recommends `slate_size` documents per user.

    `specs()` holds two prefixes: `state` and `slate`.
    """

    def __init__(self, config: Config, name: str = "Recommender"):
        super().__init__(config, name)
        self._num_users = self._config_value("num_users")
        self._num_docs = self._config_value("num_docs")
        self._slate_size = self._config_value("slate_size")

    @abc.abstractmethod
    def specs(self) -> ValueSpec:
        """`state` and `slate` specs under those prefixes."""

    @abc.abstractmethod
    def slate_docs(self, previous_state: Value, user_obs: Value, available_docs: Value) -> Value:
        """This step's slates (the state argument is this step's recommender state)."""


RecommenderConstructor = Callable[[Config], BaseRecommender]
