"""`RecsMetricsBase`: the interface of metrics computed alongside a recommendation simulation."""

from __future__ import annotations

import abc
from typing import Callable

from recsim_ng.core import Value, ValueSpec
from recsim_ng.entities.recommendation.base import Config, ConfiguredEntity


class RecsMetricsBase(ConfiguredEntity, abc.ABC):
    """Accumulates metrics (e.g. `reward`, `cumulative_reward`) from the previous step's values.

    `specs()` holds one prefix: `state`.
    """

    def __init__(self, config: Config, name: str = "Metrics"):
        super().__init__(config, name)
        self._num_users = self._config_value("num_users")

    @abc.abstractmethod
    def specs(self) -> ValueSpec:
        """The `state` spec under that prefix."""

    @abc.abstractmethod
    def initial_metrics(self) -> Value:
        """The metrics at the initial step."""

    @abc.abstractmethod
    def next_metrics(self, previous_metrics: Value, corpus_state: Value, user_state: Value,
                     user_response: Value, slate_docs: Value) -> Value:
        """The metrics updated with the previous step's state, slates and responses."""


MetricsConstructor = Callable[[Config], RecsMetricsBase]
