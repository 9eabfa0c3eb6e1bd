"""Shared machinery of the recommendation entities: reading their config."""

from __future__ import annotations

import abc
from typing import Any

from recsim_ng.core import Value, ValueSpec
from recsim_ng.core.value import Config
from recsim_ng.lib.checks import check_size
from recsim_ng.lib.entity import Entity

SIZE_KEYS = ("num_users", "num_docs", "num_topics", "slate_size", "history_length")


class ConfiguredEntity(Entity):
    """An entity built from a story's config mapping (e.g. `num_users`, `slate_size`)."""

    def __init__(self, config: Config, name: str):
        super().__init__(name=name)
        self._config = config

    def _config_value(self, key: str) -> Any:
        """The config entry `key`, or a `KeyError` naming the entity and the key; a size
        (`SIZE_KEYS`) that is not a positive int is a `ValueError` naming the key."""
        if key not in self._config:
            raise KeyError(f"{type(self).__name__} needs config key {key!r};"
                           f" the config has {sorted(self._config)}")
        if key in SIZE_KEYS:
            return check_size(f"config key {key!r}", self._config[key])
        return self._config[key]


class StatefulRecsEntity(ConfiguredEntity, abc.ABC):
    """A users, corpus or recommender entity: a state updated from the previous step's slates
    and responses."""

    @abc.abstractmethod
    def specs(self) -> ValueSpec:
        """The entity's specs, under the prefixes its interface names."""

    @abc.abstractmethod
    def initial_state(self) -> Value:
        """The state at the initial step."""

    @abc.abstractmethod
    def next_state(self, previous_state: Value, user_response: Value, slate_docs: Value) -> Value:
        """The state after the previous step's slates and responses."""
